import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { scoped as simulator, type SimulatorHandle } from "../../src/Simulator/index.js"
import { freshDatabaseUrl } from "../support/Database.js"
import { addSellers, expectExactly, storedOrders } from "../support/Engine.js"
import { engineOn, eventually, installWriteAudit, leaseOwners, startReplica } from "./support.js"

// Every answer takes 400 real ms and the quota never runs dry: a 5000-order backfill (50 pages) takes about 20 s.
// (A quota that runs dry would stall a tenant taken over mid-run: its new holder's bucket does not know Amazon's rate
// yet, and waits the default plan's refill in real seconds, which the time-compressed simulator does not scale.)
const seller = (sellerId: string, orders: number, seed: number) => ({
  sellerId,
  refreshToken: `Atzr|${sellerId}`,
  marketplaceIds: ["ATVPDKIKX0DER"] as [string],
  orders,
  seed,
  usagePlans: { searchOrders: { rate: 1, burst: 1000 } },
  faults: { slowResponseMs: 400 }
})

const tenantIds = ["t1", "t2", "t3", "t4"]

const statuses = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ tenantId: string; status: string | null }>`SELECT t."tenantId", s."initialBackfillStatus" AS status
    FROM "OrderSyncTenant" t LEFT JOIN "MarketplaceSyncState" s USING ("tenantId") ORDER BY 1`.pipe(Effect.orDie))

const allDone = Effect.map(statuses, (rows) => rows.every((r) => r.status === "success") ? rows : undefined)

/** Every tenant holds exactly the ground truth of its run's range. */
const expectGroundTruth = (sim: SimulatorHandle, ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const repo = yield* SyncStateRepo
    for (const tenantId of ids) {
      const run = Option.getOrThrow(yield* repo.run(tenantId))
      expectExactly(yield* storedOrders(tenantId), sim.groundTruth(tenantId, { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }))
    }
  })

/** Writes by a process that did not hold the tenant's lease at that moment (must be none). */
const unfencedWrites = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ tableName: string; writer: string; owner: string | null; tenantId: string }>`
    SELECT "tableName", "writer", "owner", "tenantId" FROM "WriteAudit" WHERE "owner" IS DISTINCT FROM "writer" LIMIT 20`.pipe(Effect.orDie))

