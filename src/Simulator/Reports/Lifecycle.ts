import { createHash } from "node:crypto"
import type { Faults } from "../Config.js"
import type { OrderBook } from "../OrderBook.js"
import { SECOND } from "../OrderBook.js"
import { hashString, makeRandom, mixSeed } from "../Random.js"
import { type ReportOrder, type ReportQuery, reportGroundTruth, rowCount } from "./Content.js"
import { MAX_WINDOW_MS, ORDER_REPORT_RETENTION_SECONDS, type ReportSettings } from "./Settings.js"

/**
 * What a report was drawn to become when it was created: a normal one, a FATAL one, one stuck IN_PROGRESS, one
 * cancelled on request before processing by someone else (no processing times), or one that ends CANCELLED after
 * processing as if it had no data although it has (a report type that does not work for the seller, finding F6).
 */
export type Fate = "normal" | "fatal" | "stuck" | "cancelled" | "empty"

export type ProcessingStatus = "IN_QUEUE" | "IN_PROGRESS" | "DONE" | "CANCELLED" | "FATAL"

export interface ReportRecord extends ReportQuery {
  readonly reportId: string
  readonly documentId: string
  readonly createdAt: number
  readonly fate: Fate
  /** Set when cancelReport cancelled it while IN_QUEUE. */
  cancelledAt: number | undefined
  /** The schedule, in real ms; recomputed for queued reports when one before them is cancelled. */
  startAt: number
  endAt: number
  /** The order book time the report describes: processing start minus the lag. */
  snapshotAt: number
  rows: number
}

export interface ReportState {
  readonly processingStatus: ProcessingStatus
  readonly processingStartTime?: number
  readonly processingEndTime?: number
  readonly reportDocumentId?: string
}

export const rangeExceeded = (report: ReportQuery): boolean => report.dataEnd - report.dataStart > MAX_WINDOW_MS

/**
 * A report's state at `now`, computed from its schedule (no timers): IN_QUEUE until it starts,
 * IN_PROGRESS until it ends, then DONE, CANCELLED (no data, as Amazon does) or FATAL. A stuck report
 * stays IN_PROGRESS for ever; a window over 30 days ends DONE with a "Date range exceeded" document.
 */
export const stateOf = (report: ReportRecord, now: number): ReportState => {
  if (report.cancelledAt !== undefined || report.fate === "cancelled") return { processingStatus: "CANCELLED" }
  if (now < report.startAt) return { processingStatus: "IN_QUEUE" }
  const started = { processingStartTime: report.startAt }
  if (now < report.endAt || report.fate === "stuck") return { processingStatus: "IN_PROGRESS", ...started }
  const ended = { ...started, processingEndTime: report.endAt }
  if (report.fate === "fatal") return { processingStatus: "FATAL", ...ended, reportDocumentId: report.documentId }
  if (report.fate === "empty" || (!rangeExceeded(report) && report.rows === 0)) return { processingStatus: "CANCELLED", ...ended }
  return { processingStatus: "DONE", ...ended, reportDocumentId: report.documentId }
}

export interface ReportStoreOptions {
  readonly sellerId: string
  readonly seed: number
  readonly settings: ReportSettings
  readonly timeFactor: number
  readonly book: () => OrderBook
  readonly faults: () => Faults
}

/** One seller's reports, processed one after another: the 13th report of a year waits for the 12 before it. */
export interface ReportStore {
  readonly settings: ReportSettings
  readonly create: (query: ReportQuery, now: number) => ReportRecord
  /** Reports Amazon still answers (order reports: created in the last 30 days), oldest first. */
  readonly list: (now: number) => ReadonlyArray<ReportRecord>
  readonly find: (reportId: string, now: number) => ReportRecord | undefined
  readonly findDocument: (documentId: string, now: number) => ReportRecord | undefined
  /** False unless the report is IN_QUEUE. */
  readonly cancel: (report: ReportRecord, now: number) => boolean
  /** The orders the report's document lists. */
  readonly contents: (report: ReportRecord) => ReadonlyArray<ReportOrder>
  /** Forces the fate of the next `count` reports created, before the drawn shares apply. */
  readonly forceNext: (fate: Fate, count: number) => void
  /** The next `count` document downloads answer 403 "Request has expired", as a URL used too late would. */
  readonly expireNextDownloads: (count: number) => void
  /** Takes one forced expiry, if any is left. */
  readonly takeForcedExpiry: () => boolean
}

