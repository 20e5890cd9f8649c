import { spawn } from "node:child_process"
import * as path from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { Backfill } from "../src/Services/Backfill.js"
import { Requests } from "../src/Services/Daemon/Requests.js"
import { engineOver } from "../src/Services/Engine.js"
import { SqlFromUrl } from "../src/Services/Store/Database.js"
import { Tenants } from "../src/Services/Store/Tenants.js"
import { type SimulatorHandle, startSimulator } from "../src/Simulator/index.js"
import { seller } from "./Engine.js"
import type { FleetChildInput, FleetChildResult } from "./FleetChild.js"
import { type BenchDatabase, median, percentile, repoRoot, round, simulatorEnv } from "./Shared.js"

/** Real simulator sellers among the fleet, triggered to measure trigger → first request. */
const PROBES = 5

const searchRequests = (sim: SimulatorHandle, sellerId: string) =>
  Object.values(sim.stats(sellerId).requests.searchOrders ?? {}).reduce((sum, n) => sum + n, 0)

interface Replica {
  readonly steady: Promise<void>
  readonly result: Promise<FleetChildResult>
  readonly go: () => void
  readonly kill: () => void
}

const startReplica = (name: string, env: Record<string, string>, input: FleetChildInput): Replica => {
  const flags = (process.env.BENCH_CHILD_NODE_FLAGS ?? "").split(" ").filter((f) => f.length > 0)
  const child = spawn(process.execPath, [...flags, path.join(repoRoot, "dist/bench/FleetChild.js"), JSON.stringify(input)], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env, ORDERSYNC_INSTANCE_ID: name },
    stdio: ["pipe", "pipe", "pipe"]
  })
  let out = ""
  let err = ""
  let onSteady = () => {}
  const steady = new Promise<void>((resolve) => (onSteady = resolve))
  child.stdout.on("data", (chunk) => {
    out += String(chunk)
    if (out.includes("steady\n")) onSteady()
  })
  child.stderr.on("data", (chunk) => (err += String(chunk)))
  const result = new Promise<FleetChildResult>((resolve, reject) =>
    child.on("exit", (code, signal) => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "))
      if (process.env.BENCH_DEBUG) process.stderr.write(`--- replica ${name}:\n${out.slice(0, 5000)}\n${err.slice(0, 5000)}\n`)
      if (code === 0 && line !== undefined) resolve(JSON.parse(line.slice("RESULT ".length)) as FleetChildResult)
      else reject(new Error(`replica ${name} exited ${code ?? signal}:\n${err.slice(-2000)}\n${out.slice(-2000)}`))
    })
  )
  result.catch(() => undefined)
  return { steady: Promise.race([steady, result.then(() => undefined)]), result, go: () => child.stdin.write("go\n"), kill: () => child.kill("SIGKILL") }
}

const fleetSetup = (tenants: number, sim: SimulatorHandle) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // Everybody done and in delta mode, with a sync just now: the replicas hold them and wait.
    yield* sql`INSERT INTO "OrderSyncTenant" ("tenantId", "region", "marketplaceIds", "refreshTokenCiphertext")
      SELECT 'fleet-' || lpad(g::text, 6, '0'), 'na', ARRAY['ATVPDKIKX0DER'], 'unused' FROM generate_series(1, ${tenants - PROBES}) g`
    yield* sql`INSERT INTO "OrderSyncLease" ("tenantId") SELECT "tenantId" FROM "OrderSyncTenant" ON CONFLICT DO NOTHING`
    yield* sql`INSERT INTO "MarketplaceSyncState" ("tenantId", "marketplace", "cursor", "lastSyncAt", "initialBackfillDays",
        "initialBackfillDoneAt", "initialBackfillStatus")
      SELECT "tenantId", 'amazon', now(), now(), 365, now(), 'success' FROM "OrderSyncTenant"`
    const tenantsRepo = yield* Tenants
    const backfill = yield* Backfill
    for (const s of sim.sellers()) {
      yield* tenantsRepo.add({
        tenantId: s.sellerId,
        region: "na",
        marketplaceIds: s.marketplaceIds,
        sellingPartnerId: null,
        refreshToken: Redacted.make(s.refreshToken)
      })
      yield* backfill.runInitialBackfill(s.sellerId, 30)
    }
    yield* sql`ANALYZE`
  })

const databaseReads = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ rows: string; statements: string }>`SELECT (tup_returned + tup_fetched)::text AS rows, (xact_commit + xact_rollback)::text AS statements
    FROM pg_stat_database WHERE datname = current_database()`.pipe(
    Effect.map((r) => ({ rows: Number(r[0]!.rows), transactions: Number(r[0]!.statements) }))
  ))

/**
 * B7: the claim loop's cost with a fleet in the tables. `tenants` registered (all but a few probes done and in delta
 * mode, waiting), `replicas` daemon processes on one PostgreSQL. Once every replica has settled: per tick, its time
 * (the round trips to the database included), the rows PostgreSQL read, and the replica's CPU; and the latency from a
 * trigger (what `POST …/delta` stores and notifies) to the holder's first request to Amazon.
 */
