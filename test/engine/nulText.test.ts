import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, expectItemsExactly, storedOrders, testSeller } from "../support/Engine.js"

const FACTOR = 3600

// A NUL in any string of an order (JSON `\u0000`) is refused by PostgreSQL's jsonb. The page's raw text goes to the
// database as jsonb, so one such order failed its whole page's statement, every retry, and the tenant never finished.
describe("orders holding a NUL character", () => {
  for (const api of ["2026-01-01", "v0"] as const) {
    it.scopedLive(`Orders API ${api}: those orders are quarantined with the reason, every other order (and its items) stored`, () =>
      Effect.gen(function*() {
        const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("nul", 1500, 611, { faults: { nulTextShare: 0.02 } })] })
        yield* Effect.gen(function*() {
          yield* addSellers(sim)
          const status = yield* (yield* Backfill).runInitialBackfill("nul", 365)
          expect(status.initialBackfillStatus).toBe("success")
          const sql = yield* SqlClient.SqlClient
          const quarantined = yield* sql<{ externalOrderId: string; error: string; raw: unknown }>`
            SELECT "externalOrderId", "error", "raw" FROM "OrderSyncQuarantine" WHERE "tenantId" = 'nul'`
          expect(quarantined.length).toBeGreaterThan(10)
          expect(quarantined.every((q) => /NUL character/.test(q.error))).toBe(true)
          // Kept as sent, the NUL shown as U+FFFD.
          expect(quarantined.every((q) => JSON.stringify(q.raw).includes("\uFFFD"))).toBe(true)
          const bad = new Set(quarantined.map((q) => q.externalOrderId))
          const from = new Date(status.progress.rangeStart!)
          const truth = sim.groundTruth("nul").filter((o) => !bad.has(o.orderId) && new Date(o.createdTime) >= from)
          expectExactly((yield* storedOrders("nul")).filter((o) => o.orderDate >= from), truth)
          yield* expectItemsExactly("nul", truth)
        }).pipe(Effect.provide(engineFor(sim, { ORDERS_API: api })))
      }))
  }

  it.scopedLive("v0 getOrderItems answers holding a NUL: those orders are stored without items (a warning), the others with theirs", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 100, sellers: [testSeller("nul-items", 200, 612, { faults: { nulItemTextShare: 0.05 } })] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("nul-items", 365)
        expect(status.initialBackfillStatus).toBe("success")
        const sql = yield* SqlClient.SqlClient
        const counts = yield* sql<{ externalOrderId: string; items: number }>`
          SELECT o."externalOrderId", (SELECT count(*)::int FROM "OrderItem" i WHERE i."tenantId" = o."tenantId" AND i."marketplace" = o."marketplace"
            AND i."externalOrderId" = o."externalOrderId") AS items
          FROM "Order" o WHERE o."tenantId" = 'nul-items'`
        const without = counts.filter((c) => c.items === 0)
        expect(without.length).toBeGreaterThan(0)
        expect(without.length).toBeLessThan(counts.length / 4)
        const from = new Date(status.progress.rangeStart!)
        const truth = sim.groundTruth("nul-items").filter((o) => new Date(o.createdTime) >= from)
        expectExactly((yield* storedOrders("nul-items")).filter((o) => o.orderDate >= from), truth)
        yield* expectItemsExactly("nul-items", truth)
      }).pipe(Effect.provide(engineFor(sim, { ORDERS_API: "v0", ORDERSYNC_V0_ITEMS: "true" })))
    }))
})
