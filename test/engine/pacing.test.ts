import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, testSeller } from "../support/Engine.js"

describe("pacing", () => {
  for (const ordersApi of ["2026-01-01", "v0"] as const) {
    it.scopedLive(`Orders API ${ordersApi}: no 429 without injected faults, and the request rate stays at the bucket's maximum`, () =>
      Effect.gen(function*() {
        // ~6,000 orders in the last year: ~60 pages at 10 pages/s, well past the burst of 20.
        const sim = yield* simulator({ timeFactor: ordersApi === "v0" ? 600 : 1800, sellers: [testSeller("paced", 13_000, 41)] })
        yield* Effect.gen(function*() {
          yield* addSellers(sim)
          const status = yield* (yield* Backfill).runInitialBackfill("paced", 365)
          const operation = ordersApi === "v0" ? "getOrders" : "searchOrders"
          const stats = sim.stats("paced")
          const bucket = stats.tokens[operation]!
          expect(status.progress.pages).toBeGreaterThan(45)
          expect(stats.throttled.quota).toBe(0)
          expect(stats.requests[operation]!["429"] ?? 0).toBe(0)
          // Achieved requests against `burst + rate × elapsed` since the first request.
          expect(bucket.spent / bucket.maximum).toBeGreaterThanOrEqual(0.95)
          expect(bucket.spent).toBeLessThanOrEqual(bucket.maximum + 1)
        }).pipe(Effect.provide(engineFor(sim, { ORDERS_API: ordersApi })))
      }))
  }
})
