import * as fs from "node:fs/promises"
import * as path from "node:path"
import Pg from "pg"
import { MARKETPLACE, ON_CONFLICT_NEWER_ONLY_REPORT } from "../src/Services/Store/OrderRepo.js"
import { defaultUsagePlans, type Operation, type SimulatorHandle, startSimulator } from "../src/Simulator/index.js"
import { copyFrom, csvField } from "../src/Services/Store/Copy.js"
import type { ChildInput, ChildResult } from "./EngineChild.js"
import { HISTORY_PER_YEAR, seller } from "./Engine.js"
import { type BenchDatabase, repoRoot, round, runChild, simulatorEnv } from "./Shared.js"

/** Amazon seconds per real second: report processing (minutes) and the Orders API quota (hours) run in seconds. */
const FACTOR = 3600
/** ReportsSource's poll schedule in Amazon seconds (ORDERSYNC_REPORT_POLL_SECONDS): 15 s, then ×1.5 up to 8×. */
const POLL_FIRST = 15
const POLL_MAX = 8 * POLL_FIRST
/** Orders API sizes that take weeks of Amazon time at the default plans are projected, not run. */
const ORDERS_RUN_UP_TO = 20_000
const CHUNK_EXPERIMENTS_AT = 200_000
/** ORDERSYNC_REPORT_CHUNK_ORDERS' default: the sizes' own runs use it. */
const DEFAULT_CHUNK_ORDERS = 5000

type HistoryPath = "orders" | "reports" | "auto"

const label = (orders: number) => (orders >= 1_000_000 ? `${orders / 1_000_000}M` : `${orders / 1000}k`)
const human = (seconds: number) =>
  seconds < 90 ? `${round(seconds, 1)} s` : seconds < 5400 ? `${round(seconds / 60, 1)} min` : seconds < 2 * 86_400 ? `${round(seconds / 3600, 1)} h` : `${round(seconds / 86_400, 1)} days`

const amazonSeconds = (realMs: number) => (realMs * FACTOR) / 1000

/** B1's pacing efficiency: from this run if B1 ran, else from the results file (the projection's stretch, as B5). */
const efficiencyBasis = async (fromRun: number | undefined) => {
  if (fromRun !== undefined) return { efficiency: fromRun, from: "B1 in this run" }
  try {
    const file = JSON.parse(await fs.readFile(path.join(repoRoot, "bench/results/latest.json"), "utf8")) as { date: string; scenarios: Array<{ scenario: string; ordersync?: { efficiency: number } }> }
    const b1 = file.scenarios.find((s) => s.scenario === "B1")?.ordersync?.efficiency
    if (b1 !== undefined) return { efficiency: b1, from: `B1 of ${file.date} (bench/results/latest.json)` }
  } catch {
    // No results file yet: no stretch.
  }
  return { efficiency: 1, from: "none (B1 not measured): the quota's floor" }
}

/** Requests by operation (all statuses) and the 429s among them, from the simulator's counters. */
const requestsOf = (sim: SimulatorHandle, sellerId: string) => {
  const stats = sim.stats(sellerId)
  const byOperation: Record<string, number> = {}
  const throttled: Record<string, number> = {}
  for (const [operation, byStatus] of Object.entries(stats.requests)) {
    if (operation === "token") continue
    byOperation[operation] = Object.values(byStatus).reduce((a, b) => a + b, 0)
    if (byStatus["429"]) throttled[operation] = byStatus["429"]
  }
  return { byOperation, throttled, tokens: stats.tokens }
}

/**
 * Amazon time the quota imposes: every request after the burst waits 1 / rate, stretched by the pacing efficiency
 * (B5's rule). Per operation, added up (a tenant's requests are sequential).
 */
const quotaSeconds = (spent: Record<string, number>, efficiency: number) =>
  Object.entries(spent).reduce((sum, [operation, n]) => {
    const plan = defaultUsagePlans[operation as Operation]
    // getReport polls wait for processing, already in the report timeline (2/s is far above the poll schedule).
    return plan === undefined || operation === "getReport" ? sum : sum + Math.max(0, n - plan.burst) / (plan.rate * efficiency)
  }, 0)

