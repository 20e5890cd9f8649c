import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, storedOrders, testSeller } from "../support/Engine.js"


describe("initial backfill", () => {
  for (const ordersApi of ["2026-01-01", "v0"] as const) {
    it.scopedLive(`365 days via Orders API ${ordersApi}: exactly the ground truth, and a rerun changes nothing`, () =>
      Effect.gen(function*() {
        const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("big", 6000, 7), testSeller("small", 40, 8)] })
        yield* Effect.gen(function*() {
          yield* addSellers(sim)
          const backfill = yield* Backfill
          const status = yield* backfill.runInitialBackfill("big", 365)
          expect(status.initialBackfillStatus).toBe("success")
          expect(status.initialBackfillDays).toBe(365)
          expect(status.progress.coverage).toBe(1)

          const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run("big"))
          const truth = sim.groundTruth("big", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd })
          // The history reaches back further than 365 days: those orders must not be fetched.
          expect(sim.groundTruth("big").length).toBeGreaterThan(truth.length)
          expect(truth.length).toBeGreaterThan(1000)
          expectExactly(yield* storedOrders("big"), truth)
          expect(status.ordersCount).toBe(truth.length)
          // Requests are the scarce resource: about one per 100 orders.
          expect(status.progress.requests).toBeLessThanOrEqual(Math.ceil(truth.length / 100) + 1)

          const sql = yield* SqlClient.SqlClient
          const before = yield* sql`SELECT md5(string_agg("externalOrderId" || "updatedAt"::text, ',' ORDER BY "externalOrderId")) AS h FROM "Order"`
          yield* backfill.runInitialBackfill("big", 365, { restart: true })
          const after = yield* sql`SELECT md5(string_agg("externalOrderId" || "updatedAt"::text, ',' ORDER BY "externalOrderId")) AS h FROM "Order"`
          expect(after).toEqual(before)
        }).pipe(Effect.provide(engineFor(sim, { ORDERS_API: ordersApi })))
      }))
  }
})
