import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { Daemon } from "../../src/Services/Daemon.js"
import { engineOver } from "../../src/Services/Engine.js"
import { SqlFromUrl } from "../../src/Services/Store/Database.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { freshDatabaseUrl, onDatabase } from "../support/Database.js"
import { addSellers, expectExactly, expectRangeExact, simulatorEnv, storedOrders, testSeller } from "../support/Engine.js"
import { eventually } from "../support/Process.js"
import { createOriginalTables, insertOrders, insertState, type OriginalOrder } from "./OriginalBackend.js"

const DAY = 86_400_000

describe("the daemon on the original backend's database", () => {
  it.scopedLive("finishes the tenant the old system left in_progress, and only delta-syncs the one it finished", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("stuck", 1200, 51), testSeller("done", 1200, 52)] })
      const url = yield* freshDatabaseUrl("adopt_daemon")
      const doneAnchor = new Date(sim.sellers().find((s) => s.sellerId === "done")!.anchorTime).getTime()
      const cursorAt = new Date(doneAnchor - 5 * DAY)
      const doneRows = sim.groundTruth("done")
        .filter((o) => new Date(o.createdTime).getTime() >= doneAnchor - 365 * DAY && new Date(o.createdTime) <= cursorAt)
        .map((order): OriginalOrder => ({ tenantId: "done", order, version: new Date(order.lastUpdatedTime) <= cursorAt ? "current" : "stale" }))
      const stuckRows = sim.groundTruth("stuck").filter((_, i) => i % 4 === 0)
        .map((order): OriginalOrder => ({ tenantId: "stuck", order, version: "noVersion" }))
      yield* Effect.gen(function*() {
        yield* createOriginalTables("TEXT")
        yield* insertOrders([...stuckRows, ...doneRows])
        yield* insertState({ tenantId: "stuck", status: "in_progress", days: 365, doneAt: null, lastSyncAt: null, cursor: null }, "TEXT")
        yield* insertState({ tenantId: "done", status: "success", days: 365, doneAt: cursorAt, lastSyncAt: cursorAt, cursor: cursorAt.toISOString() }, "TEXT")
      }).pipe(onDatabase(url))

      const engine = engineOver(SqlFromUrl(url).pipe(Layer.orDie))
      const config = Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(
        // A claimed tenant's first delta sync waits a random part of one interval (restarts spread them): keep it short.
        simulatorEnv(sim, { ORDERSYNC_POLL_SECONDS: "0.2", ORDERSYNC_DELTA_INTERVAL_SECONDS: "8" })
      ))))
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const sql = yield* SqlClient.SqlClient
        yield* Effect.scoped(Effect.gen(function*() {
          yield* Layer.build(Daemon.Default)
          const status = (tenantId: string) => Effect.runPromise(backfill.getBackfillStatus(tenantId))
          yield* Effect.promise(() => eventually(async () => {
            const [stuck, done] = [await status("stuck"), await status("done")]
            return (stuck.initialBackfillStatus === "success" && stuck.lastSyncAt !== null &&
              // A delta sync is over when it stamps lastSyncAt: the cursor moves after each span of a long gap already.
              done.lastSyncAt !== cursorAt.toISOString()) || undefined
          }, { what: "stuck to finish and done to delta-sync" }))
        }))

        yield* expectRangeExact(sim, "stuck")
        // No run of ours for the finished tenant: its history is the old system's, brought forward by a delta sync.
        const runs = yield* sql<{ tenantId: string }>`SELECT "tenantId" FROM "OrderSyncBackfill" ORDER BY 1`
        expect(runs.map((r) => r.tenantId)).toEqual(["stuck"])
        const done = yield* backfill.getBackfillStatus("done")
        expect(done.initialBackfillStatus).toBe("success")
        expect(done.initialBackfillDoneAt).toBe(cursorAt.toISOString())
        const ids = new Set(doneRows.map((r) => r.order.orderId))
        const stored = yield* storedOrders("done")
        expectExactly(stored, sim.groundTruth("done").filter((o) =>
          new Date(o.createdTime).getTime() >= doneAnchor - 365 * DAY || ids.has(o.orderId)))
        expect(done.ordersCount).toBe(stored.length)
      }).pipe(Effect.provide(Layer.provideMerge(engine, config)))
    }))
})
