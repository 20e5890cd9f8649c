import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { engineOn, eventually, installWriteAudit, leaseOwners } from "../daemon/support.js"
import { freshDatabaseUrl } from "../support/Database.js"
import { addSellers, expectExactly, storedOrders, testSeller } from "../support/Engine.js"
import { report } from "./support.js"
import { installClaimAudit, type ServeProcess, startServe } from "./support2.js"

const TENANTS = 50
const LEASE_TTL_SECONDS = 3
const POLL_SECONDS = 0.5
const HEARTBEAT_SECONDS = LEASE_TTL_SECONDS / 3

// Every answer takes 500 real ms, so two processes driving one seller at once would overlap in the simulator's
// in-flight counter; the quota never runs dry, so a backfill (~55 pages) lasts about half a minute, long enough for
// both kills and the hand-back to land in the middle of it.
const sellerOf = (sellerId: string, seed: number) =>
  testSeller(sellerId, 12_000, seed, { usagePlans: { searchOrders: { rate: 1, burst: 1000 } }, faults: { slowResponseMs: 500 } })

const statuses = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ tenantId: string; status: string | null }>`SELECT t."tenantId", s."initialBackfillStatus" AS status
    FROM "OrderSyncTenant" t LEFT JOIN "MarketplaceSyncState" s USING ("tenantId") ORDER BY 1`.pipe(Effect.orDie))

const pagesCommitted = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ pages: number }>`SELECT coalesce(sum("pages"), 0)::int AS pages FROM "OrderSyncBackfill"`.pipe(
    Effect.map((rows) => rows[0]!.pages),
    Effect.orDie
  ))

/** The first claim after `since` of each of these tenants by anyone but `victim`, in database time. */
const claimsAfter = (tenantIds: ReadonlyArray<string>, victim: string, since: Date) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ tenantId: string; owner: string; at: Date }>`SELECT DISTINCT ON ("tenantId") "tenantId", "owner", "at"
      FROM "ClaimAudit" WHERE "tenantId" = ANY(${[...tenantIds]}::text[]) AND "owner" IS NOT NULL AND "owner" <> ${victim}
        AND "at" > ${since} ORDER BY "tenantId", "at"`.pipe(Effect.orDie))

/** Writes by a process that did not hold the tenant's lease in that transaction (must be none). */
const unfencedWrites = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ tableName: string; writer: string; owner: string | null; tenantId: string }>`
    SELECT "tableName", "writer", "owner", "tenantId" FROM "WriteAudit" WHERE "owner" IS DISTINCT FROM "writer" LIMIT 20`.pipe(Effect.orDie))

