import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import { scoped as simulator, type SimulatorHandle } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, expectRangeExact, requestsOf, storedOrders, testSeller } from "../support/Engine.js"

const FACTOR = 3600
const reports = (_sim: SimulatorHandle) => ({ ORDERSYNC_HISTORY_SOURCE: "reports" })
const DE = "A1PA6795UKMFR9"
const FR = "A13V1IB3VIYZZH"
const GB = "A1F83G8C2ARO7P"

/** The seller as a tenant set up with only some of its marketplaces (its other ones are still in its reports). */
const addTenant = (sim: SimulatorHandle, sellerId: string, marketplaceIds: ReadonlyArray<string>, region: "na" | "eu" | "fe") =>
  Effect.flatMap(Tenants, (tenants) =>
    tenants.add({
      tenantId: sellerId,
      region,
      marketplaceIds,
      sellingPartnerId: null,
      refreshToken: Redacted.make(sim.sellers().find((s) => s.sellerId === sellerId)!.refreshToken)
    }))

describe("what Amazon's order reports really hold, and what ordersync keeps", () => {
  it.scopedLive("a report holds the seller's whole region and Non-Amazon rows: ordersync keeps the tenant's marketplaces, counts the rest; exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: FACTOR,
        sellers: [testSeller("region", 6000, 71, { marketplaceIds: [DE, FR, GB], reports: { nonAmazonShare: 0.05 } })]
      })
      yield* Effect.gen(function*() {
        yield* addTenant(sim, "region", [DE, FR], "eu")
        const status = yield* (yield* Backfill).runInitialBackfill("region", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expect(status.progress.historySource).toBe("reports")
        const stored = yield* storedOrders("region")
        const start = new Date(status.progress.rangeStart!)
        const end = new Date(status.progress.rangeEnd!)
        // Ground truth: the tenant's marketplaces only; GB's orders and the multi-channel ones were in the documents.
        const truth = sim.groundTruth("region", { createdAfter: start, createdBefore: end })
        expectExactly(stored.filter((o) => o.orderDate >= start && o.orderDate <= end), truth.filter((o) => o.marketplaceId !== GB))
        const gb = truth.filter((o) => o.marketplaceId === GB).length
        expect(gb).toBeGreaterThan(100)
        expect(status.progress.reports!.ordersDropped).toBeGreaterThan(gb)
      }).pipe(Effect.provide(engineFor(sim, reports(sim))))
    }))

  it.scopedLive("a report CANCELLED before processing (by someone else) is asked again, like a FATAL one; exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("cancelled", 4000, 72)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        sim.reports.forceNext("cancelled", "cancelled", 1)
        const status = yield* (yield* Backfill).runInitialBackfill("cancelled", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expect(status.progress.reports).toMatchObject({ windows: 13, done: 13, fallback: 0 })
        expect(requestsOf(sim, "cancelled", "createReport")).toBe(14)
        yield* expectRangeExact(sim, "cancelled")
      }).pipe(Effect.provide(engineFor(sim, reports(sim))))
    }))

  it.scopedLive("a report CANCELLED as having no data is checked through the Orders API, never taken as empty; exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("nodata", 4000, 73)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        sim.reports.forceNext("nodata", "empty", 1)
        const status = yield* (yield* Backfill).runInitialBackfill("nodata", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expect(status.progress.reports).toMatchObject({ windows: 13, done: 12, fallback: 1 })
        yield* expectRangeExact(sim, "nodata")
      }).pipe(Effect.provide(engineFor(sim, reports(sim))))
    }))

  it.scopedLive("after a FATAL, the report type's cool-down is waited out: asked at once it ends FATAL again", () =>
    Effect.gen(function*() {
      const seller = (id: string, seed: number) => testSeller(id, 3000, seed, { reports: { fatalCooldownSeconds: 1800 } })
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [seller("at-once", 74), seller("waits", 75)] })
      sim.reports.forceNext("at-once", "fatal", 1)
      sim.reports.forceNext("waits", "fatal", 1)
      const run = (tenantId: string) =>
        Effect.zipRight(addSellers(sim, [tenantId]), Effect.flatMap(Backfill, (b) => b.runInitialBackfill(tenantId, 365)))
      // Asking again at once (the old behaviour): every attempt falls in the cool-down, the window goes to the Orders API.
      const atOnce = yield* run("at-once").pipe(Effect.provide(engineFor(sim, { ...reports(sim), ORDERSYNC_REPORT_FATAL_WAIT_SECONDS: "0" })))
      expect(atOnce.progress.reports).toMatchObject({ done: 12, fallback: 1 })
      expect(requestsOf(sim, "at-once", "createReport")).toBe(15)
      // The default waits Amazon's 30 minutes (scaled): the second report of the window is DONE.
      const waits = yield* run("waits").pipe(Effect.provide(engineFor(sim, reports(sim))))
      expect(waits.progress.reports).toMatchObject({ done: 13, fallback: 0 })
      expect(requestsOf(sim, "waits", "createReport")).toBe(14)
    }))
  it.scopedLive("a seller without the Reports API role: the history goes through the Orders API, the status says why; exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("no-role", 3000, 76, { roles: ["orders"] })] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("no-role", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expect(status.progress.historySource).toBe("orders")
        expect(status.progress.historyReason).toMatch(/^Reports API role missing \(Amazon denied createReport\): history through the Orders API/)
        expect(status.progress.reports).toMatchObject({ windows: 13, done: 0, fallback: 13 })
        yield* expectRangeExact(sim, "no-role")
      }).pipe(Effect.provide(engineFor(sim, reports(sim))))
    }))
})
