import { Config, Duration } from "effect"

export const HistorySource = Config.literal("auto", "orders", "reports")("ORDERSYNC_HISTORY_SOURCE").pipe(
  Config.withDefault("auto" as const)
)

/** How a backfill fetches history. Defaults are written next to the names; docs/configuration.md lists them. */
export const BackfillConfig = Config.all({
  /** Orders per checkpoint window: windows follow the volume, never multiplying requests. */
  windowOrders: Config.integer("ORDERSYNC_WINDOW_ORDERS").pipe(Config.withDefault(10_000)),
  /** The most backfills working at the same moment in one process (starting, fetching pages, finishing; the number in use follows the event-loop delay, see Turns); the others wait their turn (see History/Drive). */
  fetchingTenants: Config.integer("ORDERSYNC_FETCHING_TENANTS").pipe(
    Config.withDefault(64),
    Config.validate({ message: "ORDERSYNC_FETCHING_TENANTS must be at least 1", validation: (n) => n >= 1 })
  ),
  deltaOverlap: Config.integer("ORDERSYNC_DELTA_OVERLAP_SECONDS").pipe(Config.withDefault(900), Config.map(Duration.seconds)),
  /** auto (the planner picks per tenant), orders (Orders API only) or reports (order reports, tail from the API). */
  historySource: HistorySource,
  /** FE tenants under `auto`: `proven` (reports once one of the seller's delivered), `always` or `never` (Planner.ts). */
  reportsFe: Config.literal("proven", "always", "never")("ORDERSYNC_REPORTS_FE").pipe(Config.withDefault("proven" as const))
})

/** The reports path: Amazon's documented limits and our assumptions about its timing. */
export const ReportsConfig = Config.all({
  /** Orders changed this recently are not in a report yet (Amazon: up to 30 minutes): that tail comes from the API. */
  lag: Config.number("ORDERSYNC_REPORT_LAG_SECONDS").pipe(Config.withDefault(1800), Config.map((s) => Duration.millis(s * 1000))),
  /** First wait between two getReport polls; it grows by half each poll up to 8 times this. */
  poll: Config.number("ORDERSYNC_REPORT_POLL_SECONDS").pipe(Config.withDefault(15), Config.map((s) => Duration.millis(s * 1000))),
  /** A report not DONE this long after it was requested is cancelled and asked again (then the Orders API). */
  deadline: Config.number("ORDERSYNC_REPORT_DEADLINE_SECONDS").pipe(Config.withDefault(4 * 3600), Config.map((s) => Duration.millis(s * 1000))),
  /**
   * After a FATAL report, the wait before the window's report is asked again: the report type's cool-down. Amazon
   * documents none; Airbyte's connector waits between a type's reports by the thresholds Amazon's support gave it
   * (airbytehq/airbyte#42052). Asked at once, a report in its cool-down ends FATAL again.
   */
  fatalWait: Config.number("ORDERSYNC_REPORT_FATAL_WAIT_SECONDS").pipe(Config.withDefault(1800), Config.map((s) => Duration.millis(s * 1000))),
  /** createReport calls per window before the window goes to the Orders API. */
  attempts: Config.integer("ORDERSYNC_REPORT_ATTEMPTS").pipe(Config.withDefault(3)),
  /** The planner's guess of one report's processing time until this seller's own are seen. */
  estimate: Config.number("ORDERSYNC_REPORT_SECONDS_ESTIMATE").pipe(Config.withDefault(300)),
  /** Orders per transaction when storing a report document. */
  chunkOrders: Config.integer("ORDERSYNC_REPORT_CHUNK_ORDERS").pipe(Config.withDefault(5000))
})
