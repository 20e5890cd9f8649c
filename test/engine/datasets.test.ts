import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { OrderRepo } from "../../src/Services/Store/OrderRepo.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, storedOrders, testSeller } from "../support/Engine.js"

// Orders API 2026-01-01 sends the status (FULFILLMENT) and the total (PROCEEDS) only when asked with includedData.
describe("the datasets ordersync asks for (Orders API 2026-01-01)", () => {
  it.scopedLive("every order of a page without them: the run fails and names them, nothing is stored", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("dropped", 600, 31, { faults: { datasetsDroppedShare: 1 } })] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const result = yield* Effect.either(backfill.runInitialBackfill("dropped", 365))
        expect(result._tag).toBe("Left")
        const status = yield* backfill.getBackfillStatus("dropped")
        expect(status.initialBackfillStatus).toBe("failed")
        expect(status.lastError).toMatch(/FULFILLMENT,PROCEEDS.*includedData/)
        expect(status.ordersCount).toBe(0)
        expect(status.progress.quarantinedOrders).toBe(0)
        expect(yield* storedOrders("dropped")).toEqual([])
      }).pipe(Effect.provide(engineFor(sim)))
    }))

  it.scopedLive("some orders without them: those are quarantined with the reason, never stored as PENDING", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("partial", 3000, 32, { faults: { datasetsDroppedShare: 0.05 } })] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("partial", 365)
        expect(status.initialBackfillStatus).toBe("success")
        const sql = yield* SqlClient.SqlClient
        const quarantined = yield* sql<{ externalOrderId: string; error: string }>`
          SELECT "externalOrderId", "error" FROM "OrderSyncQuarantine" WHERE "tenantId" = 'partial'`
        expect(quarantined.length).toBeGreaterThan(10)
        for (const q of quarantined) expect(q.error).toMatch(/fulfillment.*includedData=FULFILLMENT/)
        const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run("partial"))
        const missing = new Set(quarantined.map((q) => q.externalOrderId))
        const truth = sim.groundTruth("partial", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd })
        expectExactly(yield* storedOrders("partial"), truth.filter((o) => !missing.has(o.orderId)))
        expect(status.progress.quarantinedOrders).toBe(quarantined.length)
      }).pipe(Effect.provide(engineFor(sim)))
    }))

  it.scopedLive("rows stored without them by an earlier version are repaired by a restarted backfill", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("repair", 1500, 33)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        yield* backfill.runInitialBackfill("repair", 365)
        const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run("repair"))
        const truth = sim.groundTruth("repair", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd })
        // What the version without includedData stored: every order PENDING, no total, the same lastUpdateDate.
        const wrong = truth.map((o) =>
          ({
            externalOrderId: o.orderId,
            marketplaceId: o.marketplaceId,
            orderDate: new Date(o.createdTime),
            lastUpdateDate: new Date(o.lastUpdatedTime),
            orderStatus: "PENDING",
            fulfillmentChannel: null,
            salesChannel: "AMAZON",
            totalAmount: null,
            currency: null,
            itemsCount: 1,
            raw: { orderId: o.orderId }
          })
        )
        const sql = yield* SqlClient.SqlClient
        yield* sql`DELETE FROM "Order" WHERE "tenantId" = 'repair'`
        yield* (yield* OrderRepo).upsert("repair", wrong)
        const pending = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM "Order" WHERE "tenantId" = 'repair' AND "orderStatus" = 'PENDING'`
        expect(pending[0]!.n).toBe(truth.length)
        const status = yield* backfill.runInitialBackfill("repair", 365, { restart: true })
        expect(status.initialBackfillStatus).toBe("success")
        const rerun = Option.getOrThrow(yield* (yield* SyncStateRepo).run("repair"))
        const stored = (yield* storedOrders("repair")).filter((o) => o.orderDate >= rerun.rangeStart)
        expectExactly(stored, sim.groundTruth("repair", { createdAfter: rerun.rangeStart, createdBefore: rerun.rangeEnd }))
        expect(truth.some((o) => o.status !== "PENDING")).toBe(true)
      }).pipe(Effect.provide(engineFor(sim)))
    }))
})
