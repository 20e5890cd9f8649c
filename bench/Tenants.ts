import { startSimulator } from "../src/Simulator/index.js"
import type { ChildInput, ChildResult } from "./EngineChild.js"
import { seller } from "./Engine.js"
import { type BenchDatabase, machineCpu, median, percentile, round, runChild, simulatorEnv } from "./Shared.js"

const ORDERS_PER_TENANT = 1_100 // ~500 created in the last 365 days: 5 pages of 100

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}

const quantiles = (values: ReadonlyArray<number>) => {
  const known = values.filter(Number.isFinite)
  return { p50: round(percentile(known, 0.5), 1), p90: round(percentile(known, 0.9), 1), max: round(percentile(known, 1), 1) }
}

/** When the tenants' first requests went out (seconds from the start), and each run's time from there to its end. */
const startSpread = (result: ChildResult) => ({
  firstRequestSeconds: quantiles(result.tenants.map((t) => t.firstRequestSeconds)),
  firstRequestToDoneSeconds: quantiles(result.tenants.map((t) => t.seconds - t.firstRequestSeconds))
})

/**
 * The tenant alone and `count` others whose sellers have the same number of pages in the range, each a few orders
 * away from a page boundary (the range moves on by minutes before the runs). A seller with one page more has a quota
 * minimum one interval longer: in a 10,000-tenant run one such seller set the wall (901 s from its first request,
 * 900 s its minimum, where the tenant alone needs 720 s), and the ratio compared work, not contention.
 */
const samePages = (candidates: ReadonlyArray<string>, ordersInRange: (id: string) => number, count: number) => {
  const pagesOf = (orders: number) => {
    const rest = orders % 100
    return rest <= 2 || rest >= 98 ? undefined : Math.ceil(orders / 100)
  }
  const usable = candidates.map((id) => ({ id, pages: pagesOf(ordersInRange(id)) })).filter((c) => c.pages !== undefined)
  const [alone, ...others] = usable
  const ids = others.filter((c) => c.pages === alone?.pages).slice(0, count).map((c) => c.id)
  if (alone === undefined || ids.length < count) throw new Error(`B3: only ${ids.length} of ${count} sellers with the same pages as the tenant alone`)
  return { aloneId: alone.id, ids }
}

/**
 * B3: N tenants in one engine process, each with its own bucket, against one such tenant alone.
 *
 * The quota, not the CPU, must set the pace (the issue: "the quota makes them parallel, so the ideal is 1.0"). With
 * Amazon's default burst of 20, a tenant's 5 pages never wait and the run would measure pure CPU. So every seller
 * gets a usage-plan override with a burst of 2 and one page per `intervalSeconds`: a tenant alone (6 pages) takes
 * about 4 × interval, and N tenants ask for N ÷ interval pages per second in all, which is kept well below what one Node
 * process (with the simulator and PostgreSQL on the same 2 cores) can do. The client starts from Amazon's default
 * plan and learns the seller's rate from the first answer and the small burst from one 429.
 *
 * Why 2 and not 1: with a burst of 1 Amazon cannot bank any slack, so one request delayed by a busy event loop
 * makes the client's next, exactly paced, request arrive early; it gets a 429, and the engine's drain-and-wait
 * after a 429 costs a whole interval. (Measured: 2.9 429s per tenant at a burst of 1 against 1.0 at a burst of 2.)
 *
 * Then the same tenants in delta mode: the daemon claims them all in the engine's process and runs their delta syncs
 * (every ORDERSYNC_DELTA_INTERVAL_SECONDS, first ones spread over one interval) for `deltaSeconds` of Amazon time,
 * while each seller's orders keep changing (2% of its history over two hours).
 */