/**
 * The reports' Amazon time. The simulator's durations (its IN_QUEUE wait and each report's processing, from its
 * timestamps × timeFactor) are put on one seller's queue as the engine fills it: every report requested at once,
 * processed one after another. The engine polls them in window order on ReportsSource's schedule and sees each one
 * DONE at its first poll after it ends. Storing each document before polling the next is local work, counted in
 * real seconds. The simulator's own timestamps are not used as they stand: creating a report costs the simulator real
 * milliseconds (it counts the report's rows), which ×3600 would spread the 13 requests over Amazon hours.
 */
const reportTimeline = (sim: SimulatorHandle, sellerId: string) => {
  const reports = (sim.reports.list(sellerId) as ReadonlyArray<{ createdTime: string; processingStartTime?: string; processingEndTime?: string; processingStatus: string; rows: number }>)
    .slice().sort((a, b) => Date.parse(a.createdTime) - Date.parse(b.createdTime))
  if (reports.length === 0) return null
  const between = (from: string | undefined, to: string | undefined) =>
    from === undefined || to === undefined ? 0 : amazonSeconds(Date.parse(to) - Date.parse(from))
  const queue = between(reports[0]!.createdTime, reports[0]!.processingStartTime)
  const processing = reports.map((r) => between(r.processingStartTime, r.processingEndTime))
  let end = queue
  let seen = 0
  for (const seconds of processing) {
    end += seconds
    let delay = POLL_FIRST
    while (seen < end) {
      seen += delay
      delay = Math.min(delay * 1.5, POLL_MAX)
    }
  }
  const t0 = Date.parse(reports[0]!.createdTime)
  return {
    reports: reports.length,
    statuses: [...new Set(reports.map((r) => r.processingStatus))],
    rows: reports.reduce((sum, r) => sum + r.rows, 0),
    queueSeconds: round(queue, 0),
    processingSeconds: { sum: round(processing.reduce((a, b) => a + b, 0), 0), min: round(Math.min(...processing), 0), max: round(Math.max(...processing), 0) },
    readySeconds: round(end, 0),
    seenSeconds: round(seen, 0),
    // As timestamped in this run (the last processingEndTime after the first createdTime, × timeFactor): see above.
    timestampedReadySeconds: round(Math.max(...reports.map((r) => amazonSeconds(Date.parse(r.processingEndTime ?? r.createdTime) - t0))), 0)
  }
}

const comparable = (created: string, updated: string, status: string, total: string | null, currency: string | null, channel: string | null) =>
  `${created} ${updated} ${status} ${total === null ? "null" : Number(total).toFixed(2)} ${currency} ${channel}`

/**
 * The "Order" rows of the range against the simulator's ground truth at the end of the run (test/support/Engine.ts'
 * expectExactly, without vitest): ids, versions, status, total, currency, channel.
 */
const exactness = async (pg: Pg.Client, sim: SimulatorHandle, sellerId: string, rangeStart: Date, rangeEnd: Date) => {
  const expected = new Map<string, string>()
  for (const o of sim.groundTruth(sellerId, { createdAfter: rangeStart, createdBefore: rangeEnd })) {
    expected.set(o.orderId, comparable(new Date(o.createdTime).toISOString(), new Date(o.lastUpdatedTime).toISOString(), o.status, o.totalAmount, o.currency, o.fulfillmentChannel))
  }
  const rows = await pg.query<Array<string | null>>({
    text: `SELECT "externalOrderId", to_char("orderDate", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), to_char("lastUpdateDate", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      "orderStatus", "totalAmount"::text, "currency", "fulfillmentChannel"
      FROM "Order" WHERE "tenantId" = $1 AND "orderDate" >= $2 AND "orderDate" <= $3`,
    values: [sellerId, rangeStart.toISOString().replace("Z", ""), rangeEnd.toISOString().replace("Z", "")],
    rowMode: "array"
  })
  let extra = 0
  let different = 0
  const samples: Array<string> = []
  const seen = new Set<string>()
  for (const [id, created, updated, status, total, currency, channel] of rows.rows) {
    const want = expected.get(id!)
    seen.add(id!)
    const got = comparable(created!, updated!, status!, total ?? null, currency ?? null, channel ?? null)
    if (want === undefined) {
      extra++
      if (samples.length < 3) samples.push(`extra ${id} ${got}`)
    } else if (want !== got) {
      different++
      if (samples.length < 3) samples.push(`${id}: stored ${got}, truth ${want}`)
    }
  }
  let missing = 0
  for (const id of expected.keys()) {
    if (!seen.has(id)) {
      missing++
      if (samples.length < 6) samples.push(`missing ${id}`)
    }
  }
  const duplicates = rows.rows.length - seen.size
  return { exact: extra + different + missing + duplicates === 0, truth: expected.size, stored: rows.rows.length, missing, extra, different, duplicates, samples }
}

