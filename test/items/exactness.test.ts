import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Option, Schedule } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { type GroundTruthOrder, scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, expectItemsExactly, storedOrders, testSeller } from "../support/Engine.js"

const FACTOR = 3600

/** The ground truth holds the cases the items must get right: not a run of single-item shipped orders. */
const expectTheHardCases = (truth: ReadonlyArray<GroundTruthOrder>) => {
  expect(truth.filter((o) => o.items.length > 1).length).toBeGreaterThan(10)
  expect(truth.filter((o) => new Set(o.items.map((i) => i.sku)).size < o.items.length).length).toBeGreaterThan(0)
  expect(truth.filter((o) => o.items.some((i) => i.itemStatus === "CANCELLED")).length).toBeGreaterThan(0)
  expect(truth.filter((o) => o.status === "PENDING" && o.items.every((i) => i.itemPrice === null)).length).toBeGreaterThan(0)
  expect(truth.filter((o) => o.items.some((i) => Number(i.promotionDiscount) > 0)).length).toBeGreaterThan(0)
}

/** Waits until the simulated day has played out: every change and late order has happened and is listable. */
const settle = (anchor: number) =>
  Clock.currentTimeMillis.pipe(Effect.repeat({ until: (now) => now > anchor + 5_000, schedule: Schedule.spaced("100 millis") }))

const itemIds = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ externalOrderId: string; orderItemId: string }>`
      SELECT "externalOrderId", "orderItemId" FROM "OrderItem" WHERE "tenantId" = ${tenantId}`.pipe(Effect.orDie))

describe("order items, exactly the ground truth", () => {
  it.scopedLive("Orders API 2026-01-01: a year, then a delta sync after orders changed: every order's items exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: FACTOR,
        sellers: [testSeller("items-api", 4000, 271, {
          marketplaceIds: ["A1PA6795UKMFR9", "A13V1IB3VIYZZH"],
          vatCalculationService: true,
          changes: { share: 0.05, horizonSeconds: 2 * FACTOR },
          late: { share: 0.02, horizonSeconds: 2 * FACTOR, maxDelaySeconds: 1 * FACTOR }
        })]
      })
      const anchor = new Date(sim.sellers()[0]!.anchorTime).getTime()
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const before = new Map(sim.groundTruth("items-api").map((o) => [o.orderId, o.status]))
        const status = yield* backfill.runInitialBackfill("items-api", 365)
        expect(status.itemsCount).toBeGreaterThan(status.ordersCount)
        const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run("items-api"))

        yield* settle(anchor)
        yield* backfill.runOrdersDeltaSync("items-api")
        const stored = yield* storedOrders("items-api")
        const ids = new Set(stored.map((o) => o.externalOrderId))
        const truth = sim.groundTruth("items-api").filter((o) => new Date(o.createdTime) >= run.rangeStart || ids.has(o.orderId))
        expectTheHardCases(truth)
        // Orders' items changed while the run and the delta went (their status and shipped quantities follow the order's).
        expect(truth.filter((o) => before.has(o.orderId) && before.get(o.orderId) !== o.status).length).toBeGreaterThan(0)
        expectExactly(stored, truth)
        const items = yield* expectItemsExactly("items-api", truth)
        expect(items).toBe(truth.reduce((n, o) => n + o.items.length, 0))
      }).pipe(Effect.provide(engineFor(sim)))
    }))

  it.scopedLive("order reports, then a delta sync through the Orders API: a changed order's report-N items give way to Amazon's own", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: FACTOR,
        sellers: [testSeller("items-reports", 12_000, 272, {
          changes: { share: 0.05, horizonSeconds: 2 * FACTOR },
          late: { share: 0.01, horizonSeconds: 2 * FACTOR, maxDelaySeconds: 1 * FACTOR }
        })]
      })
      const anchor = new Date(sim.sellers()[0]!.anchorTime).getTime()
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const status = yield* backfill.runInitialBackfill("items-reports", 365)
        expect(status.progress.historySource).toBe("reports")
        const fromReports = new Set((yield* itemIds("items-reports")).filter((i) => i.orderItemId.startsWith("report-")).map((i) => i.externalOrderId))
        expect(fromReports.size).toBeGreaterThan(1000)

        yield* settle(anchor)
        yield* backfill.runOrdersDeltaSync("items-reports")
        const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run("items-reports"))
        const stored = yield* storedOrders("items-reports")
        const ids = new Set(stored.map((o) => o.externalOrderId))
        const truth = sim.groundTruth("items-reports").filter((o) => new Date(o.createdTime) >= run.rangeStart || ids.has(o.orderId))
        expectTheHardCases(truth)
        expectExactly(stored, truth)
        yield* expectItemsExactly("items-reports", truth)
        // Orders the delta brought from the Orders API carry Amazon's item ids only: no report-N item is left beside them.
        const after = yield* itemIds("items-reports")
        const replaced = [...fromReports].filter((id) => after.some((i) => i.externalOrderId === id && !i.orderItemId.startsWith("report-")))
        expect(replaced.length).toBeGreaterThan(0)
        for (const id of replaced) expect(after.filter((i) => i.externalOrderId === id && i.orderItemId.startsWith("report-"))).toEqual([])
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_HISTORY_SOURCE: "reports" })))
    }))
})