export const manyTenants = async (db: BenchDatabase, quick: boolean) => {
  const count = num("BENCH_B3_TENANTS", quick ? 100 : 1_000)
  const intervalSeconds = num("BENCH_B3_INTERVAL", quick ? 3.5 : 25)
  const burst = num("BENCH_B3_BURST", 2)
  const reps = num("BENCH_B3_REPS", 1)
  const concurrency = Math.min(count, num("BENCH_B3_CONCURRENCY", count))
  const poolSize = num("BENCH_B3_POOL", quick ? 20 : 40)
  // The issue asks for 10 minutes of delta mode at 10,000 tenants, at the daemon's default interval. Smaller runs take
  // less of it, with a shorter interval: a tenant's first delta sync comes one interval after its backfill ended.
  const deltaSeconds = num("BENCH_B3_DELTA_SECONDS", quick ? 8 : count >= 10_000 ? 600 : 120)
  const deltaIntervalSeconds = num("BENCH_B3_DELTA_INTERVAL", quick ? 4 : count >= 10_000 ? 300 : 60)
  // Amazon time runs at real speed here; the plan is in Amazon's units (requests per second, burst).
  const timeFactor = 1
  const plan = { searchOrders: { rate: 1 / intervalSeconds, burst } }
  const changes = { share: 0.02, horizonSeconds: 7200 }
  const runs: Array<{ alone: ChildResult; many: ChildResult; cpu: ReturnType<ReturnType<typeof machineCpu>> }> = []
  for (let rep = 0; rep < reps; rep++) {
    // More sellers than tenants: those whose range holds another number of pages than the first one's are left out.
    const candidates = Array.from({ length: count + 1 + Math.ceil(count / 20) + 20 }, (_, i) => `b3-${rep}-s${String(i).padStart(5, "0")}`)
    const sim = await startSimulator({
      timeFactor,
      sellers: candidates.map((id, i) => seller(id, ORDERS_PER_TENANT, 3000 + i, { usagePlans: plan, changes }))
    })
    try {
      // Building every seller's order book here also keeps the simulator's one-off generation out of the measurement.
      const { aloneId, ids } = samePages(candidates, (id) => sim.groundTruth(id, { createdAfter: new Date(Date.now() - 365 * 86_400_000) }).length, count)
      const env = (pool: number) =>
        simulatorEnv(sim, {
          ORDERSYNC_DB_POOL_SIZE: String(pool),
          ORDERSYNC_LEASE_TTL: "30",
          ORDERSYNC_DELTA_INTERVAL_SECONDS: String(deltaIntervalSeconds)
        })
      const alone = await runChild<ChildResult>("EngineChild.js", { tenants: [aloneId], concurrency: 1 } satisfies ChildInput, {
        ...env(10),
        DATABASE_URL: await db.fresh("b3alone")
      })
      const manyDb = await db.fresh("b3many")
      const cpu = machineCpu()
      const many = await runChild<ChildResult>("EngineChild.js", { tenants: ids, concurrency, timelineSeconds: quick ? 2 : 5, deltaSeconds: rep === 0 ? deltaSeconds : undefined } satisfies ChildInput, {
        ...env(poolSize),
        DATABASE_URL: manyDb
      })
      const machine = cpu()
      // Every tenant must be exact in count (the engine tests check content; this checks nothing was dropped).
      const wrong = [...alone.tenants, ...many.tenants].filter((t) =>
        t.orders !== sim.groundTruth(t.tenantId, { createdAfter: new Date(t.rangeStart), createdBefore: new Date(t.rangeEnd) }).length)
      if (wrong.length > 0 || many.failed > 0 || alone.failed > 0 || many.tenants.length !== count) {
        throw new Error(`B3: ${many.failed} failed, ${wrong.length} tenants with a wrong order count`)
      }
      if (many.delta !== undefined && (many.delta.held !== count || many.delta.deltaSyncs === 0 || many.delta.deltaSyncsFailed > 0)) {
        const d = many.delta
        throw new Error(`B3 delta mode: the daemon held ${d.held} of ${count} tenants; ${d.deltaSyncs} delta syncs, ${d.deltaSyncsFailed} failed`)
      }
      runs.push({ alone, many, cpu: machine })
      const pages = many.tenants.reduce((n, t) => n + t.requests - t.throttled, 0)
      process.stderr.write(
        `  B3 rep ${rep + 1}/${reps}: alone ${alone.wallSeconds.toFixed(1)} s, ${count} tenants ${many.wallSeconds.toFixed(1)} s ` +
          `(ratio ${(many.wallSeconds / alone.wallSeconds).toFixed(3)}), peak RSS ${many.peakRssMb} MB, ELD p99 ${many.eventLoopDelayP99Ms.toFixed(1)} ms, ` +
          `engine CPU ${many.cpuSeconds.toFixed(1)} s (${((many.cpuSeconds / pages) * 1000).toFixed(1)} ms/page), machine busy ${(machine.busyFraction * 100).toFixed(0)}%, ` +
          `GC ${many.gc.scavengeSeconds.toFixed(1)} s in ${many.gc.scavenges} scavenges + ${many.gc.markCompactSeconds.toFixed(1)} s in ${many.gc.markCompacts} mark-compacts\n`
      )
      const spread = startSpread(many)
      process.stderr.write(
        `  B3 first requests: p50 ${spread.firstRequestSeconds.p50} s, p90 ${spread.firstRequestSeconds.p90} s, last ${spread.firstRequestSeconds.max} s; ` +
          `first request to done: p50 ${spread.firstRequestToDoneSeconds.p50} s, max ${spread.firstRequestToDoneSeconds.max} s; ` +
          `failed requests other than 429s: ${JSON.stringify(many.requestFailures.byError)}\n`
      )
      if (many.delta !== undefined) {
        const d = many.delta
        process.stderr.write(
          `  B3 delta mode: claimed all in ${d.claimSeconds.toFixed(1)} s, then ${d.seconds.toFixed(0)} s: ${(d.deltaSyncs / d.seconds).toFixed(2)} delta syncs/s, ` +
            `${(d.statements / d.seconds).toFixed(1)} statements/s, RSS peak ${d.peakRssMb} MB (end ${d.endRssMb}), ELD p99 ${d.eventLoopDelayP99Ms.toFixed(1)} ms, ` +
            `CPU ${((d.cpuSeconds / d.seconds) * 100).toFixed(0)}%\n`
        )
      }
    } finally {
      await sim.close()
    }
  }
  const ratio = median(runs.map((r) => r.many.wallSeconds / r.alone.wallSeconds))
  const peakRssMb = Math.max(...runs.map((r) => r.many.peakRssMb))
  const first = runs[0]!.many
  const delta = first.delta
  // The targets at 10,000 tenants; the 1,000-tenant run keeps the targets it was first given.
  const targets = count >= 10_000
    ? { wallRatio: 1.3, peakRssMb: 500, eventLoopDelayP99Ms: 100 }
    : { wallRatio: 1.5, peakRssMb: 300, eventLoopDelayP99Ms: Infinity }
  const eventLoopDelayP99Ms = median(runs.map((r) => r.many.eventLoopDelayP99Ms))
  const totalOrders = first.tenants.reduce((n, t) => n + t.orders, 0)
  const pages = first.tenants.reduce((n, t) => n + t.requests - t.throttled, 0)
  const requests = first.tenants.reduce((n, t) => n + t.requests, 0)
  const throttled = first.tenants.reduce((n, t) => n + t.throttled, 0)
  return {
    // The 10,000-tenant run (issue 11) is kept beside the default 1,000-tenant one in the results file.
    scenario: count >= 10_000 ? `B3-${count / 1000}k` : "B3",
    title: `${count} tenants in one process vs one tenant alone (quota-paced: burst ${burst}, then one page per ${intervalSeconds} s per tenant)`,
    tenants: count,
    ordersPerTenant: round(totalOrders / count, 0),
    pagesPerTenant: round(pages / count, 2),
    timeFactor,
    simulatorPlan: plan,
    aggregatePagesPerSecondAsked: round(count / intervalSeconds, 1),
    idealSeconds: round(Math.max(0, pages / count - burst) * intervalSeconds, 1),
    alone: { requests: runs[0]!.alone.tenants[0]!.requests, throttled: runs[0]!.alone.tenants[0]!.throttled, peakHeapTotalMb: runs[0]!.alone.peakHeapTotalMb },
    poolSize,
    concurrency,
    reps,
    wallRatio: round(ratio, 3),
    wallRatios: runs.map((r) => round(r.many.wallSeconds / r.alone.wallSeconds, 3)),
    aloneSeconds: round(median(runs.map((r) => r.alone.wallSeconds)), 2),
    manySeconds: round(median(runs.map((r) => r.many.wallSeconds)), 2),
    peakRssMb,
    peakHeapTotalMb: Math.max(...runs.map((r) => r.many.peakHeapTotalMb)),
    aloneRssMb: Math.max(...runs.map((r) => r.alone.peakRssMb)),
    eventLoopDelayP99Ms: round(eventLoopDelayP99Ms, 1),
    eventLoopDelayMaxMs: round(Math.max(...runs.map((r) => r.many.eventLoopDelayMaxMs)), 1),
    rssTimeline: { columns: ["seconds", "rssMb", "heapUsedMb", "eventLoopDelayP99Ms", "eventLoopDelayMaxMs"], rows: first.timeline },
    engineCpuSeconds: round(first.cpuSeconds, 1),
    engineCpuMsPerPage: round((first.cpuSeconds / Math.max(1, pages)) * 1000, 2),
    engineGc: first.gc,
    // When each tenant got going and how long it took from there: a slow start and a slow run look alike in the wall.
    startSpread: startSpread(first),
    requestFailures: first.requestFailures,
    machineBusyFraction: runs[0]!.cpu.busyFraction,
    requests,
    throttled,
    throttledPerTenant: round(throttled / count, 2),
    deltaMode: delta === undefined ? null : {
      seconds: round(delta.seconds, 1),
      intervalSeconds: deltaIntervalSeconds,
      sellerChanges: changes,
      claimSeconds: round(delta.claimSeconds, 1),
      deltaSyncs: delta.deltaSyncs,
      deltaSyncsPerSecond: round(delta.deltaSyncs / delta.seconds, 2),
      statementsPerSecond: round(delta.statements / delta.seconds, 1),
      statementsPerDeltaSync: round(delta.statements / Math.max(1, delta.deltaSyncs), 1),
      amazonRequestsPerSecond: round(delta.amazonRequests / delta.seconds, 2),
      ordersUpserted: delta.ordersUpserted,
      cpuFraction: round(delta.cpuSeconds / delta.seconds, 3),
      peakRssMb: delta.peakRssMb,
      endRssMb: delta.endRssMb,
      endHeapUsedMb: delta.endHeapUsedMb,
      eventLoopDelayP99Ms: round(delta.eventLoopDelayP99Ms, 1),
      eventLoopDelayMaxMs: round(delta.eventLoopDelayMaxMs, 1),
      rssTimeline: { columns: ["seconds", "rssMb", "heapUsedMb", "eventLoopDelayP99Ms", "eventLoopDelayMaxMs"], rows: delta.timeline }
    },
    targets: {
      wallRatio: `<= ${targets.wallRatio}`,
      peakRssMb: `<= ${targets.peakRssMb}`,
      ...(Number.isFinite(targets.eventLoopDelayP99Ms) ? { eventLoopDelayP99Ms: `<= ${targets.eventLoopDelayP99Ms}` } : {})
    },
    metTargets: {
      wallRatio: ratio <= targets.wallRatio,
      peakRssMb: peakRssMb <= targets.peakRssMb,
      eventLoopDelayP99Ms: Number.isFinite(targets.eventLoopDelayP99Ms) ? eventLoopDelayP99Ms <= targets.eventLoopDelayP99Ms : null
    },
    met: ratio <= targets.wallRatio && peakRssMb <= targets.peakRssMb && eventLoopDelayP99Ms <= targets.eventLoopDelayP99Ms
  }
}