/**
 * The baseline for storing a report: the same orders (taken from what the engine stored), COPY'd into a temp
 * staging table and merged with one INSERT … SELECT … ON CONFLICT per report-sized batch, into the same emptied
 * "Order" table (its indexes in place). Timed: building the CSV, COPY, merge, commit. Not timed: reading the batch.
 */
const copyBaseline = async (pg: Pg.Client, tenantId: string, batches: number) => {
  await pg.query(`CREATE TABLE b6_source AS SELECT "externalOrderId", "marketplaceId", "orderDate"::text AS od, "lastUpdateDate"::text AS lu,
    "orderStatus", "fulfillmentChannel", "salesChannel", "totalAmount"::text AS ta, "currency", "itemsCount", "raw"::text AS raw,
    row_number() OVER (ORDER BY "orderDate", "externalOrderId") AS n FROM "Order" WHERE "tenantId" = $1`, [tenantId])
  const total = Number((await pg.query(`SELECT count(*) AS n FROM b6_source`)).rows[0].n)
  await pg.query(`TRUNCATE "OrderItem", "Order"`)
  await pg.query("CHECKPOINT").catch(() => undefined)
  const size = Math.ceil(total / Math.max(1, batches))
  let millis = 0
  for (let from = 0; from < total; from += size) {
    const batch = await pg.query<Array<string | number | null>>({
      text: `SELECT "externalOrderId", "marketplaceId", od, lu, "orderStatus", "fulfillmentChannel", "salesChannel", ta, "currency", "itemsCount", raw
        FROM b6_source WHERE n > $1 AND n <= $2`,
      values: [from, from + size],
      rowMode: "array"
    })
    const started = performance.now()
    const csv = batch.rows.map((row) => row.map(csvField).join(",")).join("\n") + "\n"
    await pg.query("BEGIN")
    await pg.query(`CREATE TEMP TABLE staging (id text, mp text, od text, lu text, st text, fc text, sc text, ta text, cur text, ic int, raw text) ON COMMIT DROP`)
    await copyFrom(pg, "COPY staging FROM STDIN (FORMAT csv)", Buffer.from(csv))
    await pg.query(`
      INSERT INTO "Order" ("id", "tenantId", "marketplace", "externalOrderId", "marketplaceId", "orderDate",
        "lastUpdateDate", "orderStatus", "fulfillmentChannel", "salesChannel", "totalAmount", "currency",
        "itemsCount", "raw", "createdAt", "updatedAt")
      SELECT gen_random_uuid()::text, $1, $2, u.id, u.mp, u.od::timestamp, u.lu::timestamp, u.st, u.fc, u.sc,
        u.ta::numeric, u.cur, u.ic, u.raw::jsonb, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
      FROM staging u
      ${ON_CONFLICT_NEWER_ONLY_REPORT}`, [tenantId, MARKETPLACE])
    await pg.query("COMMIT")
    millis += performance.now() - started
  }
  const stored = Number((await pg.query(`SELECT count(*) AS n FROM "Order" WHERE "tenantId" = $1`, [tenantId])).rows[0].n)
  if (stored !== total) throw new Error(`COPY baseline stored ${stored} orders of ${total}`)
  return { orders: total, batches: Math.ceil(total / size), seconds: round(millis / 1000, 2), ordersPerSecond: round(total / (millis / 1000), 0) }
}

interface RunOptions {
  readonly unlimited?: boolean
  readonly chunkOrders?: number
  readonly copy?: boolean
  /** More engine settings (experiments). */
  readonly env?: Record<string, string>
}

