import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Option, Schema } from "effect"
import { StoredTime } from "../../Domain/StoredTime.js"
import { MARKETPLACE } from "./OrderRepo.js"
import { decodeRows } from "./Rows.js"

/** A stored order as the console lists it: its header, not its `raw` (its items come from OrderItems `of`). */
export const StoredOrderHeader = Schema.Struct({
  externalOrderId: Schema.String,
  marketplaceId: Schema.NullOr(Schema.String),
  orderDate: Schema.NullOr(StoredTime),
  orderStatus: Schema.NullOr(Schema.String),
  fulfillmentChannel: Schema.NullOr(Schema.String),
  totalAmount: Schema.NullOr(Schema.String),
  currency: Schema.NullOr(Schema.String),
  itemsCount: Schema.NullOr(Schema.Number)
})
export type StoredOrderHeader = typeof StoredOrderHeader.Type

/** A tenant's newest orders by order date, and one order by its id: the console's read of "Order". */
export class RecentOrders extends Effect.Service<RecentOrders>()("ordersync/RecentOrders", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const decode = decodeRows("Order", StoredOrderHeader)
    const columns = sql.literal(`"externalOrderId", "marketplaceId", "orderDate", "orderStatus", "fulfillmentChannel",
      "totalAmount"::text AS "totalAmount", "currency", "itemsCount"`)

    /** The `limit` newest orders (the index on ("tenantId", "orderDate" DESC) serves it; ties by id). */
    const newest = (tenantId: string, limit: number) =>
      sql`SELECT ${columns} FROM "Order"
        WHERE "tenantId" = ${tenantId} AND "marketplace" = ${MARKETPLACE}
        ORDER BY "orderDate" DESC NULLS LAST, "externalOrderId" DESC
        LIMIT ${limit}`.pipe(Effect.orDie, Effect.flatMap(decode))

    const byId = (tenantId: string, externalOrderId: string) =>
      sql`SELECT ${columns} FROM "Order"
        WHERE "tenantId" = ${tenantId} AND "marketplace" = ${MARKETPLACE} AND "externalOrderId" = ${externalOrderId}`.pipe(
        Effect.orDie,
        Effect.flatMap(decode),
        Effect.map((rows) => Option.fromNullable(rows[0]))
      )

    return { newest, byId } as const
  })
}) {}
