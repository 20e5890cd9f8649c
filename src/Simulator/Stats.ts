/** What a test or benchmark reads back about one seller's traffic. */
export interface SellerStats {
  readonly sellerId: string
  /** operation -> HTTP status -> count; "token" counts Login with Amazon calls. */
  readonly requests: Record<string, Record<string, number>>
  readonly totalRequests: number
  readonly throttled: { readonly quota: number; readonly injected: number }
  readonly inFlight: number
  readonly peakInFlight: number
  /** Per operation: tokens taken, and burst + rate × elapsed since the first request. */
  readonly tokens: Record<string, { readonly spent: number; readonly maximum: number }>
  readonly pagesServed: Record<string, number>
  /** Pages served again: the same query and cursor answered more than once. */
  readonly pageRefetches: number
  readonly faults: Record<FaultKind, number>
  /** Reports API: reports created, cancelled, drawn FATAL or stuck; documents downloaded, and downloads refused as expired. */
  readonly reports: ReportCounts
  readonly rejected: {
    readonly expiredAccessTokens: number
    readonly invalidAccessTokens: number
    readonly expiredPageTokens: number
    readonly undecodablePageTokens: number
  }
}

export interface ReportCounts {
  created: number
  cancelled: number
  fatal: number
  stuck: number
  downloads: number
  expiredDownloads: number
}

export type FaultKind = "extra429" | "error500" | "error503" | "truncatedBody" | "malformedJson" | "slowResponse" | "hang"

const faultKinds: ReadonlyArray<FaultKind> = ["extra429", "error500", "error503", "truncatedBody", "malformedJson", "slowResponse", "hang"]

export class SellerStatsRecorder {
  requests: Record<string, Record<string, number>> = {}
  totalRequests = 0
  throttledQuota = 0
  throttledInjected = 0
  inFlight = 0
  peakInFlight = 0
  pagesServed: Record<string, number> = {}
  pageKeys = new Map<string, number>()
  pageRefetches = 0
  faults = Object.fromEntries(faultKinds.map((kind) => [kind, 0])) as Record<FaultKind, number>
  expiredAccessTokens = 0
  invalidAccessTokens = 0
  expiredPageTokens = 0
  undecodablePageTokens = 0
  reports: ReportCounts = { created: 0, cancelled: 0, fatal: 0, stuck: 0, downloads: 0, expiredDownloads: 0 }

  constructor(readonly sellerId: string) {}

  begin(): void {
    this.inFlight++
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight
  }

  end(): void {
    this.inFlight--
  }

  response(operation: string, status: number): void {
    const byStatus = (this.requests[operation] ??= {})
    byStatus[status] = (byStatus[status] ?? 0) + 1
    this.totalRequests++
  }

  page(operation: string, key: string): void {
    this.pagesServed[operation] = (this.pagesServed[operation] ?? 0) + 1
    const seen = this.pageKeys.get(key) ?? 0
    if (seen > 0) this.pageRefetches++
    this.pageKeys.set(key, seen + 1)
  }

  fault(kind: FaultKind): void {
    this.faults[kind]++
  }

  reset(): void {
    const inFlight = this.inFlight
    Object.assign(this, new SellerStatsRecorder(this.sellerId))
    this.inFlight = inFlight
    this.peakInFlight = inFlight
  }

  snapshot(tokens: SellerStats["tokens"]): SellerStats {
    return {
      sellerId: this.sellerId,
      requests: structuredClone(this.requests),
      totalRequests: this.totalRequests,
      throttled: { quota: this.throttledQuota, injected: this.throttledInjected },
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
      tokens,
      pagesServed: { ...this.pagesServed },
      pageRefetches: this.pageRefetches,
      faults: { ...this.faults },
      reports: { ...this.reports },
      rejected: {
        expiredAccessTokens: this.expiredAccessTokens,
        invalidAccessTokens: this.invalidAccessTokens,
        expiredPageTokens: this.expiredPageTokens,
        undecodablePageTokens: this.undecodablePageTokens
      }
    }
  }
}
