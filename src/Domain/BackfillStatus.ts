import { Schema } from "effect"

export const BackfillStatusValue = Schema.Literal("in_progress", "success", "failed", "paused")

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
  estimatedSecondsRemaining: Schema.NullOr(Schema.Number)
}) {}

/** The seed's status JSON, plus ordersync's progress and sync fields. */
export class BackfillStatus extends Schema.Class<BackfillStatus>("BackfillStatus")({
  tenantId: Schema.String,
  initialBackfillDays: Schema.NullOr(Schema.Number),
  initialBackfillDoneAt: Schema.NullOr(Schema.String),
  initialBackfillStatus: Schema.NullOr(BackfillStatusValue),
  ordersCount: Schema.Number,
  oldestOrderDate: Schema.NullOr(Schema.String),
  lastError: Schema.NullOr(Schema.String),
  lastSyncAt: Schema.NullOr(Schema.String),
  cursor: Schema.NullOr(Schema.String),
  /** The process driving the tenant right now, if any. */
  leaseHolder: Schema.NullOr(Schema.String),
  progress: BackfillProgress
}) {}
