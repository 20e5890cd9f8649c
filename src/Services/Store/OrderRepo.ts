import * as crypto from "node:crypto"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { Fragment } from "@effect/sql/Statement"
import { Effect, Schema } from "effect"
import type { Order, OrdersDocument, QuarantinedOrder } from "../../Domain/Order.js"
import { StoredTime } from "../../Domain/StoredTime.js"
import { copyInTransaction } from "./Copy.js"
import { itemsJson, OrderItems, ordersWithItems, stageItems, unstorableItems } from "./OrderItems.js"
import { decodeRows } from "./Rows.js"
import { fromTimestamptz, SharedColumns } from "./SharedColumns.js"

export const MARKETPLACE = "amazon"

/**
 * The conflict rule of every write into "Order": a row is replaced only by a newer version (or the same version with
 * different content), so a late or repeated page never rolls an order back and a rerun changes nothing.
 */
const ON_CONFLICT_SET = `ON CONFLICT ("tenantId", "marketplace", "externalOrderId") DO UPDATE SET
  "marketplaceId" = EXCLUDED."marketplaceId", "orderDate" = EXCLUDED."orderDate",
  "lastUpdateDate" = EXCLUDED."lastUpdateDate", "orderStatus" = EXCLUDED."orderStatus",
  "fulfillmentChannel" = EXCLUDED."fulfillmentChannel", "salesChannel" = EXCLUDED."salesChannel",
  "totalAmount" = EXCLUDED."totalAmount", "currency" = EXCLUDED."currency",
  "itemsCount" = EXCLUDED."itemsCount", "raw" = EXCLUDED."raw", "updatedAt" = EXCLUDED."updatedAt"
  WHERE "Order"."lastUpdateDate" IS NULL
     OR "Order"."lastUpdateDate" < EXCLUDED."lastUpdateDate"`

/** The stored row has no items: written before ordersync stored them (or by a source without them). */
const WITHOUT_ITEMS = `NOT EXISTS (SELECT 1 FROM "OrderItem" i WHERE i."tenantId" = "Order"."tenantId"
         AND i."marketplace" = "Order"."marketplace" AND i."externalOrderId" = "Order"."externalOrderId")`

/**
 * The conflict rule of a chunk: newer versions replace, and the same version replaces when its content differs, or
 * (`itemsKnown`: the chunk carries every order's items) when the stored row has no items, so a rerun or `--restart`
 * fills the items of orders stored before ordersync kept them.
 * A row from an order report, which carries less than the Orders API (no buyer, no order-item ids), replaces a row of
 * the same version only if that row came from a report too; its total counts as content (the tenant's report total
 * rule may have been chosen since).
 */
export const onConflict = (source: OrderSource, itemsKnown: boolean): string => {
  const noItems = itemsKnown ? ` OR ${WITHOUT_ITEMS}` : ""
  return source === "report"
    ? `${ON_CONFLICT_SET}
     OR ("Order"."lastUpdateDate" = EXCLUDED."lastUpdateDate" AND "Order"."raw"->>'source' = 'report'
         AND ("Order"."raw" IS DISTINCT FROM EXCLUDED."raw" OR "Order"."totalAmount" IS DISTINCT FROM EXCLUDED."totalAmount"${noItems}))`
    : `${ON_CONFLICT_SET}
     OR ("Order"."lastUpdateDate" = EXCLUDED."lastUpdateDate" AND ("Order"."raw" IS DISTINCT FROM EXCLUDED."raw"${noItems}))`
}

export const ON_CONFLICT_NEWER_ONLY = onConflict("api", false)
export const ON_CONFLICT_NEWER_ONLY_REPORT = onConflict("report", false)

/** Where a chunk of orders came from: the Orders API, or an order report. */
export type OrderSource = "api" | "report"

export interface UpsertResult {
  readonly inserted: number
  readonly updated: number
}

// Within one chunk an order id must appear once (ON CONFLICT cannot touch a row twice): keep its newest version.
// Answers the positions kept, in order.
const newestPositions = (orders: ReadonlyArray<Order>): ReadonlyArray<number> => {
  const byId = new Map<string, number>()
  orders.forEach((order, position) => {
    const seen = byId.get(order.externalOrderId)
    if (seen === undefined || orders[seen]!.lastUpdateDate.getTime() <= order.lastUpdateDate.getTime()) byId.set(order.externalOrderId, position)
  })
  return byId.size === orders.length ? orders.map((_, position) => position) : [...byId.values()].sort((a, b) => a - b)
}