describe("R4: replica failover", () => {
  it.scopedLive(`three daemons share ${TENANTS} tenants; one is SIGKILLed, then a second, then both start again: one request per seller at a time, takeover within a TTL, every tenant exact`, () =>
    Effect.gen(function*() {
      const ids = Array.from({ length: TENANTS }, (_, i) => `r4-${String(i).padStart(2, "0")}`)
      const sim = yield* simulator({ timeFactor: 360, sellers: ids.map((id, i) => sellerOf(id, 400 + i)) })
      const url = yield* freshDatabaseUrl("r4")
      const env = { ORDERSYNC_LEASE_TTL: String(LEASE_TTL_SECONDS), ORDERSYNC_POLL_SECONDS: String(POLL_SECONDS) }
      const started = Date.now()
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        yield* installWriteAudit
        yield* installClaimAudit
        // A process killed inside a transaction must not keep its lock on a lease row.
        yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql.unsafe(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET idle_in_transaction_session_timeout = '2s'`))

        const replicas: Record<string, ServeProcess> = {}
        for (const name of ["a", "b", "c"]) replicas[name] = yield* startServe(name, sim, url, env)
        const split = yield* eventually("a, b and c split the tenants", 90, Effect.map(leaseOwners, (owners) =>
          ["a", "b", "c"].every((n) => (owners[n]?.length ?? 0) >= 16) ? owners : undefined))
        expect(Object.values(split).flat().sort()).toEqual(ids)
        yield* eventually("five pages per tenant are committed", 120, Effect.map(pagesCommitted, (n) => n >= TENANTS * 5 ? n : undefined))

        /** SIGKILLs `victim` and waits until every tenant it held is claimed by a live replica: the takeover. */
        const kill = (victim: string) =>
          Effect.gen(function*() {
            const held = (yield* leaseOwners)[victim] ?? []
            const running = (yield* statuses).filter((s) => held.includes(s.tenantId) && s.status === "in_progress").length
            const killedAt = new Date()
            replicas[victim]!.child.kill("SIGKILL")
            yield* Effect.promise(() => replicas[victim]!.exited)
            const claims = yield* eventually(`the tenants of ${victim} are taken over`, 60, Effect.map(
              claimsAfter(held, victim, killedAt),
              (rows) => rows.length === held.length ? rows : undefined
            ))
            const seconds = claims.map((c) => (c.at.getTime() - killedAt.getTime()) / 1000)
            return { victim, tenants: held.length, inProgressAtKill: running, takeoverSeconds: { first: Math.min(...seconds), last: Math.max(...seconds) } }
          })

        const first = yield* kill("a")
        const second = yield* kill("b")
        expect((yield* leaseOwners).c?.length).toBe(TENANTS)

        // Both start again (same names, as a restarted pod would) and c hands tenants back, one per poll.
        const restartedAt = Date.now()
        for (const name of ["a", "b"]) replicas[name] = yield* startServe(name, sim, url, env)
        yield* eventually("a, b and c share the tenants again", 120, Effect.map(leaseOwners, (owners) =>
          ["a", "b", "c"].every((n) => (owners[n]?.length ?? 0) >= 16) ? owners : undefined))
        const rebalanceSeconds = (Date.now() - restartedAt) / 1000
        const runningAtRebalance = (yield* statuses).filter((s) => s.status === "in_progress").length

        yield* eventually("every backfill succeeds", 300, Effect.map(statuses, (rows) =>
          rows.every((r) => r.status === "success") ? rows : undefined))

        const all = ids.map((id) => sim.stats(id))
        const claims = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql<{ n: number }>`SELECT count(*)::int AS n FROM "ClaimAudit" WHERE "owner" IS NOT NULL`.pipe(Effect.orDie))
        report("R4", {
          replicas: 3,
          tenants: TENANTS,
          leaseTtlSeconds: LEASE_TTL_SECONDS,
          pollSeconds: POLL_SECONDS,
          kills: [first, second],
          rebalanceSecondsAfterRestart: rebalanceSeconds,
          inProgressAtRebalance: runningAtRebalance,
          leaseClaims: claims[0]!.n,
          maxConcurrentRequestsPerSeller: Math.max(...all.map((s) => s.peakInFlight)),
          pagesServed: all.reduce((n, s) => n + (s.pagesServed["searchOrders"] ?? 0), 0),
          pageRefetches: all.reduce((n, s) => n + s.pageRefetches, 0),
          seconds: (Date.now() - started) / 1000
        })

        // One request per seller at a time, whoever drove it, through both kills and the hand-back.
        for (const stats of all) expect({ seller: stats.sellerId, peakInFlight: stats.peakInFlight }).toEqual({ seller: stats.sellerId, peakInFlight: 1 })
        // A dead replica's lease expires at most one TTL after its last heartbeat; a live one claims it on its next poll.
        for (const k of [first, second]) {
          expect(k.inProgressAtKill).toBeGreaterThan(0)
          expect(k.takeoverSeconds.last).toBeLessThanOrEqual(LEASE_TTL_SECONDS + Math.max(HEARTBEAT_SECONDS, POLL_SECONDS))
        }
        // No write landed without the lease, and every tenant holds exactly Amazon's orders of its range.
        expect(yield* unfencedWrites).toEqual([])
        const repo = yield* SyncStateRepo
        for (const id of ids) {
          const run = Option.getOrThrow(yield* repo.run(id))
          expectExactly(yield* storedOrders(id), sim.groundTruth(id, { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }))
        }
      }).pipe(Effect.provide(engineOn(sim, url)))
    }))
})
