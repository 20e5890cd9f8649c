import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { parseTimeText } from "../../src/Domain/StoredTime.js"
import { Backfill } from "../../src/Services/Backfill.js"
import { SqlFromUrl } from "../../src/Services/Store/Database.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { scoped as simulator, type SimulatorHandle } from "../../src/Simulator/index.js"
import { freshDatabaseUrl, onDatabase } from "../support/Database.js"
import { addSellers, engineFor, expectExactly, expectRangeExact, requestsOf, storedOrders, testSeller } from "../support/Engine.js"
import { createOriginalTables, type CursorType, insertOrders, insertState, type OriginalOrder } from "./OriginalBackend.js"

const DAY = 86_400_000
const OVERLAP_MS = 900_000

const anchorOf = (sim: SimulatorHandle, sellerId: string) =>
  new Date(sim.sellers().find((s) => s.sellerId === sellerId)!.anchorTime).getTime()

/** The cursor column as the database holds it, in the column's own text form. */
const storedCursor = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ cursor: string | null }>`SELECT "cursor"::text AS "cursor" FROM "MarketplaceSyncState" WHERE "tenantId" = ${tenantId}`.pipe(
      Effect.map((rows) => rows[0]?.cursor ?? null),
      Effect.orDie
    ))

/** The original backend's own rows of a tenant that are still there, by their ids. */
const originalIds = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ id: string }>`SELECT "id" FROM "Order" WHERE "tenantId" = ${tenantId} AND "id" LIKE 'old-%' ORDER BY 1`.pipe(
      Effect.map((rows) => rows.map((r) => r.id)),
      Effect.orDie
    ))

const orderRequests = (sim: SimulatorHandle, tenantId: string) =>
  requestsOf(sim, tenantId, "searchOrders") + requestsOf(sim, tenantId, "getOrders")

const databaseWith = (url: string) => SqlFromUrl(url).pipe(Layer.orDie)

