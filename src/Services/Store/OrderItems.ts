import * as SqlClient from "@effect/sql/SqlClient"
import type { Fragment } from "@effect/sql/Statement"
import { Effect, Schema } from "effect"
import type { Order, OrderItem } from "../../Domain/Order.js"
import { decodeRows } from "./Rows.js"
import { fromTimestamptz, SharedColumns, type TimeType } from "./SharedColumns.js"

/**
 * "OrderItem" rows, written by the same statement as their orders (OrderRepo): the parts here follow its "upserted"
 * CTE, so an item is written exactly when its order's new version is (never older over newer, behind the same fence),
 * and an order and its items never disagree after a commit or a kill. An order's new version brings all its items:
 * the ones it no longer has are deleted (not marked: the stored items are always those of the stored version, so a
 * report's `report-N` items give way to the Orders API's own ids, and an item Amazon dropped is gone, as from the
 * order's `raw`). A version from a source that carries no items (v0 without ORDERSYNC_V0_ITEMS, or an order whose
 * items Amazon refused) has none: the items of the version before are deleted, as they may no longer be true.
 */

/** The item columns, as the JSON rows and the staging table name them (short: they go over the wire per item). */
const RECORD = `o text, iid text, sku text, asin text, ti text, q int, qs int, ip numeric, it numeric, sp numeric,
  st numeric, gp numeric, gt numeric, pd numeric, cur text, ist text, path text[], raw jsonb`

const INTEGER_MAX = 2_147_483_647
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
/** NUMERIC(18, 2): 16 digits before the point. */
const AMOUNT = /^-?\d{1,16}(\.\d+)?$/
const TEXT_FIELDS = ["orderItemId", "sku", "asin", "title", "currency", "itemStatus"] as const
const MONEY_FIELDS = ["itemPrice", "itemTax", "shippingPrice", "shippingTax", "giftWrapPrice", "giftWrapTax", "promotionDiscount"] as const

/** Why "OrderItem"'s columns would refuse one of the order's items, or undefined (see OrderRepo `unstorable`). */
export const unstorableItems = (items: ReadonlyArray<OrderItem> | undefined): string | undefined => {
  if (items === undefined) return undefined
  for (const [k, item] of items.entries()) {
    for (const field of TEXT_FIELDS) {
      const text = item[field]
      if (text?.includes("\0")) return `item ${k + 1}'s ${field} holds a NUL character, which PostgreSQL cannot store`
      if (text !== null && LONE_SURROGATE.test(text)) return `item ${k + 1}'s ${field} holds half a surrogate pair, which PostgreSQL cannot store`
    }
    for (const field of ["quantity", "quantityShipped"] as const) {
      const value = item[field]
      if (value !== null && !(Number.isInteger(value) && value >= -INTEGER_MAX - 1 && value <= INTEGER_MAX)) {
        return `item ${k + 1}'s ${field} ${value} does not fit PostgreSQL's integer column (at most ${INTEGER_MAX})`
      }
    }
    for (const field of MONEY_FIELDS) {
      const value = item[field]
      if (value !== null && !AMOUNT.test(value)) return `item ${k + 1}'s ${field} ${value.slice(0, 40)} does not fit the NUMERIC(18, 2) column`
    }
  }
  return undefined
}

/** The orders whose items are known: all of them (undefined), or those listed (maybe none). */
export const ordersWithItems = (orders: ReadonlyArray<Order>): ReadonlyArray<string> | undefined => {
  let unknown = 0
  for (const order of orders) if (order.items === undefined) unknown++
  if (unknown === 0) return undefined
  return orders.filter((order) => order.items !== undefined).map((order) => order.externalOrderId)
}

const itemRecord = (externalOrderId: string, item: OrderItem) => ({
  o: externalOrderId,
  iid: item.orderItemId,
  sku: item.sku,
  asin: item.asin,
  ti: item.title,
  q: item.quantity,
  qs: item.quantityShipped,
  ip: item.itemPrice,
  it: item.itemTax,
  sp: item.shippingPrice,
  st: item.shippingTax,
  gp: item.giftWrapPrice,
  gt: item.giftWrapTax,
  pd: item.promotionDiscount,
  cur: item.currency,
  ist: item.itemStatus,
  path: "path" in item.raw ? item.raw.path : null,
  raw: "value" in item.raw ? item.raw.value : null
})