const newestPerId = (orders: ReadonlyArray<Order>): ReadonlyArray<Order> => {
  const positions = newestPositions(orders)
  return positions.length === orders.length ? orders : positions.map((position) => orders[position]!)
}

/**
 * Where the orders of a chunk are in the answer Amazon sent: the database takes each `raw` from the answer's text
 * (`position` is the order's index in the array at `path`), so the JSON goes over the wire once, as Amazon wrote it,
 * instead of re-serialized and escaped once per order (B3: a page of 100 orders is ~145 KB).
 */
export interface RawSource extends OrdersDocument {
  /** For each order of the chunk, its index in the document's array. */
  readonly positions: ReadonlyArray<number>
}

/** A chunk of orders encoded for `COPY "OrderStaging" FROM STDIN` (text format), ready before its transaction opens. */
export interface StagedOrders {
  readonly payload: Buffer
  /** Their items, for `COPY "OrderItemStaging" FROM STDIN`. */
  readonly items: Buffer
  /** Orders in the payload (one per id: the newest version). */
  readonly orders: number
  /** Those orders, in the payload's order: what is quarantined if PostgreSQL refuses a line of it. */
  readonly rows: ReadonlyArray<Order>
}

/** What `upsertStaged` did: the orders changed, and those PostgreSQL refused (to quarantine, with its reason). */
export interface StagedUpsert extends UpsertResult {
  readonly refused: ReadonlyArray<QuarantinedOrder>
}

const INTEGER_MAX = 2_147_483_647
/** NUMERIC(18, 2): 16 digits before the point. */
const AMOUNT = /^-?\d{1,16}(\.\d+)?$/
const TEXT_COLUMNS = ["externalOrderId", "marketplaceId", "orderStatus", "fulfillmentChannel", "salesChannel", "currency"] as const

/**
 * Why "Order"'s columns would refuse this order, or undefined: PostgreSQL's text cannot hold a NUL, "itemsCount" is an
 * INTEGER, "totalAmount" a NUMERIC(18, 2), the dates TIMESTAMP(3) written as ISO 8601. A refused row would fail its
 * whole chunk; checked before, the order is quarantined with this reason and the rest of the chunk stored.
 */
export const unstorable = (order: Order): string | undefined => {
  for (const column of TEXT_COLUMNS) {
    if (order[column]?.includes("\0")) return `${column} holds a NUL character, which PostgreSQL cannot store`
  }
  const items = order.itemsCount
  if (items !== null && !(Number.isInteger(items) && items >= -INTEGER_MAX - 1 && items <= INTEGER_MAX)) {
    return `itemsCount ${items} does not fit PostgreSQL's integer column (at most ${INTEGER_MAX})`
  }
  if (order.totalAmount !== null && !AMOUNT.test(order.totalAmount)) {
    return `totalAmount ${order.totalAmount.slice(0, 40)} does not fit the NUMERIC(18, 2) column`
  }
  for (const column of ["orderDate", "lastUpdateDate"] as const) {
    const year = order[column].getUTCFullYear()
    if (!(year >= 1 && year <= 9999)) return `${column} is not a date between the years 1 and 9999`
  }
  return unstorableItems(order.items)
}

/** SQLSTATE classes of a value PostgreSQL refuses (22: data exception; 54000: a value too large): the rows' fault. */
const refusedData = (error: SqlError): boolean => {
  const code = (error.cause as { readonly code?: unknown } | undefined)?.code
  return typeof code === "string" && (code.startsWith("22") || code === "54000")
}

const refusalReason = (error: SqlError): string => {
  const cause = error.cause as { readonly message?: unknown; readonly code?: unknown; readonly where?: unknown } | undefined
  const message = typeof cause?.message === "string" ? cause.message : error.message
  return `PostgreSQL refused the order: ${message}${typeof cause?.code === "string" ? ` (SQLSTATE ${cause.code})` : ""}`
}

/** A NUL, or half a surrogate pair: what PostgreSQL's text and JSONB refuse. */
const UNSTORABLE_CHARS = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

const storableText = (text: string): string => text.replace(UNSTORABLE_CHARS, "\uFFFD")

/** The quarantine's "raw" is JSONB too: NULs (and lone surrogates) become U+FFFD there, or the order could not be kept. */
const storableRaw = (value: unknown): unknown => {
  if (typeof value === "string") return storableText(value)
  if (Array.isArray(value)) return value.map(storableRaw)
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [storableText(key), storableRaw(item)]))
  }
  return value
}