/** One backfill of `inRange` orders through `historyPath`, the engine in a child process, against a fresh simulator. */
export const runOnce = async (db: BenchDatabase, inRange: number, historyPath: HistoryPath, efficiency: number, options: RunOptions = {}) => {
  const sellerId = `b6-${label(inRange)}`
  const sim = await startSimulator({
    timeFactor: FACTOR,
    sellers: [seller(sellerId, Math.round(inRange * HISTORY_PER_YEAR), 600 + String(inRange).length, options.unlimited
      ? { usagePlans: { searchOrders: { rate: 100_000, burst: 100_000 }, getOrders: { rate: 100_000, burst: 100_000 } } }
      : {})]
  })
  try {
    const url = await db.fresh(`b6_${label(inRange)}_${historyPath}`)
    const result = await runChild<ChildResult>(
      "EngineChild.js",
      { tenants: [sellerId], concurrency: 1 } satisfies ChildInput,
      {
        ...simulatorEnv(sim, {
          ORDERSYNC_HISTORY_SOURCE: historyPath,
          ...(options.chunkOrders !== undefined ? { ORDERSYNC_REPORT_CHUNK_ORDERS: String(options.chunkOrders) } : {}),
          ...options.env
        }),
        DATABASE_URL: url
      }
    )
    const tenant = result.tenants[0]!
    if (result.failed > 0 || tenant === undefined) throw new Error(`B6 ${label(inRange)} ${historyPath}: the backfill did not succeed`)
    const requests = requestsOf(sim, sellerId)
    const spent = Object.fromEntries(Object.entries(requests.tokens).map(([operation, t]) => [operation, t.spent]))
    const timeline = reportTimeline(sim, sellerId)
    const quota = quotaSeconds(spent, efficiency)
    const amazon = (timeline?.seenSeconds ?? 0) + quota
    const pg = new Pg.Client({ connectionString: url })
    await pg.connect()
    try {
      const exact = await exactness(pg, sim, sellerId, new Date(tenant.rangeStart), new Date(tenant.rangeEnd))
      const copy = options.copy ? await copyBaseline(pg, sellerId, timeline?.reports ?? 13) : undefined
      const run = {
        orders: tenant.orders,
        chose: tenant.historySource,
        reason: tenant.historyReason,
        amazonSeconds: round(amazon, 0),
        quotaSeconds: round(quota, 0),
        reports: timeline,
        realSeconds: round(tenant.seconds, 2),
        // The run's wall holds its Amazon time too, scaled down: this much of it (counted twice when added: conservative).
        amazonInRealSeconds: round(amazon / FACTOR, 2),
        activeSeconds: round(tenant.activeSeconds, 2),
        requests: requests.byOperation,
        throttled: requests.throttled,
        peakRssMb: result.peakRssMb,
        peakHeapUsedMb: result.peakHeapUsedMb,
        engineCpuSeconds: round(result.cpuSeconds, 1),
        exact,
        ...(copy ? { copy } : {}),
        ...(options.chunkOrders !== undefined ? { chunkOrders: options.chunkOrders } : {})
      }
      process.stderr.write(
        `  B6 ${label(inRange)} ${historyPath}${options.unlimited ? " (unlimited plan)" : ""}${options.chunkOrders ? ` chunk ${options.chunkOrders}` : ""}: ` +
          `${run.orders} orders via ${run.chose}, Amazon ${human(run.amazonSeconds)}, real ${run.realSeconds} s (active ${run.activeSeconds} s), ` +
          `RSS ${run.peakRssMb} MB, requests ${JSON.stringify(run.requests)}, exact ${exact.exact} (${exact.stored}/${exact.truth})` +
          `${copy ? `, COPY ${copy.ordersPerSecond}/s` : ""}\n`
      )
      if (!exact.exact) process.stderr.write(`  B6 mismatch: ${JSON.stringify(exact)}\n`)
      return run
    } finally {
      await pg.end()
    }
  } finally {
    await sim.close()
  }
}

type Run = Awaited<ReturnType<typeof runOnce>>

/** A path's figures at one size: Amazon time and local seconds kept apart, and their sum. */
interface PathFigures {
  readonly path: HistoryPath
  readonly measured: "run" | "projected" | "run (Amazon time projected from requests)"
  readonly chose?: string | null
  readonly orders: number
  readonly amazonSeconds: number
  readonly localSeconds: number
  readonly totalSeconds: number
  readonly requests: Record<string, number>
  readonly peakRssMb: number | null
  /** Orders ÷ local seconds (the engine's storing speed), and ÷ total (end to end). */
  readonly ordersPerLocalSecond: number
  readonly ordersPerTotalSecond: number
  readonly exact: boolean | null
  readonly detail: Record<string, unknown>
}