/** The items of the orders (those that have them) as one JSON parameter for `fromJson`. */
export const itemsJson = (orders: ReadonlyArray<Order>): string => {
  const records: Array<ReturnType<typeof itemRecord>> = []
  for (const order of orders) for (const item of order.items ?? []) records.push(itemRecord(order.externalOrderId, item))
  return JSON.stringify(records)
}

const COPY_SPECIALS = /[\\\t\n\r]/g
const COPY_ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" }
const copyText = (value: string | number | null): string =>
  value === null ? "\\N" : typeof value === "number" ? String(value) : value.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]!)
/** A text[] literal in COPY's text format: every element quoted (a quote or backslash in it escaped). */
const copyArray = (values: ReadonlyArray<string> | null): string =>
  values === null ? "\\N" : copyText(`{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(",")}}`)

/** The items of the orders (those that have them) for `COPY "OrderItemStaging" FROM STDIN`, in its column order. */
export const stageItems = (orders: ReadonlyArray<Order>): Buffer => {
  let text = ""
  for (const order of orders) {
    for (const item of order.items ?? []) {
      const r = itemRecord(order.externalOrderId, item)
      text += [r.o, r.iid, r.sku, r.asin, r.ti, r.q, r.qs, r.ip, r.it, r.sp, r.st, r.gp, r.gt, r.pd, r.cur, r.ist].map(copyText).join("\t") +
        `\t${copyArray(r.path)}\t${r.raw === null ? "\\N" : copyText(JSON.stringify(r.raw))}\n`
    }
  }
  return Buffer.from(text)
}

/** A stored item, as the console and the tests read it. */
export const StoredItem = Schema.Struct({
  externalOrderId: Schema.String,
  orderItemId: Schema.String,
  sku: Schema.NullOr(Schema.String),
  asin: Schema.NullOr(Schema.String),
  title: Schema.NullOr(Schema.String),
  quantity: Schema.Number,
  quantityShipped: Schema.NullOr(Schema.Number),
  itemPrice: Schema.NullOr(Schema.String),
  itemTax: Schema.NullOr(Schema.String),
  shippingPrice: Schema.NullOr(Schema.String),
  shippingTax: Schema.NullOr(Schema.String),
  giftWrapPrice: Schema.NullOr(Schema.String),
  giftWrapTax: Schema.NullOr(Schema.String),
  promotionDiscount: Schema.NullOr(Schema.String),
  currency: Schema.NullOr(Schema.String),
  itemStatus: Schema.NullOr(Schema.String)
})
export type StoredItem = typeof StoredItem.Type

/** A time of "Order" (of the type SharedColumns found) as TIMESTAMP(3) in UTC, "OrderItem"'s type. */
const asTimestamp = (type: TimeType, expression: string): string =>
  type === "timestamp" ? expression : type === "timestamptz" ? `(${expression}) AT TIME ZONE 'UTC'` : `(${expression})::timestamptz AT TIME ZONE 'UTC'`

