import { Config, Metric, MetricBoundaries } from "effect"

/** What /metrics may say about single tenants. Defaults are written next to the names; docs/configuration.md lists them. */
export const MetricsConfig = Config.all({
  /** A `tenant` label on ordersync_backfill_progress_ratio: off, so that a scrape names no tenant (the fleet's figures below). */
  perTenant: Config.boolean("ORDERSYNC_METRICS_PER_TENANT").pipe(Config.withDefault(false))
})

// Every figure /metrics exports. Services update them; the HTTP layer only reads them.
export const spApiRequests = Metric.counter("ordersync_spapi_requests_total", {
  description: "SP-API requests by operation and HTTP status (0 = no response)",
  incremental: true
})
export const spApiThrottled = Metric.counter("ordersync_spapi_throttled_total", {
  description: "SP-API requests answered 429 QuotaExceeded",
  incremental: true
})
export const ordersUpserted = Metric.counter("ordersync_orders_upserted_total", {
  description: "Orders inserted or updated in \"Order\"",
  incremental: true
})
export const ordersQuarantined = Metric.counter("ordersync_orders_quarantined_total", {
  description: "Orders that failed to decode and were kept in quarantine",
  incremental: true
})
export const backfillProgress = Metric.gauge("ordersync_backfill_progress_ratio", {
  description: "Share of the requested backfill range covered, per tenant (0..1; only with ORDERSYNC_METRICS_PER_TENANT=true)"
})
export const amazonClockOffset = Metric.gauge("ordersync_amazon_clock_offset_seconds", {
  description: "Amazon's clock minus this host's, estimated from the Date header of Amazon's answers, per source"
})
export const leasesHeld = Metric.gauge("ordersync_leases_held", {
  description: "Tenant leases this process holds"
})
export const backfillTurns = Metric.gauge("ordersync_backfill_turns", {
  description: "Backfills allowed to work at once in this process, steered by the event-loop delay (at most ORDERSYNC_FETCHING_TENANTS)"
})
export const backfillTurnsWaiting = Metric.gauge("ordersync_backfill_turns_waiting", {
  description: "Backfills waiting for one of those turns (sampled with them, every 500 ms)"
})
export const chunkUpsertSeconds = Metric.histogram(
  "ordersync_chunk_upsert_seconds",
  MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 14 }),
  "Duration of one chunk transaction (upsert + checkpoint)"
)

// The fleet, from the database (every replica exports the same figures: aggregate them with max).
export const tenantsByStatus = Metric.gauge("ordersync_tenants", {
  description: "Tenants by status: none, in_progress, success, failed, paused, or parked (credentials refused)"
})
export const backfillStalledSeconds = Metric.gauge("ordersync_backfill_stalled_seconds", {
  description: "The longest an in-progress backfill has gone without a checkpoint (0 when none is in progress)"
})
export const backfillCoverageMean = Metric.gauge("ordersync_backfill_coverage_mean_ratio", {
  description: "Mean share of the requested range covered over the in-progress backfills (0..1; 1 when none is in progress)"
})
export const backfillCoverageMin = Metric.gauge("ordersync_backfill_coverage_min_ratio", {
  description: "Share of the requested range covered by the least-covered in-progress backfill (0..1; 1 when none is in progress)"
})

// The daemon's claim loop, per replica.
export const claimTickSeconds = Metric.histogram(
  "ordersync_claim_tick_seconds",
  MetricBoundaries.exponential({ start: 0.0005, factor: 2, count: 14 }),
  "Duration of one tick of the daemon's claim loop (database round trips included)"
)
export const tenantsWanting = Metric.gauge("ordersync_tenants_wanting", {
  description: "Tenants that want a replica (neither parked nor paused, or triggered), at the last count"
})
export const tenantsClaimable = Metric.gauge("ordersync_tenants_claimable", {
  description: "Tenants that want a replica and whose lease nobody holds, at the last count"
})
export const tenantsFairShare = Metric.gauge("ordersync_tenants_fair_share", {
  description: "How many tenants this replica takes at most: wanting tenants divided by live replicas, rounded up"
})
export const tenantsClaimed = Metric.counter("ordersync_tenants_claimed_total", {
  description: "Tenant leases this replica's claim loop took",
  incremental: true
})
export const tenantsHandedOver = Metric.counter("ordersync_tenants_handed_over_total", {
  description: "Tenant leases this replica gave up because it held more than its fair share",
  incremental: true
})
export const triggersNotified = Metric.counter("ordersync_triggers_notified_total", {
  description: "Trigger notifications (PostgreSQL LISTEN/NOTIFY) this replica received",
  incremental: true
})

/**
 * Effect's own runtime metrics (fibers started, active, ended and their lifetimes) are registered without a
 * description; /metrics gives them these, so that no metric is exported without one.
 */
export const runtimeMetricDescriptions: Readonly<Record<string, string>> = {
  effect_fiber_started: "Fibers started by the Effect runtime",
  effect_fiber_active: "Fibers running now in the Effect runtime",
  effect_fiber_successes: "Fibers that ended with a success",
  effect_fiber_failures: "Fibers that ended with a failure",
  effect_fiber_lifetimes: "How long fibers ran, from start to end"
}
