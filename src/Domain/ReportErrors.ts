import { Schema } from "effect"

/** A report document ordersync cannot read at all (bad gzip, unknown charset, a header without the columns it needs). */
export class ReportDocumentError extends Schema.TaggedError<ReportDocumentError>()("ReportDocumentError", {
  reason: Schema.String
}) {
  override get message() {
    return `report document: ${this.reason}`
  }
}

/** Amazon wrote "Date range exceeded…" instead of a report: the window must be split (at most about 30 days). */
export class ReportDateRangeExceeded extends Schema.TaggedError<ReportDateRangeExceeded>()("ReportDateRangeExceeded", {
  /** What Amazon wrote, e.g. "Date range exceeded. Report can be requested only upto 30 days". */
  text: Schema.String
}) {
  override get message() {
    return `Amazon refused the report's date range: ${this.text}`
  }
}
