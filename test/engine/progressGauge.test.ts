import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Metric } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { backfillProgress } from "../../src/Services/Metrics.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, testSeller } from "../support/Engine.js"

describe("the progress gauge", () => {
  it.scopedLive("follows the commits of a backfill that nobody asks about", () =>
    Effect.gen(function*() {
      // 3,000 orders, 30 pages of 150 ms each: a few seconds, long enough to watch.
      const sim = yield* simulator({
        timeFactor: 3600,
        sellers: [{ ...testSeller("watched", 3000, 61), faults: { slowResponseMs: 150 } }]
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const gauge = Metric.tagged(backfillProgress, "tenant", "watched")
        const run = yield* Effect.fork((yield* Backfill).runInitialBackfill("watched", 365))
        const repo = yield* SyncStateRepo
        const seen: Array<number> = []
        // The gauge is set from each page's own statement (PageCommits); between two commits it must equal the
        // coverage read afresh from the checkpoints.
        let compared = 0
        while (run.unsafePoll() === null) {
          const before = (yield* Metric.value(gauge)).value
          const fresh = yield* repo.coverage("watched")
          const after = (yield* Metric.value(gauge)).value
          seen.push(before)
          if (before === after && before > 0 && run.unsafePoll() === null) {
            expect(fresh).toBe(before)
            compared++
          }
          yield* Effect.sleep("100 millis")
        }
        expect(compared).toBeGreaterThan(3)
        yield* Fiber.join(run)
        const between = seen.filter((v) => v > 0 && v < 1)
        expect(between.length).toBeGreaterThan(3)
        // It only grows.
        expect(seen).toEqual([...seen].sort((a, b) => a - b))
        expect((yield* Metric.value(gauge)).value).toBe(1)
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_METRICS_PER_TENANT: "true" })))
    }))
})
