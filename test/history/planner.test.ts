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

  it("v0 items (ORDERSYNC_V0_ITEMS): a getOrderItems per order at 0.5/s raises the Orders API estimate, and reports win", () => {
    const v0 = { quota: { rate: 0.0167, burst: 20, tokens: 19 } }
    const without = choose(seller(5_000, v0))
    expect(without.source).toBe("orders")
    const withItems = choose(seller(5_000, { ...v0, items: { rate: 0.5, burst: 30, tokens: 0 } }))
    // 4,900 orders after the sample, one call each at 0.5/s: 9,800 s, past the 13 reports' 65 min.
    expect(withItems.ordersSeconds).toBeCloseTo(9_800, 0)
    expect(withItems.ordersSeconds).toBeGreaterThan(without.ordersSeconds * 5)
    expect(withItems.source).toBe("reports")
    expect(withItems.reason).toMatch(/about 2\.7 h .*with v0 items, 4900 getOrderItems calls at 0\.5\/s, 0 of their burst left/)
    // The burst left counts, and a page-bound seller stays page-bound: the slower bucket sets the time.
    const small = choose(seller(1_000, { ...v0, items: { rate: 0.5, burst: 30, tokens: 30 } }))
    expect(small.ordersSeconds).toBeCloseTo((900 - 30) / 0.5, 0)
    const generous = choose(seller(20_000, { quota: { rate: 0.0167, burst: 20, tokens: 19 }, items: { rate: 100, burst: 30, tokens: 30 } }))
    expect(generous.ordersSeconds).toBeCloseTo(choose(seller(20_000, v0)).ordersSeconds, 6)
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