const COPY_SPECIAL = /[\\\t\n\r]/
const COPY_SPECIALS = /[\\\t\n\r]/g
const COPY_ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" }

/** One field of COPY's text format: NULL as \N, and backslash, tab and line breaks escaped. */
const copyText = (value: string | number | null): string =>
  value === null
    ? "\\N"
    : typeof value === "number"
    ? String(value)
    : COPY_SPECIAL.test(value)
    ? value.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]!)
    : value

/**
 * Encodes a chunk for `upsertStaged`, in the column order of "OrderStaging". Pure, so a source can do it while the
 * previous chunk commits. JSON has no raw tabs or line breaks: only its backslashes need doubling.
 */
export const stageOrders = (chunk: ReadonlyArray<Order>): StagedOrders => {
  const orders = newestPerId(chunk)
  let text = ""
  for (const o of orders) {
    const raw = JSON.stringify(o.raw)
    text += `${copyText(o.externalOrderId)}\t${copyText(o.marketplaceId)}\t${o.orderDate.toISOString()}\t` +
      `${o.lastUpdateDate.toISOString()}\t${copyText(o.orderStatus)}\t${copyText(o.fulfillmentChannel)}\t` +
      `${copyText(o.salesChannel)}\t${copyText(o.totalAmount)}\t${copyText(o.currency)}\t${copyText(o.itemsCount)}\t` +
      `${raw.includes("\\") ? raw.replace(/\\/g, "\\\\") : raw}\n`
  }
  return { payload: Buffer.from(text), items: stageItems(orders), orders: orders.length, rows: orders }
}

const Summary = Schema.Struct({
  ordersCount: Schema.NumberFromString,
  itemsCount: Schema.NumberFromString,
  oldestOrderDate: Schema.NullOr(StoredTime),
  quarantined: Schema.NumberFromString
})

