import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, storedOrders, testSeller } from "../support/Engine.js"

const rangeOf = (tenantId: string) =>
  Effect.map(Effect.flatMap(SyncStateRepo, (repo) => repo.run(tenantId)), Option.getOrThrow)

describe("the backfill under Amazon's failures", () => {
  it.scopedLive("10% extra 429s, 10% 5xx, cut-off and malformed bodies, early token expiry: still exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: 7200,
        sellers: [testSeller("chaos", 5000, 11, {
          faults: {
            extra429Probability: 0.1,
            error500Probability: 0.05,
            error503Probability: 0.05,
            truncatedBodyProbability: 0.03,
            malformedJsonProbability: 0.03,
            accessTokenLifetimeSeconds: 120,
            pageTokenLifetimeSeconds: 3600
          }
        })]
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("chaos", 365)
        expect(status.initialBackfillStatus).toBe("success")
        const run = yield* rangeOf("chaos")
        expectExactly(yield* storedOrders("chaos"), sim.groundTruth("chaos", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }))
        const stats = sim.stats("chaos")
        // The faults did happen: the run got through them, not around them.
        expect(stats.faults.extra429 + stats.faults.error500 + stats.faults.error503).toBeGreaterThan(0)
        expect(stats.faults.truncatedBody + stats.faults.malformedJson).toBeGreaterThan(0)
        expect(stats.rejected.expiredAccessTokens).toBeGreaterThan(0)
        expect(status.progress.throttledRequests).toBeGreaterThan(0)
      }).pipe(Effect.provide(engineFor(sim)))
    }))

  it.scopedLive("page tokens that expire before the next request: each window restarts from its last order, still exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: 3600,
        sellers: [testSeller("short-tokens", 3000, 16, { faults: { pageTokenLifetimeSeconds: 1 } })]
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("short-tokens", 365)
        expect(status.initialBackfillStatus).toBe("success")
        const run = yield* rangeOf("short-tokens")
        expectExactly(
          yield* storedOrders("short-tokens"),
          sim.groundTruth("short-tokens", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd })
        )
        expect(sim.stats("short-tokens").rejected.expiredPageTokens).toBeGreaterThan(0)
      }).pipe(Effect.provide(engineFor(sim)))
    }))

  it.scopedLive("a revoked refresh token fails that tenant with a clear reason; the others complete", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: 3600,
        sellers: [testSeller("revoked", 2000, 12), testSeller("healthy-1", 1500, 13), testSeller("healthy-2", 1500, 14)]
      })
      sim.revokeRefreshToken("Atzr|revoked")
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const results = yield* Effect.all(
          ["revoked", "healthy-1", "healthy-2"].map((tenant) => Effect.either(backfill.runInitialBackfill(tenant, 365))),
          { concurrency: "unbounded" }
        )
        expect(results[0]!._tag).toBe("Left")
        const failed = yield* backfill.getBackfillStatus("revoked")
        expect(failed.initialBackfillStatus).toBe("failed")
        expect(failed.lastError).toMatch(/invalid_grant/)
        expect(failed.lastError).not.toMatch(/Atzr\|/)
        for (const tenant of ["healthy-1", "healthy-2"]) {
          const status = yield* backfill.getBackfillStatus(tenant)
          expect(status.initialBackfillStatus).toBe("success")
          const run = yield* rangeOf(tenant)
          expectExactly(yield* storedOrders(tenant), sim.groundTruth(tenant, { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }))
        }
      }).pipe(Effect.provide(engineFor(sim)))
    }))

  it.scopedLive("a malformed order is quarantined and counted; the rest of the run succeeds", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: 3600,
        sellers: [testSeller("bad-data", 3000, 15, { faults: { corruptOrderShare: 0.01 } })]
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("bad-data", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expect(status.progress.quarantinedOrders).toBeGreaterThan(0)
        const sql = yield* SqlClient.SqlClient
        const quarantined = yield* sql<{ externalOrderId: string; error: string }>`
          SELECT "externalOrderId", "error" FROM "OrderSyncQuarantine" WHERE "tenantId" = 'bad-data'`
        expect(quarantined.length).toBe(status.progress.quarantinedOrders)
        expect(quarantined[0]!.error).toMatch(/createdTime/)
        const run = yield* rangeOf("bad-data")
        const truth = sim.groundTruth("bad-data", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd })
        const bad = new Set(quarantined.map((q) => q.externalOrderId))
        // Every order is either stored or quarantined: nothing silently dropped.
        expectExactly(yield* storedOrders("bad-data"), truth.filter((o) => !bad.has(o.orderId)))
        expect(truth.filter((o) => bad.has(o.orderId)).length).toBe(bad.size)
      }).pipe(Effect.provide(engineFor(sim)))
    }))
})
