import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { MARKETPLACE } from "./OrderRepo.js"

/** An order of a report chunk, as the version the report shows. */
export interface ReportVersion {
  readonly externalOrderId: string
  readonly lastUpdateDate: Date
}

/** A stored order the Orders API priced. */
export interface ApiTotal {
  readonly externalOrderId: string
  readonly totalAmount: string
  readonly currency: string | null
}

/**
 * What a tenant's report total rule is chosen from (see Domain/TotalRule.ts): the orders of a report chunk that are
 * already stored from the Orders API in the same version, with a total.
 */
export class TotalRules extends Effect.Service<TotalRules>()("ordersync/TotalRules", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    /**
     * One statement by ids (the unique index of "Order"). The versions are compared as instants whatever the column's
     * type (EXTRACT(EPOCH) reads a TIMESTAMP(3) as UTC, which is how ordersync writes it).
     */
    const pricedByApi = (tenantId: string, orders: ReadonlyArray<ReportVersion>): Effect.Effect<ReadonlyArray<ApiTotal>> =>
      orders.length === 0
        ? Effect.succeed([])
        : sql<ApiTotal>`
            SELECT o."externalOrderId", o."totalAmount"::text AS "totalAmount", o."currency"
            FROM unnest(${orders.map((o) => o.externalOrderId)}::text[], ${orders.map((o) => o.lastUpdateDate.toISOString())}::timestamptz[])
              AS u(id, lu)
            JOIN "Order" o ON o."tenantId" = ${tenantId} AND o."marketplace" = ${MARKETPLACE} AND o."externalOrderId" = u.id
            WHERE o."totalAmount" IS NOT NULL AND (o."raw" ->> 'source') IS DISTINCT FROM 'report'
              AND extract(epoch FROM o."lastUpdateDate") = extract(epoch FROM u.lu)`.pipe(Effect.orDie)

    return { pricedByApi } as const
  })
}) {}