export class OrderItems extends Effect.Service<OrderItems>()("ordersync/OrderItems", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { order: types } = yield* SharedColumns
    const lastUpdate = sql.literal(asTimestamp(types.lastUpdateDate, `u."lastUpdateDate"`))
    const now = sql.literal(fromTimestamptz("timestamp", "now()"))
    const decodeItems = decodeRows("OrderItem", StoredItem)

    /** The item rows from the JSON of `itemsJson`. */
    const fromJson = (json: string): Fragment => sql`SELECT * FROM jsonb_to_recordset(${json}::jsonb) AS r(${sql.literal(RECORD)})`

    /** The item rows staged with `stageItems` (in the transaction's temporary table). */
    const fromStaging: Fragment = sql`SELECT * FROM "OrderItemStaging"`

    const createStaging = sql`CREATE TEMP TABLE IF NOT EXISTS "OrderItemStaging" (${sql.literal(RECORD)}) ON COMMIT DELETE ROWS`

    /**
     * CTEs after an "upserted" CTE that returns the orders written ("id", "externalOrderId", "raw",
     * "lastUpdateDate"): their items from `rows`, every other item of theirs deleted (an order whose items are not
     * known has none in `rows`). Item `raw` is the item itself, or its place in the order's `raw`.
     */
    const parts = (tenantId: string, rows: Fragment, marketplace: string): Fragment => {
      return sql`"itemRows" AS MATERIALIZED (${rows}),
        "itemsGone" AS (
          -- By the orders' ids as one array (the key's index, per id), not a join the planner may answer by reading
          -- every item of the tenant (a page took 18 ms at 10k orders and 76 ms at 60k). An order just inserted has
          -- no items yet.
          DELETE FROM "OrderItem" x
          WHERE x."tenantId" = ${tenantId} AND x."marketplace" = ${marketplace}
            AND x."externalOrderId" = ANY (ARRAY(SELECT u."externalOrderId" FROM "upserted" u WHERE NOT u.inserted))
            AND NOT EXISTS (SELECT 1 FROM "itemRows" r WHERE r.o = x."externalOrderId" AND r.iid = x."orderItemId")),
        "itemsPut" AS (
          INSERT INTO "OrderItem" ("orderId", "tenantId", "marketplace", "externalOrderId", "orderItemId", "sku",
            "asin", "title", "quantity", "quantityShipped", "itemPrice", "itemTax", "shippingPrice", "shippingTax",
            "giftWrapPrice", "giftWrapTax", "promotionDiscount", "currency", "itemStatus", "raw", "lastUpdateDate",
            "createdAt", "updatedAt")
          SELECT u."id", ${tenantId}, ${marketplace}, r.o, r.iid, r.sku, r.asin, r.ti, r.q, r.qs,
            r.ip, r.it, r.sp, r.st, r.gp, r.gt, r.pd, r.cur, r.ist, COALESCE(r.raw, u."raw" #> r.path), ${lastUpdate},
            ${now}, ${now}
          FROM "itemRows" r JOIN "upserted" u ON u."externalOrderId" = r.o
          ON CONFLICT ("tenantId", "marketplace", "externalOrderId", "orderItemId") DO UPDATE SET
            "orderId" = EXCLUDED."orderId", "sku" = EXCLUDED."sku", "asin" = EXCLUDED."asin", "title" = EXCLUDED."title",
            "quantity" = EXCLUDED."quantity", "quantityShipped" = EXCLUDED."quantityShipped",
            "itemPrice" = EXCLUDED."itemPrice", "itemTax" = EXCLUDED."itemTax", "shippingPrice" = EXCLUDED."shippingPrice",
            "shippingTax" = EXCLUDED."shippingTax", "giftWrapPrice" = EXCLUDED."giftWrapPrice",
            "giftWrapTax" = EXCLUDED."giftWrapTax", "promotionDiscount" = EXCLUDED."promotionDiscount",
            "currency" = EXCLUDED."currency", "itemStatus" = EXCLUDED."itemStatus", "raw" = EXCLUDED."raw",
            "lastUpdateDate" = EXCLUDED."lastUpdateDate", "updatedAt" = EXCLUDED."updatedAt"
          RETURNING 1)`
    }

    /** What `RETURNING` of the "upserted" CTE must give for `parts`. */
    const returning = sql.literal(`"id", "externalOrderId", "raw", "lastUpdateDate", (xmax = 0) AS inserted`)

    const count = (tenantId: string, marketplace: string) =>
      sql<{ n: string }>`SELECT count(*)::text AS n FROM "OrderItem" WHERE "tenantId" = ${tenantId} AND "marketplace" = ${marketplace}`.pipe(
        Effect.map(([row]) => Number(row!.n)),
        Effect.orDie
      )

    /** The stored items of some of a tenant's orders, in each order's item order (by id: `report-N` by N). */
    const of = (tenantId: string, marketplace: string, externalOrderIds: ReadonlyArray<string>) =>
      sql`
        SELECT "externalOrderId", "orderItemId", "sku", "asin", "title", "quantity", "quantityShipped",
          "itemPrice"::text AS "itemPrice", "itemTax"::text AS "itemTax", "shippingPrice"::text AS "shippingPrice",
          "shippingTax"::text AS "shippingTax", "giftWrapPrice"::text AS "giftWrapPrice", "giftWrapTax"::text AS "giftWrapTax",
          "promotionDiscount"::text AS "promotionDiscount", "currency", "itemStatus"
        FROM "OrderItem"
        WHERE "tenantId" = ${tenantId} AND "marketplace" = ${marketplace} AND "externalOrderId" = ANY(${externalOrderIds}::text[])
        ORDER BY "externalOrderId", length("orderItemId"), "orderItemId"`.pipe(Effect.orDie, Effect.flatMap(decodeItems))

    return { fromJson, fromStaging, createStaging, parts, returning, count, of } as const
  }),
  dependencies: [SharedColumns.Default]
}) {}
