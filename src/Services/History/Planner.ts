import { Duration } from "effect"
import { REPORT_WINDOW_DAYS } from "./ReportsSource.js"

/** What the planner knows when it chooses: the range, the first page, the seller's quota and its reports' speed. */
export interface PlanInput {
  readonly rangeStart: Date
  readonly rangeEnd: Date
  /** The first page of the range through the Orders API: its orders, the newest one's creation, and whether more follow. */
  readonly sample: { readonly orders: number; readonly lastCreated: Date | null; readonly complete: boolean }
  /** The seller's searchOrders/getOrders plan (from x-amzn-RateLimit-Limit once Amazon said it) and the burst left. */
  readonly quota: { readonly rate: number; readonly burst: number; readonly tokens: number }
  /**
   * With Orders API v0 and ORDERSYNC_V0_ITEMS: the seller's getOrderItems plan and the burst left (Orders'
   * `itemsOperation`). Each order then costs a call of its own, while the reports' rows carry the items already.
   */
  readonly items?: { readonly rate: number; readonly burst: number; readonly tokens: number }
  /** Seconds one report takes to process: this seller's mean so far, else the configured guess. */
  readonly reportSeconds: number
  readonly reportSecondsSeen: boolean
  /** Orders changed this recently are not in a report yet; that tail comes from the Orders API. */
  readonly reportLag: Duration.Duration
  /** The tenant's SP-API region, and whether order reports may be used there (see `ReportsInRegion`). */
  readonly region?: string
  readonly reportsInRegion?: boolean
}

/**
 * Whether the planner may choose order reports for a tenant of this region. Amazon's Report Type Values page listed
 * the order tracking reports for NA and EU, and its current notes are ambiguous for FE: there, by default
 * (`proven`), only for a seller one of whose reports ended DONE before (a report that delivered), else the Orders
 * API; `always` treats FE like the others, `never` keeps FE on the Orders API.
 */
export const reportsInRegion = (region: string, policy: "proven" | "always" | "never", proven: boolean): boolean =>
  region !== "fe" || policy === "always" || (policy === "proven" && proven)

export interface Plan {
  readonly source: "orders" | "reports"
  readonly reason: string
  readonly estimatedOrders: number
  readonly ordersSeconds: number
  readonly reportsSeconds: number
}

const PAGE = 100
const DAY = 86_400_000
/**
 * Orders stored per second from a report document, on the low side: B6 measured 4,000–5,000 on 2 cores before report
 * chunks went through COPY, and 10,000–13,500 since. Either way it is seconds next to the reports' processing.
 */
const STORE_RATE = 5_000

const duration = (seconds: number) =>
  seconds < 10 ? `${Number(seconds.toPrecision(2))} s` : seconds < 90 ? `${Math.round(seconds)} s` : seconds < 5_400 ? `${Math.round(seconds / 60)} min` :
    seconds < 2 * 86_400 ? `${(seconds / 3600).toFixed(1)} h` : `${(seconds / 86_400).toFixed(1)} days`

/**
 * Chooses the history path with the smaller expected time to complete. The Orders API costs a request per 100
 * orders at the seller's rate once its burst is spent, and with v0 items (`items`) a getOrderItems per order at that
 * operation's rate too: the two buckets refill side by side, so the slower of the two sets the time. Reports cost
 * their processing (one after another per seller) plus storing, whatever the volume. The volume is estimated from
 * the first page: 100 orders spread over how much of the range.
 */
export const choose = (input: PlanInput): Plan => {
  const span = Math.max(1, input.rangeEnd.getTime() - input.rangeStart.getTime())
  if (input.sample.complete) {
    return {
      source: "orders",
      reason: `the whole range fit in the first page (${input.sample.orders} orders): no report needed`,
      estimatedOrders: input.sample.orders,
      ordersSeconds: 0,
      reportsSeconds: 0
    }
  }
  if (input.reportsInRegion === false) {
    return {
      source: "orders",
      reason: `order reports are not used in the ${input.region ?? "tenant's"} region until one of this seller's has delivered (ORDERSYNC_REPORTS_FE)`,
      estimatedOrders: input.sample.orders,
      ordersSeconds: 0,
      reportsSeconds: 0
    }
  }
  const sampled = input.sample.lastCreated === null ? 1 : Math.max(1, input.sample.lastCreated.getTime() - input.rangeStart.getTime())
  const estimatedOrders = Math.max(input.sample.orders + 1, Math.round((input.sample.orders * span) / sampled))
  const pagesLeft = Math.max(0, Math.ceil(estimatedOrders / PAGE) - 1)
  const pagesSeconds = Math.max(0, pagesLeft - Math.max(0, Math.floor(input.quota.tokens))) / input.quota.rate
  const itemsLeft = Math.max(0, estimatedOrders - input.sample.orders)
  const itemsSeconds = input.items === undefined ? 0 : Math.max(0, itemsLeft - Math.max(0, Math.floor(input.items.tokens))) / input.items.rate
  const ordersSeconds = Math.max(pagesSeconds, itemsSeconds)
  const reportSpan = Math.max(0, span - Duration.toMillis(input.reportLag) - sampled)
  const reports = Math.max(1, Math.ceil(reportSpan / (REPORT_WINDOW_DAYS * DAY)))
  const reportsSeconds = reports * input.reportSeconds + estimatedOrders / STORE_RATE
  const source = reportsSeconds < ordersSeconds ? "reports" : "orders"
  const reason = `about ${estimatedOrders} orders in the range (from the first page): the Orders API would take about ` +
    `${duration(ordersSeconds)} (${pagesLeft} more requests at ${input.quota.rate}/s, ${Math.max(0, Math.floor(input.quota.tokens))} of the burst left` +
    (input.items === undefined ? "" :
      `; with v0 items, ${itemsLeft} getOrderItems calls at ${input.items.rate}/s, ${Math.max(0, Math.floor(input.items.tokens))} of their burst left`) +
    `), ` +
    `${reports} reports about ${duration(reportsSeconds)} (${duration(input.reportSeconds)} each, ${input.reportSecondsSeen ? "as this seller's took" : "a first guess"})`
  return { source, reason, estimatedOrders, ordersSeconds, reportsSeconds }
}