const figures = (historyPath: HistoryPath, measured: PathFigures["measured"], run: Run, local: { seconds: number; how: string; rssMb?: number }, extra: Record<string, unknown> = {}): PathFigures => ({
  path: historyPath,
  measured,
  chose: run.chose,
  orders: run.orders,
  amazonSeconds: run.amazonSeconds,
  localSeconds: round(local.seconds, 1),
  totalSeconds: round(run.amazonSeconds + local.seconds, 0),
  requests: run.requests,
  peakRssMb: local.rssMb ?? run.peakRssMb,
  ordersPerLocalSecond: round(run.orders / local.seconds, 0),
  ordersPerTotalSecond: round(run.orders / Math.max(1e-9, run.amazonSeconds + local.seconds), 1),
  exact: run.exact.exact,
  detail: { localFrom: local.how, ...extra, run }
})

/**
 * B6: a 365-day history through `orders`, `reports` and `auto` at Amazon's default plans, for sellers of 2k to 1M
 * orders, the engine in a child process against the simulator at ×3600 with its report processing model.
 */
export const history = async (db: BenchDatabase, quick: boolean, b1Efficiency?: number) => {
  // BENCH_B6_SIZES (comma-separated orders in the year) is for experiments.
  const sizes = process.env.BENCH_B6_SIZES
    ? process.env.BENCH_B6_SIZES.split(",").map(Number)
    : quick ? [2_000, 20_000] : [2_000, 20_000, 200_000, 1_000_000]
  // Report chunk sizes tried beside the default (ORDERSYNC_REPORT_CHUNK_ORDERS), at CHUNK_EXPERIMENTS_AT orders.
  const chunkExperiments = (process.env.BENCH_B6_CHUNKS ?? (quick ? "" : "1000,2000")).split(",").filter((s) => s.trim() !== "").map(Number)
  const basis = await efficiencyBasis(b1Efficiency)
  const bySize: Array<{ orders: number; paths: Array<PathFigures>; autoOverFaster: number; faster: HistoryPath }> = []
  let requestsPer100 = NaN
  let localRate = { ordersPerSecond: NaN, at: 0 }
  let copy: { orders: number; engineOrdersPerSecond: number; engineActiveOrdersPerSecond: number; copyOrdersPerSecond: number; ratio: number; activeRatio: number } | undefined
  const chunks: Array<Record<string, unknown>> = []
  for (const inRange of sizes) {
    const largest = inRange === sizes.at(-1)
    const paths: Array<PathFigures> = []
    // The Orders API's local work: the same year at an unlimited plan, where the wall is all local work.
    const unlimited = inRange <= 200_000 ? await runOnce(db, inRange, "orders", basis.efficiency, { unlimited: true }) : undefined
    if (unlimited) {
      localRate = { ordersPerSecond: unlimited.orders / unlimited.realSeconds, at: inRange }
      requestsPer100 = ((unlimited.requests.searchOrders ?? 0) * 100) / unlimited.orders
    }
    if (inRange <= ORDERS_RUN_UP_TO) {
      const run = await runOnce(db, inRange, "orders", basis.efficiency)
      paths.push(figures("orders", "run", run, { seconds: unlimited!.realSeconds, how: "the same year at an unlimited plan (its wall time)" }))
    }
    const reports = await runOnce(db, inRange, "reports", basis.efficiency, { copy: true })
    const auto = await runOnce(db, inRange, "auto", basis.efficiency)
    if (inRange > ORDERS_RUN_UP_TO) {
      // Projected as B5: the requests the unlimited-plan run made (else per 100 orders as the largest run made them),
      // the burst free, then 1 / rate each, ÷ efficiency.
      const plan = defaultUsagePlans.searchOrders
      const requests = Math.ceil((reports.orders * requestsPer100) / 100)
      const amazon = Math.max(0, requests - plan.burst) / (plan.rate * basis.efficiency)
      const local = unlimited ? unlimited.realSeconds : reports.orders / localRate.ordersPerSecond
      paths.push({
        path: "orders",
        measured: unlimited ? "run (Amazon time projected from requests)" : "projected",
        orders: reports.orders,
        amazonSeconds: round(amazon, 0),
        localSeconds: round(local, 1),
        totalSeconds: round(amazon + local, 0),
        requests: { searchOrders: requests },
        peakRssMb: unlimited?.peakRssMb ?? null,
        ordersPerLocalSecond: round(reports.orders / local, 0),
        ordersPerTotalSecond: round(reports.orders / (amazon + local), 2),
        exact: unlimited?.exact.exact ?? null,
        detail: {
          requestsPer100Orders: round(requestsPer100, 3),
          localFrom: unlimited ? "the same year at an unlimited plan (its wall time)" : `${round(localRate.ordersPerSecond, 0)} orders/s, the unlimited-plan run at ${label(localRate.at)}`,
          ...(unlimited ? { unlimitedRun: unlimited } : {})
        }
      })
    }
    const own = { how: "the run's wall time (it holds its Amazon time ÷ 3600 as well)" }
    paths.push(figures("reports", "run", reports, { ...own, seconds: reports.realSeconds }))
    paths.push(figures("auto", "run", auto, { ...own, seconds: auto.realSeconds }))
    const orders = paths.find((p) => p.path === "orders")!
    const faster = orders.totalSeconds <= paths.find((p) => p.path === "reports")!.totalSeconds ? "orders" : "reports"
    const fasterTotal = paths.find((p) => p.path === faster)!.totalSeconds
    bySize.push({ orders: inRange, paths, faster, autoOverFaster: round(paths.find((p) => p.path === "auto")!.totalSeconds / Math.max(1e-9, fasterTotal), 3) })
    if (reports.copy && (largest || inRange === CHUNK_EXPERIMENTS_AT)) {
      if (largest) copy = {
        orders: reports.orders,
        engineOrdersPerSecond: round(reports.orders / reports.realSeconds, 0),
        engineActiveOrdersPerSecond: round(reports.orders / reports.activeSeconds, 0),
        copyOrdersPerSecond: reports.copy.ordersPerSecond,
        ratio: round(reports.orders / reports.realSeconds / reports.copy.ordersPerSecond, 3),
        activeRatio: round(reports.orders / reports.activeSeconds / reports.copy.ordersPerSecond, 3)
      }
      const tried = inRange === CHUNK_EXPERIMENTS_AT ? chunkExperiments : []
      for (const chunkOrders of tried.length > 0 ? [DEFAULT_CHUNK_ORDERS, ...tried] : []) {
        const run = chunkOrders === DEFAULT_CHUNK_ORDERS ? reports : await runOnce(db, inRange, "reports", basis.efficiency, { copy: true, chunkOrders })
        chunks.push({
          orders: run.orders,
          chunkOrders,
          engineOrdersPerSecond: round(run.orders / run.realSeconds, 0),
          copyOrdersPerSecond: run.copy!.ordersPerSecond,
          ratio: round(run.orders / run.realSeconds / run.copy!.ordersPerSecond, 3),
          activeRatio: round(run.orders / run.activeSeconds / run.copy!.ordersPerSecond, 3),
          peakRssMb: run.peakRssMb
        })
      }
    }
  }
  const million = bySize.find((s) => s.orders === 1_000_000)
  const millionReports = million?.paths.find((p) => p.path === "reports")
  const millionAuto = million?.paths.find((p) => p.path === "auto")
  const met = {
    autoWithin110Percent: bySize.every((s) => s.autoOverFaster <= 1.1),
    millionUnder2h: million ? (millionAuto!.totalSeconds < 7200) : null,
    millionPeakRssUnder300Mb: millionReports ? millionReports.peakRssMb! <= 300 : null,
    copyRatioAtLeast09: copy ? copy.ratio >= 0.9 : null,
    exact: bySize.every((s) => s.paths.every((p) => p.exact !== false))
  }
  return {
    scenario: "B6",
    title: "history time: 365 days through orders, reports and auto, at Amazon's default plans",
    timeFactor: FACTOR,
    efficiencyBasis: basis,
    method: {
      amazonSeconds: "reports: the simulator's report timestamps × timeFactor, from the first createReport to the engine's first poll after the last processingEndTime (ReportsSource's poll schedule); plus for every operation (requests − burst) ÷ (rate × efficiency) at the default plans",
      localSeconds: "real seconds: reports and auto: the child's wall time of the backfill; orders: the same year at an unlimited plan (wall time), or projected at that run's orders/s",
      total: "amazon + local; they overlap in a real run (a document is stored while the next report processes), so the sum is conservative"
    },
    sizes: bySize,
    copyBaseline: copy,
    chunkExperiments: chunks,
    targets: { autoOverFaster: "<= 1.1", millionTotal: "< 2 h", millionPeakRssMb: "<= 300", reportsOverCopy: ">= 0.9" },
    met
  }
}

export type HistoryResult = Awaited<ReturnType<typeof history>>
export const describeSeconds = human
export const sizeLabel = label
