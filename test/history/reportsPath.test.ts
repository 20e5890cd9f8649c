import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Option, Schedule } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, expectRangeExact, requestsOf, storedOrders, testSeller } from "../support/Engine.js"

const FACTOR = 3600



describe("history through Amazon's order reports", () => {
  it.scopedLive("365 days through reports: 13 reports, the tail from the Orders API, exactly the ground truth; then a delta sync", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: FACTOR,
        sellers: [testSeller("bulk", 12_000, 51, {
          marketplaceIds: ["A1PA6795UKMFR9", "A13V1IB3VIYZZH"],
          changes: { share: 0.03, horizonSeconds: 2 * FACTOR },
          late: { share: 0.01, horizonSeconds: 2 * FACTOR, maxDelaySeconds: 1 * FACTOR }
        })]
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const status = yield* backfill.runInitialBackfill("bulk", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expect(status.progress.historySource).toBe("reports")
        expect(status.progress.reports).toMatchObject({ windows: 13, done: 13, fallback: 0 })
        expect(requestsOf(sim, "bulk", "createReport")).toBe(13)
        // Orders API requests: the tail only, not the year.
        expect(requestsOf(sim, "bulk", "searchOrders")).toBeLessThanOrEqual(3)
        // Orders change while the reports are made: the table is exact once the delta sync has listed them.

        const anchor = new Date(sim.sellers()[0]!.anchorTime).getTime()
        yield* Clock.currentTimeMillis.pipe(Effect.repeat({ until: (now) => now > anchor + 5_000, schedule: Schedule.spaced("100 millis") }))
        const delta = yield* backfill.runOrdersDeltaSync("bulk")
        expect(delta.orders).toBeGreaterThan(0)
        const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run("bulk"))
        const stored = yield* storedOrders("bulk")
        const ids = new Set(stored.map((o) => o.externalOrderId))
        expectExactly(stored, sim.groundTruth("bulk").filter((o) => new Date(o.createdTime) >= run.rangeStart || ids.has(o.orderId)))
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_HISTORY_SOURCE: "reports" })))
    }))

  it.scopedLive("auto: a small seller's year fits the first page, no report; a large one goes through reports", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: FACTOR,
        sellers: [testSeller("small", 150, 52), testSeller("large", 60_000, 53)]
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const small = yield* backfill.runInitialBackfill("small", 365)
        expect(small.progress.historySource).toBe("orders")
        expect(small.progress.historyReason).toMatch(/first page/)
        expect(requestsOf(sim, "small", "createReport")).toBe(0)
        yield* expectRangeExact(sim, "small")
        const large = yield* backfill.runInitialBackfill("large", 365)
        expect(large.progress.historySource).toBe("reports")
        expect(large.progress.historyReason).toMatch(/orders in the range/)
        yield* expectRangeExact(sim, "large")
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_HISTORY_SOURCE: "auto" })))
    }))

  it.scopedLive("a FATAL report is asked again, and the run is still exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("fatal", 6000, 54)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        sim.reports.forceNext("fatal", "fatal", 1)
        const status = yield* (yield* Backfill).runInitialBackfill("fatal", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expect(status.progress.reports?.fallback).toBe(0)
        expect(requestsOf(sim, "fatal", "createReport")).toBe(14)
        yield* expectRangeExact(sim, "fatal")
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_HISTORY_SOURCE: "reports" })))
    }))
})
