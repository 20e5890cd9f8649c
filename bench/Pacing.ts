import { Layer, ManagedRuntime } from "effect"
import { defaultUsagePlans, startSimulator } from "../src/Simulator/index.js"
import { SqlFromUrl } from "../src/Services/Store/Database.js"
import { OrderRepo } from "../src/Services/Store/OrderRepo.js"
import { addTenants, backfill, engineRuntime, HISTORY_PER_YEAR, seller } from "./Engine.js"
import { makeNaiveClient } from "./NaiveClient.js"
import { type BenchDatabase, median, round } from "./Shared.js"

export interface PacingRun {
  readonly client: "ordersync" | "baseline"
  readonly orders: number
  readonly pages: number
  readonly requests: number
  readonly throttled: number
  readonly wallSeconds: number
  readonly theoreticalSeconds: number
  /** Tokens spent ÷ (burst + rate × elapsed), from the simulator's bucket. */
  readonly efficiency: number
  readonly throttledRatio: number
  readonly wallOverMinimum: number
  readonly requestsPer100Orders: number
}

const OPERATION = "searchOrders"

const figures = (
  client: PacingRun["client"],
  rate: number,
  burst: number,
  orders: number,
  pages: number,
  wallSeconds: number,
  stats: { readonly requests: Record<string, Record<string, number>>; readonly tokens: Record<string, { spent: number; maximum: number }> }
): PacingRun => {
  const byStatus = stats.requests[OPERATION] ?? {}
  const requests = Object.values(byStatus).reduce((a, b) => a + b, 0)
  const throttled = byStatus["429"] ?? 0
  const bucket = stats.tokens[OPERATION]!
  const theoreticalSeconds = Math.max(0, pages - burst) / rate
  return {
    client,
    orders,
    pages,
    requests,
    throttled,
    wallSeconds: round(wallSeconds, 2),
    theoreticalSeconds: round(theoreticalSeconds, 2),
    efficiency: round(bucket.spent / bucket.maximum),
    throttledRatio: round(throttled / Math.max(1, requests), 4),
    wallOverMinimum: round(wallSeconds / Math.max(1e-9, theoreticalSeconds)),
    requestsPer100Orders: round((requests * 100) / Math.max(1, orders), 3)
  }
}

const ours = async (db: BenchDatabase, timeFactor: number, orders: number, run: number): Promise<PacingRun> => {
  const id = `b1-ours-${run}`
  const sim = await startSimulator({ timeFactor, sellers: [seller(id, orders, 100 + run)] })
  const runtime = engineRuntime(sim, await db.fresh("b1"))
  try {
    await runtime.runPromise(addTenants(sim))
    const started = performance.now()
    const status = await runtime.runPromise(backfill(id))
    const wall = (performance.now() - started) / 1000
    const { rate, burst } = defaultUsagePlans[OPERATION]
    return figures("ordersync", rate * timeFactor, burst, status.ordersCount, status.progress.pages, wall, sim.stats(id))
  } finally {
    await runtime.dispose()
    await sim.close()
  }
}

const baseline = async (db: BenchDatabase, timeFactor: number, orders: number, run: number): Promise<PacingRun> => {
  const id = `b1-base-${run}`
  const sim = await startSimulator({ timeFactor, sellers: [seller(id, orders, 100 + run)] })
  const runtime = ManagedRuntime.make(OrderRepo.Default.pipe(Layer.provideMerge(SqlFromUrl(await db.fresh("b1base")))))
  try {
    const repo = await runtime.runPromise(OrderRepo)
    const lagMs = (150 * 1000) / timeFactor
    const before = new Date(Date.now() - lagMs)
    const after = new Date(before.getTime() - 365 * 86_400_000)
    const client = makeNaiveClient(sim, { refreshToken: `Atzr|${id}`, marketplaceIds: ["ATVPDKIKX0DER"] })
    const started = performance.now()
    let pages = 0
    let stored = 0
    for await (const page of client.pages(after, before)) {
      pages++
      // The original system: one upsert per page, no checkpoint.
      const result = await runtime.runPromise(repo.upsert(id, page.orders))
      stored += result.inserted + result.updated
    }
    const wall = (performance.now() - started) / 1000
    const { rate, burst } = defaultUsagePlans[OPERATION]
    return figures("baseline", rate * timeFactor, burst, stored, pages, wall, sim.stats(id))
  } finally {
    await runtime.dispose()
    await sim.close()
  }
}

const summarise = (runs: ReadonlyArray<PacingRun>) => ({
  efficiency: round(median(runs.map((r) => r.efficiency))),
  throttledRatio: round(median(runs.map((r) => r.throttledRatio)), 4),
  wallOverMinimum: round(median(runs.map((r) => r.wallOverMinimum))),
  wallSeconds: round(median(runs.map((r) => r.wallSeconds)), 2),
  requestsPer100Orders: round(median(runs.map((r) => r.requestsPer100Orders))),
  orders: median(runs.map((r) => r.orders)),
  pages: median(runs.map((r) => r.pages)),
  requests: median(runs.map((r) => r.requests))
})

/** B1: ordersync and the naive baseline, run alternately on the same seller shape; medians of `runs`. */
export const pacing = async (db: BenchDatabase, quick: boolean) => {
  const timeFactor = 3600
  const inRange = quick ? 10_000 : 50_000
  const runs = quick ? 2 : 3
  const orders = Math.round(inRange * HISTORY_PER_YEAR)
  const ourRuns: Array<PacingRun> = []
  const baseRuns: Array<PacingRun> = []
  for (let run = 0; run < runs; run++) {
    ourRuns.push(await ours(db, timeFactor, orders, run))
    baseRuns.push(await baseline(db, timeFactor, orders, run))
    process.stderr.write(`  B1 run ${run + 1}/${runs}: ordersync ${JSON.stringify(ourRuns.at(-1))}\n  B1 run ${run + 1}/${runs}: baseline ${JSON.stringify(baseRuns.at(-1))}\n`)
  }
  const o = summarise(ourRuns)
  const b = summarise(baseRuns)
  return {
    scenario: "B1",
    title: "pacing efficiency (searchOrders, one tenant)",
    timeFactor,
    plan: { ...defaultUsagePlans[OPERATION], realRatePerSecond: defaultUsagePlans[OPERATION].rate * timeFactor },
    runs,
    ordersync: o,
    baseline: b,
    baselineThrottleWaitAmazonSeconds: 5,
    targets: { efficiency: ">= 0.95", throttledRatio: "<= 0.01" },
    met: o.efficiency >= 0.95 && o.throttledRatio <= 0.01,
    runsDetail: { ordersync: ourRuns, baseline: baseRuns }
  }
}
