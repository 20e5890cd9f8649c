import * as SqlClient from "@effect/sql/SqlClient"
import type { Fragment } from "@effect/sql/Statement"
import { Effect } from "effect"
import { IncompatibleTable } from "../../Domain/Errors.js"

/** How a time column of a shared table is typed: Prisma's TIMESTAMP(3), TIMESTAMPTZ, or text (a `String?`). */
export type TimeType = "timestamp" | "timestamptz" | "text"

const timeTypes: Record<string, TimeType> = {
  "timestamp without time zone": "timestamp",
  "timestamp with time zone": "timestamptz",
  "text": "text",
  "character varying": "text"
}

interface Column {
  readonly table: string
  readonly column: string
  readonly dataType: string
  readonly nullable: boolean
  readonly hasDefault: boolean
}

// What ordersync writes into the original backend's tables; any other NOT NULL column needs a default.
const ORDER_WRITES = [
  "id", "tenantId", "marketplace", "externalOrderId", "marketplaceId", "orderDate", "lastUpdateDate", "orderStatus",
  "fulfillmentChannel", "salesChannel", "totalAmount", "currency", "itemsCount", "raw", "createdAt", "updatedAt"
]
// Null for some orders (a Pending order has no total): NOT NULL there would fail those orders' chunks.
const ORDER_MAYBE_NULL = ["marketplaceId", "fulfillmentChannel", "salesChannel", "totalAmount", "currency", "itemsCount"]
// A new state row is inserted with these, then updated.
const STATE_INSERTS = ["id", "tenantId", "marketplace", "createdAt", "updatedAt"]

// The time columns of each table; true: only a timestamp type will do (ordersync compares them in SQL).
const ORDER_TIMES = { orderDate: true, lastUpdateDate: true, createdAt: false, updatedAt: false } as const
const STATE_TIMES = { cursor: false, lastSyncAt: false, initialBackfillDoneAt: false, createdAt: false, updatedAt: false } as const

/** A timestamptz SQL expression converted to a column of the given type (text: ISO 8601 in UTC, like `toISOString`). */
export const fromTimestamptz = (type: TimeType, expression: string): string => {
  switch (type) {
    case "timestamp":
      return `(${expression}) AT TIME ZONE 'UTC'`
    case "timestamptz":
      return expression
    case "text":
      return `to_char((${expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
  }
}

/**
 * The column types of the tables ordersync shares with the original backend ("Order", "MarketplaceSyncState"), read
 * from information_schema once at start: ordersync adapts to them and never changes them (the original backend's code
 * relies on them). A table it could not write correctly fails the start, naming the columns.
 */
export class SharedColumns extends Effect.Service<SharedColumns>()("ordersync/SharedColumns", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const columns = yield* sql<Column>`
      SELECT table_name AS "table", column_name AS "column", data_type AS "dataType", is_nullable = 'YES' AS "nullable",
        (column_default IS NOT NULL OR is_identity = 'YES' OR is_generated <> 'NEVER') AS "hasDefault"
      FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name IN ('Order', 'MarketplaceSyncState')`.pipe(Effect.orDie)
    const of = (table: string) => new Map(columns.filter((c) => c.table === table).map((c) => [c.column, c]))

    const check = (
      table: string,
      written: ReadonlyArray<string>,
      times: Record<string, boolean>,
      numeric: ReadonlyArray<string> = []
    ) =>
      Effect.gen(function*() {
        const found = of(table)
        const problems: Array<string> = []
        const types: Record<string, TimeType> = {}
        for (const [name, timestampOnly] of Object.entries(times)) {
          const type = timeTypes[found.get(name)?.dataType ?? "missing"]
          if (type === undefined || (timestampOnly && type === "text")) {
            problems.push(`"${name}" is ${found.get(name)?.dataType ?? "missing"} (ordersync needs ${
              timestampOnly ? "TIMESTAMP(3) or TIMESTAMPTZ" : "TIMESTAMP(3), TIMESTAMPTZ or TEXT"})`)
          } else {
            types[name] = type
          }
        }
        for (const name of numeric) {
          const type = found.get(name)?.dataType ?? "missing"
          if (type !== "numeric") problems.push(`"${name}" is ${type} (ordersync needs NUMERIC, which keeps Amazon's value)`)
        }
        for (const column of found.values()) {
          if (!column.nullable && !column.hasDefault && !written.includes(column.column)) {
            problems.push(`"${column.column}" is NOT NULL without a default, and ordersync does not write it (give it a default)`)
          }
        }
        if (problems.length > 0) return yield* Effect.die(new IncompatibleTable({ table, problems }))
        return types
      })

    const order = yield* check("Order", ORDER_WRITES, ORDER_TIMES, ["totalAmount"])
    const syncState = yield* check("MarketplaceSyncState", STATE_INSERTS, STATE_TIMES)
    const asText = Object.entries(syncState).filter(([, type]) => type === "text").map(([name]) => `"${name}"`)
    if (asText.length > 0) {
      yield* Effect.logInfo(`"MarketplaceSyncState" holds ${asText.join(", ")} as text: read as ISO 8601 or PostgreSQL's ` +
        `text form, written as ISO 8601 in UTC`)
    }
    const strict = ORDER_MAYBE_NULL.filter((name) => of("Order").get(name)?.nullable === false)
    if (strict.length > 0) {
      yield* Effect.logWarning(`"Order" has NOT NULL ${strict.map((c) => `"${c}"`).join(", ")}: ordersync leaves them null ` +
        `for some orders (a Pending order has no total), and a chunk holding such an order fails`)
    }

    /** A time (or null) as a value of the column's type. */
    const timeValue = (type: TimeType, date: Date | null | undefined): Fragment => {
      const iso = date == null ? null : date.toISOString()
      switch (type) {
        case "timestamp":
          return sql`${iso}::timestamptz AT TIME ZONE 'UTC'`
        case "timestamptz":
          return sql`${iso}::timestamptz`
        case "text":
          return sql`${iso}::text`
      }
    }

    /** The transaction's time as a value of the column's type. */
    const timeNow = (type: TimeType): Fragment => sql.literal(fromTimestamptz(type, "now()"))

    return {
      order: order as Record<keyof typeof ORDER_TIMES, TimeType>,
      syncState: syncState as Record<keyof typeof STATE_TIMES, TimeType>,
      timeValue,
      timeNow
    } as const
  })
}) {}
