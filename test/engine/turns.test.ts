import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, storedOrders, testSeller } from "../support/Engine.js"

// Sellers whose quota makes every page after the first wait 1.4 s (longer than a backfill waits inside a stream),
// so each backfill parks between pages; one fetching turn for three tenants, so they also wait for each other.
const ids = ["turn-a", "turn-b", "turn-c"]
const plan = { searchOrders: { rate: 0.7, burst: 1 } }

describe("turns and parking", () => {
  it.scopedLive("tenants that park for their quota and take turns to fetch still store exactly the ground truth, and count every request", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 1, sellers: ids.map((id, i) => testSeller(id, 700, 90 + i, { usagePlans: plan })) })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const statuses = yield* Effect.forEach(ids, (id) => backfill.runInitialBackfill(id, 365), { concurrency: "unbounded" })
        for (const [i, id] of ids.entries()) {
          const status = statuses[i]!
          expect(status.initialBackfillStatus).toBe("success")
          const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run(id))
          expectExactly(yield* storedOrders(id), sim.groundTruth(id, { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }))
          // The 429 that taught the client the seller's burst of 1 brought no page, and is still counted.
          const answered = sim.stats(id).requests["searchOrders"]!
          const sent = Object.values(answered).reduce((n, c) => n + c, 0)
          expect(status.progress.pages).toBeGreaterThanOrEqual(3)
          expect(status.progress.requests).toBe(sent)
          expect(status.progress.throttledRequests).toBe(answered["429"] ?? 0)
          expect(status.progress.throttledRequests).toBeGreaterThanOrEqual(1)
        }
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_FETCHING_TENANTS: "1" })))
    }), 60_000)
})
