import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { MARKETPLACE } from "./OrderRepo.js"

export interface FleetRow {
  /** `parked` (credentials refused) before the backfill status; `none` before a first backfill. */
  readonly status: string
  readonly tenants: number
  /** The longest any tenant of this status has gone without a checkpoint (windows, report windows, run start). */
  readonly stalledSeconds: number | null
}

/** Every tenant of the database at a glance, for the fleet's metrics: one statement, whatever the replica. */
export class Fleet extends Effect.Service<Fleet>()("ordersync/Fleet", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const overview = sql<FleetRow>`
      WITH tenant AS (
        SELECT
          CASE WHEN t."parkedReason" IS NOT NULL THEN 'parked' ELSE coalesce(s."initialBackfillStatus", 'none') END AS status,
          greatest(
            (SELECT max(w."updatedAt") FROM "OrderSyncWindow" w WHERE w."tenantId" = t."tenantId"),
            (SELECT max(r."updatedAt") FROM "OrderSyncReportWindow" r WHERE r."tenantId" = t."tenantId"),
            (SELECT b."startedAt" FROM "OrderSyncBackfill" b WHERE b."tenantId" = t."tenantId")
          ) AS "lastCheckpoint"
        FROM "OrderSyncTenant" t
        LEFT JOIN "MarketplaceSyncState" s ON s."tenantId" = t."tenantId" AND s."marketplace" = ${MARKETPLACE}
      )
      SELECT status, count(*)::int AS tenants,
        max(extract(epoch FROM now() - "lastCheckpoint"))::float8 AS "stalledSeconds"
      FROM tenant GROUP BY status`.pipe(Effect.orDie)

    return { overview } as const
  })
}) {}