describe("replicas on one database", () => {
  it.scopedLive("split the tenants, take over a killed one's, and a paused holder cannot write after losing its lease", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 360, sellers: tenantIds.map((id, i) => seller(id, 5000, i + 1)) })
      const url = yield* freshDatabaseUrl("replicas")
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        yield* installWriteAudit
        // A process stopped inside a transaction must not keep its lock on the lease row for ever.
        yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql.unsafe(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET idle_in_transaction_session_timeout = '2s'`))

        // Two replicas started together split the four tenants two and two.
        const a = yield* startReplica("a", sim, url)
        const b = yield* startReplica("b", sim, url)
        const split = yield* eventually("a and b hold two tenants each", 60, Effect.map(leaseOwners, (owners) =>
          owners.a?.length === 2 && owners.b?.length === 2 ? owners : undefined))
        expect([...split.a!, ...split.b!].sort()).toEqual(tenantIds)

        // b dies: a takes its tenants once their leases expire (TTL 3 s), and resumes them from their checkpoints.
        yield* eventually("b has committed pages", 30, Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql<{ n: number }>`SELECT count(*)::int AS n FROM "WriteAudit" WHERE "writer" = 'b' AND "tableName" = 'OrderSyncWindow'`.pipe(
            Effect.map((rows) => rows[0]!.n > 0 ? true : undefined),
            Effect.orDie
          )))
        b.signal("SIGKILL")
        yield* Effect.promise(() => b.exited)
        const killedAt = Date.now()
        yield* eventually("a holds all four tenants", 20, Effect.map(leaseOwners, (owners) =>
          owners.a?.length === 4 ? owners : undefined))
        const takeoverSeconds = (Date.now() - killedAt) / 1000
        // Up to one TTL for the leases to expire, plus one poll and the polling here.
        expect(takeoverSeconds).toBeLessThan(3 + 0.5 + 2)

        // So far every tenant was driven by one process at a time: never two requests in flight for one seller.
        for (const id of tenantIds) expect(sim.stats(id).peakInFlight).toBeLessThanOrEqual(1)

        // c joins and a hands two tenants over; then a is frozen (SIGSTOP) and c takes its tenants too.
        const c = yield* startReplica("c", sim, url)
        const beforeStop = yield* eventually("a and c hold two each", 30, Effect.map(leaseOwners, (owners) =>
          owners.a?.length === 2 && owners.c?.length === 2 ? owners : undefined))
        a.signal("SIGSTOP")
        // a is frozen in the middle of its two backfills.
        const frozen = (yield* statuses).filter((s) => beforeStop.a!.includes(s.tenantId))
        expect(frozen.map((s) => s.status)).toEqual(["in_progress", "in_progress"])
        yield* eventually("c holds all four tenants", 20, Effect.map(leaseOwners, (owners) =>
          owners.c?.length === 4 ? owners : undefined))
        // a wakes up believing it still drives two tenants: its next commit is fenced off.
        a.signal("SIGCONT")
        yield* eventually("every backfill succeeds", 90, allDone).pipe(Effect.tapDefect(() => Effect.gen(function*() {
          console.log(JSON.stringify(yield* statuses), JSON.stringify(yield* leaseOwners))
          for (const id of tenantIds) console.log("STATS", id, JSON.stringify({ ...sim.stats(id), tokens: undefined }))
          const sql = yield* SqlClient.SqlClient
          console.log(JSON.stringify(yield* sql`SELECT "tenantId", "pages", "finishedAt" FROM "OrderSyncBackfill"`.pipe(Effect.orDie)))
          console.log(JSON.stringify(yield* sql`SELECT * FROM "OrderSyncLease"`.pipe(Effect.orDie)))
          console.log(JSON.stringify(yield* sql`SELECT * FROM "OrderSyncReplica"`.pipe(Effect.orDie)))
          console.log("C:", c.log().split("\n").slice(-15).join("\n"))
          console.log("A:", a.log().split("\n").slice(-15).join("\n"))
        })))
        // Whatever a wrote after waking up, it wrote under a lease it held at that moment (it may win tenants back).
        expect(yield* unfencedWrites).toEqual([])

        // Ground truth, for every tenant, whoever fetched which page.
        yield* expectGroundTruth(sim, tenantIds)
        expect(a.child.exitCode).toBeNull()
      }).pipe(Effect.provide(engineOn(sim, url)))
    }), 240_000)

  it.scopedLive("SIGTERM during a backfill exits within 10 s; the next start resumes from the checkpoint", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 360, sellers: [seller("solo", 3000, 9)] })
      const url = yield* freshDatabaseUrl("sigterm")
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const first = yield* startReplica("first", sim, url)
        const pagesCommitted = Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql<{ pages: string }>`SELECT "pages"::text FROM "OrderSyncBackfill" WHERE "tenantId" = 'solo'`.pipe(
            Effect.map((rows) => Number(rows[0]?.pages ?? 0)),
            Effect.orDie
          ))
        yield* eventually("a few pages are committed", 60, Effect.map(pagesCommitted, (n) => n >= 5 ? n : undefined))
        first.signal("SIGTERM")
        const exit = yield* Effect.promise(() => first.exited)
        expect(exit.afterSignalMs).toBeLessThan(10_000)
        // It released its lease on the way out.
        expect(yield* leaseOwners).toEqual({})
        const [state] = yield* statuses
        expect(state!.status).toBe("in_progress")
        const pagesBefore = yield* pagesCommitted
        expect(pagesBefore).toBeLessThan(30)

        yield* startReplica("second", sim, url)
        yield* eventually("the backfill succeeds", 90, allDone)
        // The restart continued from the checkpoint: at most the page in flight at SIGTERM was fetched twice.
        expect(sim.stats("solo").pageRefetches).toBeLessThanOrEqual(1)
        yield* expectGroundTruth(sim, ["solo"])
      }).pipe(Effect.provide(engineOn(sim, url)))
    }), 240_000)
})
