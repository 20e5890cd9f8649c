import { Metric, MetricBoundaries } from "effect"

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
  description: "Share of the requested backfill range covered, per tenant (0..1)"
})
export const amazonClockOffset = Metric.gauge("ordersync_amazon_clock_offset_seconds", {
  description: "Amazon's clock minus this host's, estimated from the Date header of Amazon's answers, per source"
})
export const leasesHeld = Metric.gauge("ordersync_leases_held", {
  description: "Tenant leases this process holds"
})
export const chunkUpsertSeconds = Metric.histogram(
  "ordersync_chunk_upsert_seconds",
  MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 14 }),
  "Duration of one chunk transaction (upsert + checkpoint)"
)

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