describe("adopting the original backend's database", () => {
  for (const cursorType of ["TEXT", "TIMESTAMP(3)", "TIMESTAMPTZ"] as const satisfies ReadonlyArray<CursorType>) {
    it.scopedLive(`${cursorType} cursor: the stuck tenant is backfilled, the finished one delta-syncs from its cursor, old rows updated in place`, () =>
      Effect.gen(function*() {
        const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("stuck", 1500, 41), testSeller("done", 1500, 42), testSeller("held", 20, 46)] })
        const url = yield* freshDatabaseUrl("adopt")

        // The original backend's database: "stuck" left in_progress mid-backfill with a third of its orders stored
        // in older versions (half without lastUpdateDate); "done" finished, its cursor ten days back.
        const stuckAnchor = anchorOf(sim, "stuck")
        const stuckTruth = sim.groundTruth("stuck")
        const stuckInRange = stuckTruth.filter((o) => new Date(o.createdTime).getTime() >= stuckAnchor - 365 * DAY)
        const beforeRange = stuckTruth.find((o) => new Date(o.createdTime).getTime() < stuckAnchor - 366 * DAY)!
        const stuckRows: Array<OriginalOrder> = [
          ...stuckInRange.filter((_, i) => i % 3 === 0).map((order, i): OriginalOrder =>
            ({ tenantId: "stuck", order, version: i % 2 === 0 ? "noVersion" : "stale" })),
          { tenantId: "stuck", order: beforeRange, version: "current" }
        ]
        const doneAnchor = anchorOf(sim, "done")
        const cursorAt = new Date(doneAnchor - 10 * DAY)
        const doneRows = sim.groundTruth("done")
          .filter((o) => new Date(o.createdTime).getTime() >= doneAnchor - 365 * DAY && new Date(o.createdTime) <= cursorAt)
          .map((order): OriginalOrder => ({ tenantId: "done", order, version: new Date(order.lastUpdatedTime) <= cursorAt ? "current" : "stale" }))
        const stuckCursor = new Date(stuckAnchor - 200 * DAY)
        yield* Effect.gen(function*() {
          yield* createOriginalTables(cursorType)
          yield* insertOrders([...stuckRows, ...doneRows])
          // Two of the text forms a date takes: PostgreSQL's, and ISO 8601 without a zone (both UTC).
          yield* insertState({
            tenantId: "stuck", status: "in_progress", days: 365, doneAt: null, lastSyncAt: null,
            cursor: stuckCursor.toISOString().replace("T", " ").replace("Z", "+00")
          }, cursorType)
          yield* insertState({
            tenantId: "done", status: "success", days: 365, doneAt: cursorAt, lastSyncAt: cursorAt,
            // (A TIMESTAMPTZ would read a zoneless text in the session's zone: there it is given in UTC.)
            cursor: cursorType === "TIMESTAMPTZ" ? cursorAt.toISOString() : cursorAt.toISOString().replace("Z", "")
          }, cursorType)
          yield* insertState({ tenantId: "held", status: "in_progress", days: 365, doneAt: null, lastSyncAt: null, cursor: null }, cursorType)
        }).pipe(onDatabase(url))
        expect(doneRows.filter((r) => r.version === "stale").length).toBeGreaterThan(0)

        yield* Effect.gen(function*() {
          yield* addSellers(sim)
          const backfill = yield* Backfill

          // Status reads both as the old system left them.
          const stuckBefore = yield* backfill.getBackfillStatus("stuck")
          expect(stuckBefore.initialBackfillStatus).toBe("in_progress")
          expect(stuckBefore.cursor).toBe(stuckCursor.toISOString())
          expect(stuckBefore.ordersCount).toBe(stuckRows.length)
          const doneBefore = yield* backfill.getBackfillStatus("done")
          expect(doneBefore).toMatchObject({
            initialBackfillStatus: "success",
            initialBackfillDays: 365,
            initialBackfillDoneAt: cursorAt.toISOString(),
            cursor: cursorAt.toISOString(),
            ordersCount: doneRows.length
          })

          // A stuck state that a live ordersync process holds is that process's to finish.
          const sql = yield* SqlClient.SqlClient
          yield* sql`UPDATE "OrderSyncLease" SET "owner" = 'another-process', "epoch" = "epoch" + 1,
            "expiresAt" = now() + interval '10 minutes' WHERE "tenantId" = 'held'`
          expect(yield* backfill.needsInitialBackfill("held")).toBe(false)
          yield* sql`UPDATE "OrderSyncLease" SET "expiresAt" = now() - interval '1 second' WHERE "tenantId" = 'held'`
          expect(yield* backfill.needsInitialBackfill("held")).toBe(true)

          // The stuck tenant: nobody holds it, so it is backfilled, and finishes exact.
          expect(yield* backfill.needsInitialBackfill("stuck")).toBe(true)
          const stuck = yield* backfill.runInitialBackfill("stuck", 365)
          expect(stuck.initialBackfillStatus).toBe("success")
          expect(stuck.progress.coverage).toBe(1)
          yield* expectRangeExact(sim, "stuck")
          const stuckRun = Option.getOrThrow(yield* (yield* SyncStateRepo).run("stuck"))
          const stuckInRun = sim.groundTruth("stuck", { createdAfter: stuckRun.rangeStart, createdBefore: stuckRun.rangeEnd })
          // Updated in place: every old row is still there under its own id, once; nothing else besides the range.
          expect(yield* originalIds("stuck")).toEqual(stuckRows.map((r) => `old-stuck-${r.order.orderId}`).sort())
          const stuckStored = yield* storedOrders("stuck")
          expect(stuckStored.length).toBe(stuckInRun.length + 1)
          expect(stuck.ordersCount).toBe(stuckStored.length)
          expect(stuck.cursor).toBe(stuckRun.rangeEnd.toISOString())
          const written = yield* storedCursor("stuck")
          if (cursorType === "TEXT") expect(written).toBe(stuck.cursor)
          else expect(parseTimeText(written!)?.toISOString()).toBe(stuck.cursor)
          const stuckDelta = yield* backfill.runOrdersDeltaSync("stuck")
          expect(stuckDelta.after).toBe(new Date(stuckRun.rangeEnd.getTime() - OVERLAP_MS).toISOString())
          expect((yield* backfill.getBackfillStatus("stuck")).cursor).toBe(stuckDelta.before)
          yield* expectRangeExact(sim, "stuck")

          // The finished tenant keeps its state: no second backfill, and delta syncs go on from its cursor.
          expect(yield* backfill.needsInitialBackfill("done")).toBe(false)
          const again = yield* backfill.runInitialBackfill("done", 365)
          expect(orderRequests(sim, "done")).toBe(0)
          expect(again.initialBackfillStatus).toBe("success")
          expect(again.initialBackfillDoneAt).toBe(cursorAt.toISOString())
          const delta = yield* backfill.runOrdersDeltaSync("done")
          expect(delta.after).toBe(new Date(cursorAt.getTime() - OVERLAP_MS).toISOString())
          expect(delta.orders).toBeGreaterThan(0)
          const doneStored = yield* storedOrders("done")
          const doneIds = new Set(doneRows.map((r) => r.order.orderId))
          expectExactly(doneStored, sim.groundTruth("done").filter((o) =>
            new Date(o.createdTime).getTime() >= doneAnchor - 365 * DAY || doneIds.has(o.orderId)))
          expect((yield* originalIds("done")).length).toBe(doneRows.length)
          const done = yield* backfill.getBackfillStatus("done")
          expect(done.cursor).toBe(delta.before)
          expect(done.initialBackfillStatus).toBe("success")
          expect(done.ordersCount).toBe(doneStored.length)
          const doneCursor = yield* storedCursor("done")
          if (cursorType === "TEXT") expect(doneCursor).toBe(delta.before)
          else expect(parseTimeText(doneCursor!)?.toISOString()).toBe(delta.before)

          // The original backend's column types are as they were.
          const types = yield* sql<{ column: string; type: string }>`
            SELECT table_name || '.' || column_name AS "column",
              data_type || COALESCE('(' || numeric_precision || ',' || numeric_scale || ')', '') AS "type"
            FROM information_schema.columns
            WHERE (table_name, column_name) IN (('MarketplaceSyncState', 'cursor'), ('Order', 'totalAmount'), ('Order', 'id'))
            ORDER BY 1`
          expect(types).toEqual([
            { column: "MarketplaceSyncState.cursor", type: { "TEXT": "text", "TIMESTAMP(3)": "timestamp without time zone", "TIMESTAMPTZ": "timestamp with time zone" }[cursorType] },
            { column: "Order.id", type: "text" },
            { column: "Order.totalAmount", type: "numeric(65,30)" }
          ])
        }).pipe(Effect.provide(engineFor(sim, {}, databaseWith(url))))
      }))
  }

  it.scopedLive("a NOT NULL column without a default that ordersync does not write stops the start, named", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("strict", 20, 47)] })
      const url = yield* freshDatabaseUrl("adopt_strict")
      yield* Effect.gen(function*() {
        yield* createOriginalTables("TEXT")
        yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ALTER TABLE "Order" ADD COLUMN "shopId" TEXT NOT NULL`).pipe(Effect.orDie)
      }).pipe(onDatabase(url))
      const exit = yield* Effect.exit(Layer.build(engineFor(sim, {}, databaseWith(url))))
      expect(Exit.isFailure(exit)).toBe(true)
      const message = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
      expect(message).toContain(`"Order" cannot be shared`)
      expect(message).toContain(`"shopId" is NOT NULL without a default`)
    }))

  it.scopedLive("a cursor that is not a date fails with the table, the column and the value", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("odd", 20, 43)] })
      const url = yield* freshDatabaseUrl("adopt_odd")
      yield* Effect.gen(function*() {
        yield* createOriginalTables("TEXT")
        yield* insertState({ tenantId: "odd", status: "success", days: 365, doneAt: new Date(), lastSyncAt: null, cursor: "next tuesday" }, "TEXT")
      }).pipe(onDatabase(url))
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const exit = yield* Effect.exit((yield* Backfill).getBackfillStatus("odd"))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
        const message = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
        expect(message).toContain(`"MarketplaceSyncState"."cursor"`)
        expect(message).toContain(`"next tuesday"`)
        expect(message).toContain("not a date")
        expect(message).not.toContain("TypeError")
      }).pipe(Effect.provide(engineFor(sim, {}, databaseWith(url))))
    }))
})
