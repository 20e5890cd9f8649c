import { Effect, Layer, Metric, Schedule } from "effect"
import { backfillCoverageMean, backfillCoverageMin, backfillStalledSeconds, tenantsByStatus } from "./Metrics.js"
import { FleetGauges } from "./Store/FleetGauges.js"

const STATUSES = ["none", "in_progress", "success", "failed", "paused", "parked"] as const

// About a Prometheus scrape interval: one statement per replica, a join of the tenant and state tables plus the
// checkpoints of the in-progress tenants.
const EVERY = "15 seconds"

/** Sets the fleet's gauges from the database once: tenants by status, the most stalled backfill, the coverage. */
export const refreshFleetMetrics = Effect.gen(function*() {
  const rows = yield* (yield* FleetGauges).overview
  for (const status of STATUSES) {
    const n = rows.find((row) => row.status === status)?.tenants ?? 0
    yield* Metric.set(Metric.tagged(tenantsByStatus, "status", status), n)
  }
  const inProgress = rows.find((row) => row.status === "in_progress")
  yield* Metric.set(backfillStalledSeconds, Math.max(0, Math.round(inProgress?.stalledSeconds ?? 0)))
  // Without a backfill in progress nothing is left to cover: 1, as a finished backfill's own coverage.
  yield* Metric.set(backfillCoverageMean, inProgress?.meanCoverage ?? 1)
  yield* Metric.set(backfillCoverageMin, inProgress?.minCoverage ?? 1)
})

/** Keeps the fleet's gauges current while `serve` runs. */
export const FleetMetricsLive = Layer.scopedDiscard(
  refreshFleetMetrics.pipe(
    Effect.catchAllCause((cause) => Effect.logWarning("could not read the fleet's figures", cause)),
    Effect.repeat(Schedule.spaced(EVERY)),
    Effect.forkScoped
  )
).pipe(Layer.provide(FleetGauges.Default))
