import { Schema } from "effect"

/** The two order tracking reports the simulator serves; any other type is refused with a 400. */
export const orderReportTypes = [
  "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
  "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
] as const
export type OrderReportType = (typeof orderReportTypes)[number]

export const isOrderReportType = (value: string): value is OrderReportType =>
  (orderReportTypes as ReadonlyArray<string>).includes(value)

/** Charsets a report file can be written in; the download's Content-Type names it. */
export const Charset = Schema.Literal("UTF-8", "windows-1252", "Shift_JIS")
export type Charset = typeof Charset.Type

const Seconds = Schema.Number.pipe(Schema.nonNegative())

/**
 * How one seller's reports are processed. Every duration is in Amazon seconds (divided by
 * `timeFactor`). Amazon documents none of these numbers: the defaults are assumptions built on
 * what users report ("a few minutes normally, over an hour during incidents").
 */
export const ReportSettings = Schema.Struct({
  /** Wait in IN_QUEUE before processing starts, even when nothing else is queued. */
  queueSeconds: Schema.optionalWith(Seconds, { default: () => 30 }),
  /** Processing time of every report, whatever its size. */
  fixedSeconds: Schema.optionalWith(Seconds, { default: () => 120 }),
  /** Processing time added per 1,000 rows (order items). */
  secondsPerThousandRows: Schema.optionalWith(Seconds, { default: () => 1 }),
  /** Orders changed this recently before processing starts are not in the report yet (Amazon: up to 30 minutes). */
  lagSeconds: Schema.optionalWith(Seconds, { default: () => 1800 }),
  /** The presigned document URL's lifetime: Amazon documents 5 minutes. */
  documentUrlLifetimeSeconds: Schema.optionalWith(Schema.Number.pipe(Schema.positive()), { default: () => 300 }),
  /** The file's charset unless `charsets` names one for the report's first marketplace. UTF-8 files start with a BOM. */
  charset: Schema.optionalWith(Charset, { default: () => "UTF-8" as const }),
  /** Legacy charsets per marketplace id, e.g. `{ "A1VC38T7YXB528": "Shift_JIS", "A1PA6795UKMFR9": "windows-1252" }`. */
  charsets: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Charset }), { default: () => ({}) }),
  /**
   * An order tracking report holds every marketplace of the seller's region whatever `marketplaceIds` asked, as the
   * field reports (amzn/selling-partner-api-models#2209, #534, #2513; amzn/selling-partner-api-docs#1404;
   * jlevers/selling-partner-api#173). False: only the marketplaces asked for, as the model reads.
   */
  regionWide: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  /**
   * Share of the seller's orders that also come with a multi-channel fulfilment order (`sales-channel` "Non-Amazon")
   * in the region-wide report. The Orders API lists those under a Non-Amazon marketplace the seller is not set up
   * with (amzn/selling-partner-api-docs#761), so they are in no Orders API answer and no ground truth.
   */
  nonAmazonShare: Schema.optionalWith(Schema.Number.pipe(Schema.between(0, 1)), { default: () => 0 }),
  /**
   * Amazon seconds after a FATAL report during which the same report (type and range) asked again ends FATAL too:
   * a cool-down Amazon does not document (Airbyte waits between a type's reports: airbytehq/airbyte#42052).
   */
  fatalCooldownSeconds: Schema.optionalWith(Seconds, { default: () => 0 })
})
export type ReportSettings = typeof ReportSettings.Type

export const defaultReportSettings: ReportSettings = Schema.decodeUnknownSync(ReportSettings)({})

/** Reports are retained for at most 90 days: `getReports`' createdSince default (reports_2021-06-30.json). */
export const RETENTION_SECONDS = 90 * 86_400
/** "Order reports are retained for 30 days" (Amazon docs, "Order Reports"): then getReport and the document are gone. */
export const ORDER_REPORT_RETENTION_SECONDS = 30 * 86_400
/** "Date range exceeded. Report can be requested only upto 30 days": the window is calendar time, never scaled. */
export const MAX_WINDOW_MS = 30 * 86_400_000
