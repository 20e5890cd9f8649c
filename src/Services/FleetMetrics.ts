import { Effect, Layer, Metric, Schedule } from "effect"
import { backfillStalledSeconds, tenantsByStatus } from "./Metrics.js"
import { FleetGauges } from "./Store/FleetGauges.js"

const STATUSES = ["none", "in_progress", "success", "failed", "paused", "parked"] as const

// About a Prometheus scrape interval: one statement per replica, a join of the tenant and state tables plus the
// checkpoints of the in-progress tenants.
const EVERY = "15 seconds"

/** Keeps the fleet's gauges (tenants by status, the most stalled backfill) current while `serve` runs. */
export const FleetMetricsLive = Layer.scopedDiscard(
  Effect.gen(function*() {
    const fleet = yield* FleetGauges
    const refresh = Effect.gen(function*() {
      const rows = yield* fleet.overview
      for (const status of STATUSES) {
        const n = rows.find((row) => row.status === status)?.tenants ?? 0
        yield* Metric.set(Metric.tagged(tenantsByStatus, "status", status), n)
      }
      const stalled = rows.find((row) => row.status === "in_progress")?.stalledSeconds ?? 0
      yield* Metric.set(backfillStalledSeconds, Math.max(0, Math.round(stalled)))
    })
    yield* refresh.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("could not read the fleet's figures", cause)),
      Effect.repeat(Schedule.spaced(EVERY)),
      Effect.forkScoped
    )
  })
).pipe(Layer.provide(FleetGauges.Default))
