import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Option, Schedule } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, storedOrders, testSeller } from "../support/Engine.js"

const FACTOR = 3600

describe("delta sync", () => {
  it.scopedLive("after status changes and late orders, the table equals the ground truth", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: FACTOR,
        sellers: [testSeller("moving", 4000, 21, {
          // Within 2 real seconds of the start: 3% of the open orders change, 2% new orders arrive up to 1 s late.
          changes: { share: 0.03, horizonSeconds: 2 * FACTOR },
          late: { share: 0.02, horizonSeconds: 2 * FACTOR, maxDelaySeconds: 1 * FACTOR }
        })]
      })
      const anchor = new Date(sim.sellers()[0]!.anchorTime).getTime()
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        yield* backfill.runInitialBackfill("moving", 365)
        const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run("moving"))

        // Let the simulated day play out: every change and late order has happened and is listable.
        const settled = anchor + 3_000 + 2_000
        yield* Clock.currentTimeMillis.pipe(Effect.repeat({ until: (now) => now > settled, schedule: Schedule.spaced("100 millis") }))

        const delta = yield* backfill.runOrdersDeltaSync("moving")
        expect(delta.orders).toBeGreaterThan(0)
        const stored = yield* storedOrders("moving")
        const truth = sim.groundTruth("moving")
        const storedIds = new Set(stored.map((o) => o.externalOrderId))
        const expected = truth.filter((o) => new Date(o.createdTime) >= run.rangeStart || storedIds.has(o.orderId))
        // The run did see both kinds of movement.
        expect(truth.filter((o) => new Date(o.createdTime).getTime() > anchor).length).toBeGreaterThan(0)
        expect(truth.filter((o) => o.lastUpdatedTime !== o.createdTime && new Date(o.lastUpdatedTime).getTime() > anchor).length).toBeGreaterThan(0)
        expectExactly(stored, expected)

        const status = yield* backfill.getBackfillStatus("moving")
        expect(status.cursor).toBe(delta.before)
        // A second delta right away finds nothing new and changes nothing.
        const again = yield* backfill.runOrdersDeltaSync("moving")
        expectExactly(yield* storedOrders("moving"), expected)
        expect(again.orders).toBeLessThanOrEqual(delta.orders)
      }).pipe(Effect.provide(engineFor(sim)))
    }))

  it.scopedLive("refuses to run before an initial backfill has set the cursor", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("fresh", 100, 22)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const error = yield* Effect.flip((yield* Backfill).runOrdersDeltaSync("fresh"))
        expect(error._tag).toBe("BackfillNotDone")
      }).pipe(Effect.provide(engineFor(sim)))
    }))
})
