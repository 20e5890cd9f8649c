import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { Requests } from "../../src/Services/Daemon/Requests.js"
import { scoped as simulator, type SimulatorHandle } from "../../src/Simulator/index.js"
import { freshDatabaseUrl } from "../support/Database.js"
import { addSellers, requestsOf, testSeller } from "../support/Engine.js"
import { engineOn, eventually, leaseOwners, startReplica } from "./support.js"

const FACTOR = 360

/** Every tenant's backfill done, as a fleet in delta mode is, with its last sync `ageSeconds` ago. */
const backfillAll = (ids: ReadonlyArray<string>, ageSeconds: number) =>
  Effect.gen(function*() {
    const backfill = yield* Backfill
    yield* Effect.forEach(ids, (id) => backfill.runInitialBackfill(id, 30), { concurrency: 8 })
    const sql = yield* SqlClient.SqlClient
    yield* sql`UPDATE "MarketplaceSyncState" SET "lastSyncAt" = now() - ${ageSeconds} * interval '1 second'`
  }).pipe(Effect.orDie)

/** Real milliseconds from `trigger` until the simulator sees the seller's next searchOrders request. */
const latencyOf = <E, R>(sim: SimulatorHandle, sellerId: string, trigger: Effect.Effect<void, E, R>) =>
  Effect.gen(function*() {
    const before = requestsOf(sim, sellerId, "searchOrders")
    const start = Date.now()
    yield* trigger
    yield* eventually(`a request for ${sellerId}`, 30, Effect.sync(() => requestsOf(sim, sellerId, "searchOrders") > before || undefined))
    return Date.now() - start
  })

const epochs = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ tenantId: string; epoch: string }>`SELECT "tenantId", "epoch" FROM "OrderSyncLease" ORDER BY 1`.pipe(
    Effect.map((rows) => Object.fromEntries(rows.map((r) => [r.tenantId, Number(r.epoch)]))),
    Effect.orDie
  ))

const moves = (before: Record<string, number>, after: Record<string, number>) =>
  Object.keys(after).map((id) => after[id]! - (before[id] ?? 0))

const heldCounts = Effect.map(leaseOwners, (owners) => Object.fromEntries(Object.entries(owners).map(([o, ids]) => [o, ids.length])))

describe("a fleet of tenants", () => {
  it.scopedLive("a trigger reaches the holder through a notification within a second, and through the poll when notifications are cut", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("nudged", 300, 91)] })
      const url = yield* freshDatabaseUrl("fleet-trigger")
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        yield* backfillAll(["nudged"], 0)
        // A poll of 8 s and deltas every hour: only a notification starts a delta sync within a second.
        const replica = yield* startReplica("solo", sim, url, { ORDERSYNC_POLL_SECONDS: "8", ORDERSYNC_DELTA_INTERVAL_SECONDS: "3600" })
        yield* eventually("solo holds the tenant", 30, Effect.map(leaseOwners, (o) => o.solo?.length === 1 || undefined))
        const requests = yield* Requests
        const notified: Array<number> = []
        for (let i = 0; i < 3; i++) {
          notified.push(yield* latencyOf(sim, "nudged", requests.requestDelta("nudged")))
          yield* Effect.sleep("300 millis")
        }
        expect(Math.max(...notified)).toBeLessThan(1000)

        // Cut the listening connection: the trigger still arrives, by the poll; then the listener comes back.
        const sql = yield* SqlClient.SqlClient
        const cut = yield* sql<{ n: number }>`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE 'LISTEN%'`
        expect(cut[0]!.n).toBe(1)
        const polled = yield* latencyOf(sim, "nudged", requests.requestDelta("nudged"))
        expect(polled).toBeLessThan(8000 + 2000)
        yield* eventually("the listener to come back", 40, Effect.map(
          sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
          (rows) => rows[0]!.n === 1 || undefined
        ).pipe(Effect.orDie))
        expect(yield* latencyOf(sim, "nudged", requests.requestDelta("nudged"))).toBeLessThan(1000)
        expect(replica.log()).toMatch(/stopped answering; listening again/)
      }).pipe(Effect.provide(Layer.provideMerge(Requests.Default, engineOn(sim, url))))
    }), 120_000)

  it.scopedLive("replicas joining and leaving move each tenant at most once per change; a restart spreads the delta syncs", () =>
    Effect.gen(function*() {
      const ids = Array.from({ length: 24 }, (_, i) => `f${String(i).padStart(2, "0")}`)
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: ids.map((id, i) => testSeller(id, 40, 100 + i)) })
      const url = yield* freshDatabaseUrl("fleet-moves")
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        // Every last sync an hour old: without spreading, all 24 delta syncs would fire in the same second.
        yield* backfillAll(ids, 3600)
        const interval = { ORDERSYNC_DELTA_INTERVAL_SECONDS: "6" }
        const a = yield* startReplica("a", sim, url, interval)
        const b = yield* startReplica("b", sim, url, interval)
        yield* eventually("a and b hold 12 each", 60, Effect.map(heldCounts, (n) => n.a === 12 && n.b === 12 || undefined))

        // The first delta sync of each tenant, after the restart: spread over the interval.
        const firstDelta = yield* eventually("every tenant's first delta sync", 60, Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ at: Date }>`SELECT "lastSyncAt" AS at FROM "MarketplaceSyncState"
            WHERE "lastSyncAt" > now() - interval '10 minutes'`.pipe(Effect.orDie)
          return rows.length === ids.length ? rows.map((r) => r.at.getTime()) : undefined
        }))
        // Uniform over 6 s: 24 syncs within 2 s of one another has a chance below 1e-9.
        expect(Math.max(...firstDelta) - Math.min(...firstDelta)).toBeGreaterThan(2000)

        // A third replica joins: fair share 8; each tenant moves at most once.
        const beforeJoin = yield* epochs
        const c = yield* startReplica("c", sim, url, interval)
        yield* eventually("8 tenants each", 60, Effect.map(heldCounts, (n) => n.a === 8 && n.b === 8 && n.c === 8 || undefined))
        yield* Effect.sleep("3 seconds")
        const afterJoin = yield* epochs
        expect(moves(beforeJoin, afterJoin).filter((m) => m > 1)).toEqual([])
        expect(moves(beforeJoin, afterJoin).filter((m) => m === 1).length).toBe(8)
        expect(yield* heldCounts).toEqual({ a: 8, b: 8, c: 8 })

        // It leaves (SIGTERM releases its leases): its 8 go to a and b, once each.
        c.signal("SIGTERM")
        yield* Effect.promise(() => c.exited)
        yield* eventually("12 tenants each again", 60, Effect.map(heldCounts, (n) => n.a === 12 && n.b === 12 || undefined))
        yield* Effect.sleep("3 seconds")
        const afterLeave = yield* epochs
        expect(moves(afterJoin, afterLeave).filter((m) => m > 1)).toEqual([])
        expect(moves(afterJoin, afterLeave).filter((m) => m === 1).length).toBe(8)
        expect([a.log(), b.log()].join("\n")).not.toMatch(/LeaseLost|tenant fiber failed/)
      }).pipe(Effect.provide(engineOn(sim, url)))
    }), 240_000)
})
