import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { type FaultsInput, scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, storedOrders, testSeller } from "../support/Engine.js"
import { report } from "./support.js"

const TENANTS = 20

// Every fault at once. Lifetimes are Amazon seconds (÷ the time factor in real time); delays are real milliseconds.
const chaos: FaultsInput = {
  error500Probability: 0.1,
  error503Probability: 0.1,
  extra429Probability: 0.1,
  truncatedBodyProbability: 0.01,
  malformedJsonProbability: 0.01,
  accessTokenLifetimeSeconds: 30,
  pageTokenLifetimeSeconds: 300,
  slowResponseMs: 150,
  slowResponseProbability: 0.1,
  hangProbability: 0.02
}

describe("R3: Amazon chaos", () => {
  it.scopedLive(`${TENANTS} tenants at once under 20% 5xx, 10% extra 429s, 2% broken bodies, expiring tokens, slow and hung answers: every tenant exact`, () =>
    Effect.gen(function*() {
      const ids = Array.from({ length: TENANTS }, (_, i) => `r3-${i}`)
      const sim = yield* simulator({ timeFactor: 600, sellers: ids.map((id, i) => testSeller(id, 8000, 300 + i, { faults: chaos })) })
      const started = Date.now()
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const statuses = yield* Effect.forEach(ids, (id) => backfill.runInitialBackfill(id, 365), { concurrency: "unbounded" })
        const seconds = (Date.now() - started) / 1000
        const all = ids.map((id) => sim.stats(id))
        const sum = (f: (s: (typeof all)[number]) => number) => all.reduce((n, s) => n + f(s), 0)
        report("R3", {
          tenants: TENANTS,
          orders: statuses.reduce((n, s) => n + s.ordersCount, 0),
          seconds,
          requests: sum((s) => s.totalRequests),
          faults: Object.fromEntries(Object.keys(all[0]!.faults).map((k) => [k, sum((s) => s.faults[k as keyof typeof s.faults])])),
          expiredAccessTokens: sum((s) => s.rejected.expiredAccessTokens),
          expiredPageTokens: sum((s) => s.rejected.expiredPageTokens),
          pageRefetches: sum((s) => s.pageRefetches),
          peakInFlightPerSeller: Math.max(...all.map((s) => s.peakInFlight))
        })
        for (const [i, id] of ids.entries()) {
          expect(statuses[i]!.initialBackfillStatus).toBe("success")
          const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run(id))
          expectExactly(yield* storedOrders(id), sim.groundTruth(id, { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }))
        }
        // The faults did happen.
        expect(sum((s) => s.faults.hang)).toBeGreaterThan(0)
        expect(sum((s) => s.faults.error500 + s.faults.error503)).toBeGreaterThan(0)
        expect(sum((s) => s.faults.truncatedBody + s.faults.malformedJson)).toBeGreaterThan(0)
        expect(sum((s) => s.rejected.expiredAccessTokens)).toBeGreaterThan(0)
      }).pipe(Effect.provide(engineFor(sim, { SPAPI_REQUEST_TIMEOUT_MS: "400" })))
    }))
})
