import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { MARKETPLACE } from "./OrderRepo.js"

export interface FleetRow {
  /** `parked` (credentials refused) before the backfill status; `none` before a first backfill. */
  readonly status: string
  readonly tenants: number
  /** In progress: the longest any such tenant has gone without a checkpoint (windows, report windows, run start). */
  readonly stalledSeconds: number | null
}

/** Every tenant of the database at a glance, for the fleet's metrics: one statement, whatever the replica. */
export class FleetGauges extends Effect.Service<FleetGauges>()("ordersync/FleetGauges", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    // The checkpoints are looked up for in-progress tenants only (CASE is evaluated lazily): a fleet of 100,000 done
    // tenants costs one join of the tenant and state tables, not 100,000 lookups of their windows.
    const overview = sql<FleetRow>`
      WITH tenant AS (
        SELECT t."tenantId",
          CASE WHEN t."parkedReason" IS NOT NULL THEN 'parked' ELSE coalesce(s."initialBackfillStatus", 'none') END AS status
        FROM "OrderSyncTenant" t
        LEFT JOIN "MarketplaceSyncState" s ON s."tenantId" = t."tenantId" AND s."marketplace" = ${MARKETPLACE}
      )
      SELECT status, count(*)::int AS tenants,
        max(CASE WHEN status = 'in_progress' THEN extract(epoch FROM now() - greatest(
          (SELECT max(w."updatedAt") FROM "OrderSyncWindow" w WHERE w."tenantId" = tenant."tenantId"),
          (SELECT max(r."updatedAt") FROM "OrderSyncReportWindow" r WHERE r."tenantId" = tenant."tenantId"),
          (SELECT b."startedAt" FROM "OrderSyncBackfill" b WHERE b."tenantId" = tenant."tenantId")
        )) END)::float8 AS "stalledSeconds"
      FROM tenant GROUP BY status`.pipe(Effect.orDie)

    return { overview } as const
  })
}) {}
