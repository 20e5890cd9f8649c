import { startSimulator } from "../src/Simulator/index.js"
import type { ChildInput, ChildResult } from "./EngineChild.js"
import { seller } from "./Engine.js"
import { type BenchDatabase, median, round, runChild, simulatorEnv } from "./Shared.js"

const ORDERS_PER_TENANT = 1_100 // ~500 created in the last 365 days

/**
 * B3: N tenants in one engine process, each with its own bucket, against one such tenant alone. The simulator plan
 * has a burst of 1 at Amazon's rate, so a tenant's ~5 pages are paced by the quota (the client still assumes a
 * burst of 20 and learns otherwise from one 429 per tenant).
 */
export const manyTenants = async (db: BenchDatabase, quick: boolean) => {
  const count = quick ? 100 : 1_000
  const timeFactor = quick ? 110 : 30
  const reps = Number(process.env.BENCH_B3_REPS ?? 1)
  const concurrency = Math.min(count, Number(process.env.BENCH_B3_CONCURRENCY ?? count))
  // The engine's pool waits at most 10 s for a connection (pg connectTimeout); 1,000 tenants at once need room.
  const poolSize = quick ? 20 : 150
  const plan = { searchOrders: { rate: 0.0056, burst: 1 } }
  const runs: Array<{ alone: ChildResult; many: ChildResult }> = []
  for (let rep = 0; rep < reps; rep++) {
    const ids = Array.from({ length: count }, (_, i) => `b3-${rep}-t${String(i).padStart(4, "0")}`)
    const aloneId = `b3-${rep}-alone`
    const sim = await startSimulator({
      timeFactor,
      sellers: [...ids, aloneId].map((id, i) => seller(id, ORDERS_PER_TENANT, 3000 + i, { usagePlans: plan }))
    })
    try {
      const env = (pool: number) => simulatorEnv(sim, { ORDERSYNC_DB_POOL_SIZE: String(pool), ORDERSYNC_LEASE_TTL: "30" })
      const alone = await runChild<ChildResult>("EngineChild.js", { tenants: [aloneId], concurrency: 1 } satisfies ChildInput, {
        ...env(10),
        DATABASE_URL: await db.fresh("b3alone")
      })
      const many = await runChild<ChildResult>("EngineChild.js", { tenants: ids, concurrency } satisfies ChildInput, {
        ...env(poolSize),
        DATABASE_URL: await db.fresh("b3many")
      })
      // Every tenant must be exact in count (the engine tests check content; this checks nothing was dropped).
      const wrong = [...alone.tenants, ...many.tenants].filter((t) =>
        t.orders !== sim.groundTruth(t.tenantId, { createdAfter: new Date(t.rangeStart), createdBefore: new Date(t.rangeEnd) }).length)
      if (wrong.length > 0 || many.failed > 0 || alone.failed > 0 || many.tenants.length !== count) {
        throw new Error(`B3: ${many.failed} failed, ${wrong.length} tenants with a wrong order count`)
      }
      runs.push({ alone, many })
      process.stderr.write(`  B3 rep ${rep + 1}/${reps}: alone ${alone.wallSeconds.toFixed(1)} s, ${count} tenants ${many.wallSeconds.toFixed(1)} s, peak RSS ${many.peakRssMb} MB, ELD p99 ${many.eventLoopDelayP99Ms.toFixed(1)} ms\n`)
    } finally {
      await sim.close()
    }
  }
  const ratio = median(runs.map((r) => r.many.wallSeconds / r.alone.wallSeconds))
  const peakRssMb = Math.max(...runs.map((r) => r.many.peakRssMb))
  const totalOrders = runs[0]!.many.tenants.reduce((n, t) => n + t.orders, 0)
  return {
    scenario: "B3",
    title: `${count} tenants in one process vs one tenant alone`,
    tenants: count,
    ordersPerTenant: round(totalOrders / count, 0),
    timeFactor,
    simulatorPlan: plan,
    poolSize,
    concurrency,
    reps,
    wallRatio: round(ratio, 3),
    aloneSeconds: round(median(runs.map((r) => r.alone.wallSeconds)), 2),
    manySeconds: round(median(runs.map((r) => r.many.wallSeconds)), 2),
    peakRssMb,
    aloneRssMb: Math.max(...runs.map((r) => r.alone.peakRssMb)),
    eventLoopDelayP99Ms: round(median(runs.map((r) => r.many.eventLoopDelayP99Ms)), 1),
    eventLoopDelayMaxMs: round(Math.max(...runs.map((r) => r.many.eventLoopDelayMaxMs)), 1),
    throttledPerTenant: round(runs[0]!.many.tenants.reduce((n, t) => n + t.throttled, 0) / count, 2),
    targets: { wallRatio: "<= 1.5", peakRssMb: "<= 300" },
    met: ratio <= 1.5 && peakRssMb <= 300
  }
}
