import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { MARKETPLACE } from "./OrderRepo.js"

export interface FleetRow {
  /** `parked` (credentials refused) before the backfill status; `none` before a first backfill. */
  readonly status: string
  readonly tenants: number
  /** In progress: the longest any such tenant has gone without a checkpoint (windows, report windows, run start). */
  readonly stalledSeconds: number | null
  /** In progress: the mean and the least share of their ranges covered (0 for a tenant without a run yet). */
  readonly meanCoverage: number | null
  readonly minCoverage: number | null
}

/** Every tenant of the database at a glance, for the fleet's metrics: one statement, whatever the replica. */
export class FleetGauges extends Effect.Service<FleetGauges>()("ordersync/FleetGauges", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    // The checkpoints are looked up for in-progress tenants only (CASE is evaluated lazily): a fleet of 100,000 done
    // tenants costs one join of the tenant and state tables, not 100,000 lookups of their windows. The coverage is
    // SyncStateRepo's (covered seconds of the windows and done report windows over the range), for all at once.
    const overview = sql<FleetRow>`
      WITH tenant AS (
        SELECT t."tenantId",
          CASE WHEN t."parkedReason" IS NOT NULL THEN 'parked' ELSE coalesce(s."initialBackfillStatus", 'none') END AS status
        FROM "OrderSyncTenant" t
        LEFT JOIN "MarketplaceSyncState" s ON s."tenantId" = t."tenantId" AND s."marketplace" = ${MARKETPLACE}
      ), progress AS (
        SELECT status,
          CASE WHEN status = 'in_progress' THEN extract(epoch FROM now() - greatest(
            (SELECT max(w."updatedAt") FROM "OrderSyncWindow" w WHERE w."tenantId" = tenant."tenantId"),
            (SELECT max(r."updatedAt") FROM "OrderSyncReportWindow" r WHERE r."tenantId" = tenant."tenantId"),
            (SELECT b."startedAt" FROM "OrderSyncBackfill" b WHERE b."tenantId" = tenant."tenantId")
          )) END AS stalled,
          CASE WHEN status = 'in_progress' THEN coalesce((
            SELECT least(1, (
              coalesce((SELECT sum(greatest(0, extract(epoch FROM
                  (CASE WHEN w."status" = 'done' THEN w."endAt" ELSE w."resumeAfter" END) - w."startAt")))
                FROM "OrderSyncWindow" w WHERE w."tenantId" = b."tenantId"), 0)
              + coalesce((SELECT sum(extract(epoch FROM r."endAt" - r."startAt"))
                FROM "OrderSyncReportWindow" r WHERE r."tenantId" = b."tenantId" AND r."status" = 'done'), 0)
            ) / greatest(0.001, extract(epoch FROM b."rangeEnd" - b."rangeStart")))
            FROM "OrderSyncBackfill" b WHERE b."tenantId" = tenant."tenantId"), 0) END AS coverage
        FROM tenant
      )
      SELECT status, count(*)::int AS tenants, max(stalled)::float8 AS "stalledSeconds",
        avg(coverage)::float8 AS "meanCoverage", min(coverage)::float8 AS "minCoverage"
      FROM progress GROUP BY status`.pipe(Effect.orDie)

    return { overview } as const
  })
}) {}
