import { Schema } from "effect"

export const BackfillStatusValue = Schema.Literal("in_progress", "success", "failed", "paused")

/** The reports path of a backfill: its windows (one report each) by state, and what they stored. */
export class ReportsProgress extends Schema.Class<ReportsProgress>("ReportsProgress")({
  windows: Schema.Number,
  /** Windows whose report is waiting in Amazon's queue, being processed, stored (or empty), or handed to the Orders API. */
  queued: Schema.Number,
  processing: Schema.Number,
  done: Schema.Number,
  fallback: Schema.Number,
  rowsStored: Schema.Number,
  ordersStored: Schema.Number,
  /**
   * Orders in the documents that are not the tenant's: Amazon writes every marketplace of the seller's region into an
   * order report whatever it was asked, and multi-channel (`Non-Amazon`) orders; counted, not stored.
   */
  ordersDropped: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  /** Amazon's processing time of the reports seen so far, summed. */
  processingSeconds: Schema.Number,
  /**
   * How this tenant's report rows make an order's total (ReportOrders.ts `ReportTotalRule`): `additive`, `taxIncluded`
   * (VAT inside the prices), `none` (no rule gave the Orders API's totals: the history goes through the Orders API),
   * or null while no order priced by both has told.
   */
  totalRule: Schema.optionalWith(Schema.NullOr(Schema.Literal("additive", "taxIncluded", "none")), { default: () => null }),
  /** How the rule was chosen: the orders compared, or why none fits. */
  totalRuleReason: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
}) {}

/** How far a backfill is, and how fast it goes. */
export class BackfillProgress extends Schema.Class<BackfillProgress>("BackfillProgress")({
  rangeStart: Schema.NullOr(Schema.String),
  rangeEnd: Schema.NullOr(Schema.String),
  startedAt: Schema.NullOr(Schema.String),
  windowsDone: Schema.Number,
  windowsTotal: Schema.Number,
  pages: Schema.Number,
  ordersFetched: Schema.Number,
  requests: Schema.Number,
  requestsPer100Orders: Schema.NullOr(Schema.Number),
  throttledRequests: Schema.Number,
  quarantinedOrders: Schema.Number,
  /** Share of the requested time range covered so far (0..1). */
  coverage: Schema.Number,
  ordersPerMinute: Schema.NullOr(Schema.Number),
  requestsPerMinute: Schema.NullOr(Schema.Number),
  estimatedSecondsRemaining: Schema.NullOr(Schema.Number),
  /** The history path (`orders`: Orders API pages; `reports`: order reports, the last minutes from the API) and why. */
  historySource: Schema.NullOr(Schema.Literal("orders", "reports")),
  historyReason: Schema.NullOr(Schema.String),
  reports: Schema.NullOr(ReportsProgress)
}) {}

/** The seed's status JSON, plus ordersync's progress and sync fields. */
export class BackfillStatus extends Schema.Class<BackfillStatus>("BackfillStatus")({
  tenantId: Schema.String,
  initialBackfillDays: Schema.NullOr(Schema.Number),
  initialBackfillDoneAt: Schema.NullOr(Schema.String),
  initialBackfillStatus: Schema.NullOr(BackfillStatusValue),
  ordersCount: Schema.Number,
  /** Rows of "OrderItem" for the tenant's orders. */
  itemsCount: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  oldestOrderDate: Schema.NullOr(Schema.String),
  lastError: Schema.NullOr(Schema.String),
  lastSyncAt: Schema.NullOr(Schema.String),
  cursor: Schema.NullOr(Schema.String),
  /** The process driving the tenant right now, if any. */
  leaseHolder: Schema.NullOr(Schema.String),
  progress: BackfillProgress
}) {}