export const makeReportStore = (options: ReportStoreOptions): ReportStore => {
  const { settings, timeFactor } = options
  let forcedExpiries = 0
  const ms = (amazonSeconds: number) => (amazonSeconds * SECOND) / timeFactor
  const reports: Array<ReportRecord> = []
  const byId = new Map<string, ReportRecord>()
  const byDocument = new Map<string, ReportRecord>()
  const forced: Array<Fate> = []
  // Report ids are numeric like Amazon's and differ between sellers, so another seller's id is a 404.
  const idBase = 10_000 + (hashString(options.sellerId) % 89_999)

  const contents = (report: ReportRecord): ReadonlyArray<ReportOrder> =>
    rangeExceeded(report) ? [] : reportGroundTruth(options.book(), report, report.snapshotAt, settings)

  /** Places reports from `from` on in the seller's queue, each after the one before it ends. */
  const schedule = (from: number): void => {
    let free = -Infinity
    for (let k = from - 1; k >= 0; k--) {
      if (reports[k]!.cancelledAt === undefined) {
        free = reports[k]!.endAt
        break
      }
    }
    for (let k = from; k < reports.length; k++) {
      const report = reports[k]!
      if (report.cancelledAt !== undefined) continue
      report.startAt = Math.max(report.createdAt + ms(settings.queueSeconds), free)
      report.snapshotAt = report.startAt - ms(settings.lagSeconds)
      report.rows = rowCount(contents(report))
      // A stuck report holds the queue for a normal duration: the report is stuck, not the processor.
      report.endAt = report.startAt + ms(settings.fixedSeconds + (settings.secondsPerThousandRows * report.rows) / 1000)
      free = report.endAt
    }
  }

  /** The same report asked again less than `fatalCooldownSeconds` after it ended FATAL ends FATAL too. */
  const cooling = (query: ReportQuery, now: number) =>
    settings.fatalCooldownSeconds > 0 && reports.some((report) =>
      report.fate === "fatal" && report.reportType === query.reportType && report.cancelledAt === undefined &&
      report.dataStart === query.dataStart && report.dataEnd === query.dataEnd &&
      report.endAt <= now && now - report.endAt < ms(settings.fatalCooldownSeconds))

  const drawFate = (n: number, query: ReportQuery, now: number): Fate => {
    if (cooling(query, now)) return "fatal"
    const next = forced.shift()
    if (next !== undefined) return next
    const faults = options.faults()
    const roll = makeRandom(mixSeed(options.seed, 0x4e9, n)).next()
    return roll < faults.fatalReportShare ? "fatal" : roll < faults.fatalReportShare + faults.stuckReportShare ? "stuck" : "normal"
  }

  // Every report the simulator serves is an order report: kept 30 days, not the 90 of reports in general.
  const retained = (report: ReportRecord, now: number) => report.createdAt >= now - ms(ORDER_REPORT_RETENTION_SECONDS)

  return {
    settings,
    create: (query, now) => {
      const n = reports.length
      const reportId = `${idBase}${String(n + 1).padStart(7, "0")}`
      const digest = createHash("sha256").update(`${options.sellerId}|${reportId}`).digest("hex")
      const report: ReportRecord = {
        ...query,
        reportId,
        documentId: `amzn1.spdoc.1.4.na.${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}.T${reportId}`,
        createdAt: now,
        fate: drawFate(n, query, now),
        cancelledAt: undefined,
        startAt: now,
        endAt: now,
        snapshotAt: now,
        rows: 0
      }
      reports.push(report)
      byId.set(reportId, report)
      byDocument.set(report.documentId, report)
      schedule(n)
      return report
    },
    list: (now) => reports.filter((report) => retained(report, now)),
    find: (reportId, now) => {
      const report = byId.get(reportId)
      return report && retained(report, now) ? report : undefined
    },
    findDocument: (documentId, now) => {
      const report = byDocument.get(documentId)
      return report && retained(report, now) && stateOf(report, now).reportDocumentId !== undefined ? report : undefined
    },
    cancel: (report, now) => {
      if (stateOf(report, now).processingStatus !== "IN_QUEUE") return false
      report.cancelledAt = now
      schedule(reports.indexOf(report) + 1)
      return true
    },
    contents,
    forceNext: (fate, count) => {
      for (let k = 0; k < count; k++) forced.push(fate)
    },
    expireNextDownloads: (count) => {
      forcedExpiries += count
    },
    takeForcedExpiry: () => forcedExpiries > 0 && forcedExpiries-- > 0
  }
}