/** "Order" rows and the quarantine. Callers run these inside their chunk's transaction. */
export class OrderRepo extends Effect.Service<OrderRepo>()("ordersync/OrderRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { order: types } = yield* SharedColumns
    const orderItems = yield* OrderItems
    // The row's times, from timestamptz (u.od, u.lu) to the types the existing columns have.
    const times = sql.literal([
      fromTimestamptz(types.orderDate, "u.od"),
      fromTimestamptz(types.lastUpdateDate, "u.lu")
    ].join(", "))
    const stamps = sql.literal([
      fromTimestamptz(types.createdAt, "now()"),
      fromTimestamptz(types.updatedAt, "now()")
    ].join(", "))
    const decodeSummary = decodeRows("Order", Summary)

    /**
     * The upsert as parts of a statement, `"document" AS MATERIALIZED (…), "upserted" AS (INSERT … RETURNING
     * (xmax = 0) AS inserted)`, under ON_CONFLICT_NEWER_ONLY (…_REPORT for a report's rows). With `rawFrom`, each
     * `raw` is taken from the answer's text; without it, from `order.raw`. With `gate`, no row is written unless it
     * holds (the fence of a one-statement commit, see PageCommits). Undefined for an empty chunk.
     */
    const upsertParts = (
      tenantId: string,
      chunk: ReadonlyArray<Order>,
      source: OrderSource,
      rawFrom: RawSource | undefined,
      gate: Fragment = sql`TRUE`
    ): Fragment | undefined => {
      const kept = newestPositions(chunk)
      if (kept.length === 0) return undefined
      const document = rawFrom === undefined
        ? sql`SELECT NULL::jsonb AS a`
        : sql`SELECT (${rawFrom.text}::jsonb #> ${rawFrom.path}::text[]) AS a`
      // The rows as one JSON parameter: Node writes it with one JSON.stringify, where ten arrays cost pg's escaping of
      // every element (a twelfth of what a page allocated, B3), and PostgreSQL reads it in C.
      const rows = JSON.stringify(kept.map((position) => {
        const o = chunk[position]!
        return {
          id: o.externalOrderId,
          mp: o.marketplaceId,
          od: o.orderDate.toISOString(),
          lu: o.lastUpdateDate.toISOString(),
          st: o.orderStatus,
          fc: o.fulfillmentChannel,
          sc: o.salesChannel,
          ta: o.totalAmount,
          cur: o.currency,
          ic: o.itemsCount,
          // The order itself, or where it is in the answer's text.
          raw: rawFrom === undefined ? o.raw : rawFrom.positions[position]!
        }
      }))
      return sql`"document" AS MATERIALIZED (${document}), "upserted" AS (
        INSERT INTO "Order" ("id", "tenantId", "marketplace", "externalOrderId", "marketplaceId", "orderDate",
          "lastUpdateDate", "orderStatus", "fulfillmentChannel", "salesChannel", "totalAmount", "currency",
          "itemsCount", "raw", "createdAt", "updatedAt")
        SELECT gen_random_uuid()::text, ${tenantId}, ${MARKETPLACE}, u.id, u.mp, ${times}, u.st, u.fc, u.sc,
          u.ta::numeric, u.cur, u.ic, ${sql.literal(rawFrom === undefined ? "u.raw" : "d.a -> (u.raw::int)")}, ${stamps}
        FROM "document" d, jsonb_to_recordset(${rows}::jsonb)
          AS u(id text, mp text, od timestamptz, lu timestamptz, st text, fc text, sc text, ta text, cur text, ic int, raw jsonb)
        WHERE ${gate}
        ${sql.literal(onConflict(source, ordersWithItems(kept.map((position) => chunk[position]!)) === undefined))}
        RETURNING ${orderItems.returning}), ${itemParts(tenantId, kept.map((position) => chunk[position]!))}`
    }

    /** The items of the orders written, after "upserted". */
    const itemParts = (tenantId: string, orders: ReadonlyArray<Order>): Fragment =>
      orderItems.parts(tenantId, orderItems.fromJson(itemsJson(orders)), MARKETPLACE)

    /** One statement for the whole chunk (see `upsertParts`). */
    const upsert = (tenantId: string, chunk: ReadonlyArray<Order>, source: OrderSource = "api", rawFrom?: RawSource): Effect.Effect<UpsertResult> => {
      const parts = upsertParts(tenantId, chunk, source, rawFrom)
      if (parts === undefined) return Effect.succeed({ inserted: 0, updated: 0 })
      return sql<{ inserted: number; changed: number }>`
        WITH ${parts}
        SELECT (count(*) FILTER (WHERE inserted))::int AS inserted, count(*)::int AS changed FROM "upserted"`.pipe(
        Effect.map(([row]) => ({ inserted: row!.inserted, updated: row!.changed - row!.inserted })),
        Effect.orDie
      )
    }

    /**
     * The same upsert for orders already staged (see `stageOrders`): COPY into a temporary staging table and one
     * INSERT … SELECT, 2–2.5× faster than one statement (UNNEST, B6) for the large chunks of a report document (B2, B6).
     * Runs inside the caller's transaction, which it needs: the staging rows go at commit (or rollback). Within it, a
     * savepoint: a value PostgreSQL refuses (`unstorable` missed it) rolls back to it, and the chunk is halved until
     * the refused orders are alone; they are answered as `refused`, the others stored.
     */
    const upsertStaged = (tenantId: string, staged: StagedOrders, source: OrderSource): Effect.Effect<StagedUpsert> => {
      if (staged.orders === 0) return Effect.succeed({ inserted: 0, updated: 0, refused: [] })
      const insert = (staged: StagedOrders) => sql<{ inserted: number; changed: number }>`
          WITH upserted AS (
            INSERT INTO "Order" ("id", "tenantId", "marketplace", "externalOrderId", "marketplaceId", "orderDate",
              "lastUpdateDate", "orderStatus", "fulfillmentChannel", "salesChannel", "totalAmount", "currency",
              "itemsCount", "raw", "createdAt", "updatedAt")
            SELECT gen_random_uuid()::text, ${tenantId}, ${MARKETPLACE}, u.id, u.mp, ${times}, u.st, u.fc, u.sc, u.ta,
              u.cur, u.ic, u.raw, ${stamps}
            FROM "OrderStaging" u
            ${sql.literal(onConflict(source, ordersWithItems(staged.rows) === undefined))}
            RETURNING ${orderItems.returning}), ${orderItems.parts(tenantId, orderItems.fromStaging, MARKETPLACE)}
          SELECT (count(*) FILTER (WHERE inserted))::int AS inserted, count(*)::int AS changed FROM upserted`.pipe(
        // Two counts back instead of a row per order.
        Effect.map(([row]): UpsertResult => ({ inserted: row!.inserted, updated: row!.changed - row!.inserted }))
      )
      // `again`: a part of a refused chunk, after other parts may have left their rows in the staging table.
      const attempt = (part: StagedOrders, again: boolean): Effect.Effect<StagedUpsert, SqlError> =>
        sql.withTransaction(
          (again ? sql`DELETE FROM "OrderStaging"`.pipe(Effect.zipRight(sql`DELETE FROM "OrderItemStaging"`)) : Effect.void).pipe(
            Effect.zipRight(copyInTransaction(`COPY "OrderStaging" FROM STDIN`, part.payload)),
            Effect.zipRight(part.items.length === 0 ? Effect.void : copyInTransaction(`COPY "OrderItemStaging" FROM STDIN`, part.items)),
            Effect.zipRight(insert(part))
          )
        ).pipe(
          Effect.map((result): StagedUpsert => ({ ...result, refused: [] })),
          Effect.catchIf(refusedData, (error) => {
            if (part.rows.length === 1) {
              const order = part.rows[0]!
              return Effect.succeed<StagedUpsert>({
                inserted: 0,
                updated: 0,
                refused: [{ externalOrderId: order.externalOrderId, raw: order.raw, error: refusalReason(error) }]
              })
            }
            const half = Math.ceil(part.rows.length / 2)
            return Effect.zipWith(
              attempt(stageOrders(part.rows.slice(0, half)), true),
              attempt(stageOrders(part.rows.slice(half)), true),
              (a, b): StagedUpsert => ({ inserted: a.inserted + b.inserted, updated: a.updated + b.updated, refused: [...a.refused, ...b.refused] })
            )
          })
        )
      return sql`CREATE TEMP TABLE IF NOT EXISTS "OrderStaging" (id text, mp text, od timestamptz, lu timestamptz,
          st text, fc text, sc text, ta numeric, cur text, ic int, raw jsonb) ON COMMIT DELETE ROWS`.pipe(
        Effect.zipRight(orderItems.createStaging),
        Effect.zipRight(attempt(staged, false)),
        Effect.tap((result) =>
          result.refused.length === 0 ? Effect.void : Effect.logWarning(
            `PostgreSQL refused ${result.refused.length} of ${staged.orders} orders of a chunk; they go to quarantine: ${result.refused[0]!.error}`
          )),
        Effect.orDie
      )
    }

    /** Keeps orders that did not decode, once each (by content), with the reason. */
    const quarantine = (tenantId: string, items: ReadonlyArray<QuarantinedOrder>): Effect.Effect<number> => {
      if (items.length === 0) return Effect.succeed(0)
      const raws = items.map((q) => JSON.stringify(storableRaw(q.raw)) ?? "null")
      return sql`
        INSERT INTO "OrderSyncQuarantine" ("tenantId", "externalOrderId", "rawHash", "raw", "error")
        SELECT ${tenantId}, u.id, u.hash, u.raw::jsonb, u.error
        FROM UNNEST(${items.map((q) => q.externalOrderId === null ? null : storableText(q.externalOrderId))}::text[],
          ${raws.map((raw) => crypto.createHash("sha256").update(raw).digest("hex"))}::text[],
          ${raws}::text[], ${items.map((q) => storableText(q.error))}::text[]) AS u(id, hash, raw, error)
        ON CONFLICT ("tenantId", "rawHash") DO NOTHING
        RETURNING 1`.pipe(Effect.map((rows) => rows.length), Effect.orDie)
    }

    const summary = (tenantId: string) =>
      sql`
        SELECT (SELECT count(*) FROM "Order" WHERE "tenantId" = ${tenantId} AND "marketplace" = ${MARKETPLACE})::text AS "ordersCount",
               (SELECT count(*) FROM "OrderItem" WHERE "tenantId" = ${tenantId} AND "marketplace" = ${MARKETPLACE})::text AS "itemsCount",
               (SELECT min("orderDate") FROM "Order" WHERE "tenantId" = ${tenantId} AND "marketplace" = ${MARKETPLACE}) AS "oldestOrderDate",
               (SELECT count(*) FROM "OrderSyncQuarantine" WHERE "tenantId" = ${tenantId})::text AS "quarantined"`.pipe(
        Effect.orDie,
        Effect.flatMap(decodeSummary),
        Effect.map(([row]) => row!)
      )

    return { upsert, upsertParts, upsertStaged, quarantine, summary } as const
  }),
  dependencies: [SharedColumns.Default, OrderItems.Default]
}) {}