const runFleet = async (db: BenchDatabase, tenants: number, replicas: number, seconds: number, triggers: number) => {
  const sim = await startSimulator({
    timeFactor: 360,
    sellers: Array.from({ length: PROBES }, (_, i) => seller(`probe-${i}`, 200, 7000 + i))
  })
  const url = await db.fresh(`b7_${tenants}_${replicas}`)
  const env = simulatorEnv(sim, {
    DATABASE_URL: url,
    ORDERSYNC_POLL_SECONDS: "2",
    ORDERSYNC_LEASE_TTL: "30",
    ORDERSYNC_DELTA_INTERVAL_SECONDS: "1000000",
    ORDERSYNC_CLAIM_BATCH: "5000",
    LOG_LEVEL: "Warning"
  })
  const layer = Layer.provideMerge(Requests.Default, engineOver(SqlFromUrl(url))).pipe(
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
  )
  const running: Array<Replica> = []
  try {
    return await Effect.runPromise(Effect.gen(function*() {
      yield* fleetSetup(tenants, sim)
      const settleStarted = performance.now()
      for (let r = 0; r < replicas; r++) running.push(startReplica(`r${r}`, env, { seconds }))
      yield* Effect.promise(() => Promise.all(running.map((r) => r.steady)))
      const settleSeconds = (performance.now() - settleStarted) / 1000
      const before = yield* databaseReads
      for (const r of running) r.go()
      const started = performance.now()
      // Triggers while the replicas measure their ticks.
      const requests = yield* Requests
      const latencies: Array<number> = []
      for (let i = 0; i < triggers && performance.now() - started < (seconds - 2) * 1000; i++) {
        const probe = `probe-${i % PROBES}`
        const count = searchRequests(sim, probe)
        const t0 = performance.now()
        yield* requests.requestDelta(probe)
        while (searchRequests(sim, probe) === count && performance.now() - t0 < 30_000) yield* Effect.sleep("2 millis")
        latencies.push(performance.now() - t0)
        yield* Effect.sleep("200 millis")
      }
      if (process.env.BENCH_DEBUG) {
        const sql = yield* SqlClient.SqlClient
        const seen = new Map<string, number>()
        for (let i = 0; i < 300; i++) {
          const rows = yield* sql<{ query: string }>`SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`
          for (const r of rows) seen.set(r.query, (seen.get(r.query) ?? 0) + 1)
          yield* Effect.sleep("20 millis")
        }
        process.stderr.write([...seen].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([q, n]) => `${n} ${q}`).join("\n") + "\n")
      }
      const results = yield* Effect.promise(() => Promise.all(running.map((r) => r.result)))
      yield* Effect.sleep("1500 millis")
      const after = yield* databaseReads
      const ticks = results.reduce((sum, r) => sum + r.ticks, 0)
      return {
        tenants,
        replicas,
        seconds,
        settleSeconds: round(settleSeconds, 1),
        held: results.map((r) => r.held),
        ticks,
        tickMeanMs: round(median(results.map((r) => r.tickMeanMs)), 2),
        tickP99Ms: round(Math.max(...results.map((r) => r.tickP99Ms)), 2),
        rowsReadPerTick: round((after.rows - before.rows) / Math.max(1, ticks), 0),
        transactionsPerSecond: round((after.transactions - before.transactions) / seconds, 1),
        cpuMsPerTick: round(median(results.map((r) => r.cpuMsPerTick)), 2),
        replicaCpuFraction: round(median(results.map((r) => r.cpuFraction)), 4),
        replicaRssMb: results.map((r) => r.rssMb),
        triggers: latencies.length,
        triggerToRequestMedianMs: round(median(latencies), 0),
        triggerToRequestP99Ms: round(percentile(latencies, 0.99), 0)
      }
    }).pipe(Effect.scoped, Effect.provide(layer)))
  } finally {
    running.forEach((r) => r.kill())
    await sim.close()
  }
}

export const fleet = async (db: BenchDatabase, quick: boolean) => {
  const sizes = process.env.BENCH_B7_TENANTS ? [Number(process.env.BENCH_B7_TENANTS)] : quick ? [2_000] : [10_000, 100_000]
  const replicaCounts = process.env.BENCH_B7_REPLICAS ? [Number(process.env.BENCH_B7_REPLICAS)] : quick ? [1, 2] : [1, 5]
  const runs: Array<Awaited<ReturnType<typeof runFleet>>> = []
  for (const tenants of sizes) {
    for (const replicas of replicaCounts) {
      process.stderr.write(`  B7 ${tenants} tenants, ${replicas} replica(s) …\n`)
      runs.push(await runFleet(db, tenants, replicas, quick ? 12 : 30, quick ? 10 : 40))
    }
  }
  const largest = runs.filter((r) => r.tenants === Math.max(...sizes))
  return {
    scenario: "B7",
    description: "claim-loop cost per tick with a fleet registered (all but 5 probes done, waiting in delta mode); trigger → first request",
    runs,
    met: {
      tickUnder20msAtLargest: largest.every((r) => r.tickMeanMs <= 20),
      triggerP99Under1s: runs.every((r) => r.triggerToRequestP99Ms <= 1000)
    }
  }
}
