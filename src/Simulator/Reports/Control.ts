import type { SellerState } from "../Sellers.js"
import { renderReport } from "./Api.js"
import type { ReportOrder } from "./Content.js"
import type { Fate } from "./Lifecycle.js"

/** Test and admin controls over reports; the daemon never calls these. */
export interface ReportsControl {
  /**
   * What a report's document lists: its orders (one row per item) as the order book stood at `asOf`,
   * the report's processing start minus the lag. Empty for a FATAL or "Date range exceeded" report.
   */
  readonly groundTruth: (sellerId: string, reportId: string) => { readonly asOf: Date; readonly orders: ReadonlyArray<ReportOrder> }
  /** The next `count` reports of the seller end FATAL, stay stuck IN_PROGRESS, or end CANCELLED (see `Fate`). */
  readonly forceNext: (sellerId: string, fate: Exclude<Fate, "normal">, count?: number) => void
  /** The seller's next `count` document downloads answer 403 "Request has expired". */
  readonly expireNextDownloads: (sellerId: string, count?: number) => void
  /** Every report of the seller as getReport renders it, with its drawn fate and row count. */
  readonly list: (sellerId: string) => ReadonlyArray<Record<string, unknown>>
}

export class UnknownReport extends Error {
  constructor(readonly reportId: string) {
    super(`Unknown report: ${reportId}`)
  }
}

export const makeReportsControl = (sellerOf: (sellerId: string) => SellerState, now: () => number): ReportsControl => ({
  groundTruth: (sellerId, reportId) => {
    const seller = sellerOf(sellerId)
    const report = seller.reports.find(reportId, now())
    if (!report) throw new UnknownReport(reportId)
    return { asOf: new Date(report.snapshotAt), orders: report.fate !== "normal" && report.fate !== "stuck" ? [] : seller.reports.contents(report) }
  },
  forceNext: (sellerId, fate, count = 1) => sellerOf(sellerId).reports.forceNext(fate, count),
  expireNextDownloads: (sellerId, count = 1) => sellerOf(sellerId).reports.expireNextDownloads(count),
  list: (sellerId) => {
    const at = now()
    return sellerOf(sellerId).reports.list(at).map((report) => ({ ...renderReport(report, at), fate: report.fate, rows: report.rows }))
  }
})
