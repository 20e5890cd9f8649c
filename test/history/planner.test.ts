import { Duration } from "effect"
import { describe, expect, it } from "vitest"
import { choose, type PlanInput, reportsInRegion } from "../../src/Services/History/Planner.js"
import { REPORT_MAX_DAYS, REPORT_WINDOW_DAYS, reportRanges } from "../../src/Services/History/ReportsSource.js"

const DAY = 86_400_000
const rangeEnd = new Date("2026-11-29T00:00:00Z")
const rangeStart = new Date(rangeEnd.getTime() - 365 * DAY)

/** A seller with `perYear` orders spread evenly: the first page of 100 spans 100 / perYear of the year. */
const seller = (perYear: number, extra: Partial<PlanInput> = {}): PlanInput => ({
  rangeStart,
  rangeEnd,
  sample: {
    orders: Math.min(100, perYear),
    lastCreated: new Date(rangeStart.getTime() + (Math.min(100, perYear) / perYear) * 365 * DAY),
    complete: perYear <= 100
  },
  quota: { rate: 0.0056, burst: 20, tokens: 19 },
  reportSeconds: 300,
  reportSecondsSeen: false,
  reportLag: Duration.minutes(30),
  ...extra
})

describe("the planner", () => {
  it("a year in one page: the Orders API, no report", () => {
    expect(choose(seller(80))).toMatchObject({ source: "orders", ordersSeconds: 0 })
  })

  it("a year within the searchOrders burst (2,000 orders): the Orders API, in seconds", () => {
    const plan = choose(seller(1_900))
    expect(plan.source).toBe("orders")
    expect(plan.ordersSeconds).toBe(0)
  })

  it("20,000 / 200,000 / 1,000,000 orders at Amazon's default plan: reports, by hours to weeks", () => {
    for (const perYear of [20_000, 200_000, 1_000_000]) {
      const plan = choose(seller(perYear))
      expect(plan.source).toBe("reports")
      expect(plan.estimatedOrders).toBeGreaterThan(perYear * 0.95)
      expect(plan.estimatedOrders).toBeLessThan(perYear * 1.05)
      expect(plan.reportsSeconds).toBeLessThan(plan.ordersSeconds / 5)
    }
    expect(choose(seller(1_000_000)).reason).toMatch(/about 1000000 orders.*about 20\.\d days .*13 reports about 68 min \(5 min each, a first guess\)/)
  })

  it("a seller with a generous rate and slow reports stays on the Orders API", () => {
    const plan = choose(seller(20_000, { quota: { rate: 1, burst: 20, tokens: 19 }, reportSeconds: 1800, reportSecondsSeen: true }))
    expect(plan.source).toBe("orders")
    expect(plan.reason).toMatch(/as this seller's took/)
  })
})

describe("the planner by region, and the report windows", () => {
  it("FE: the Orders API until one of the seller's reports has delivered (ORDERSYNC_REPORTS_FE=proven), reports once one has", () => {
    expect(reportsInRegion("fe", "proven", false)).toBe(false)
    expect(reportsInRegion("fe", "proven", true)).toBe(true)
    expect(reportsInRegion("fe", "never", true)).toBe(false)
    expect(reportsInRegion("fe", "always", false)).toBe(true)
    expect(reportsInRegion("na", "never", false) && reportsInRegion("eu", "proven", false)).toBe(true)
    const fe = choose(seller(200_000, { region: "fe", reportsInRegion: false }))
    expect(fe.source).toBe("orders")
    expect(fe.reason).toMatch(/fe region/)
    expect(choose(seller(200_000, { region: "fe", reportsInRegion: true })).source).toBe("reports")
  })

  it("report windows are a day short of Amazon's 30 (its limit is known only from its error text): a year is still 13", () => {
    const ranges = reportRanges(rangeStart, rangeEnd)
    expect(ranges).toHaveLength(13)
    for (const range of ranges) expect(range.endAt.getTime() - range.startAt.getTime()).toBeLessThanOrEqual(29 * DAY)
    expect(REPORT_WINDOW_DAYS).toBeLessThan(REPORT_MAX_DAYS)
  })
})
