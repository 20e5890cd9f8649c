/**
 * `npm run bench [-- --quick] [-- --only B1,B3]`: prints a table and writes bench/results/latest.json.
 * DATABASE_URL if set (each scenario gets a database of its own there), else an embedded PostgreSQL in a temp dir.
 * With --only, the scenarios run replace theirs in the results file and the others are kept (`rerun` says which).
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fleet } from "./Fleet.js"
import { describeSeconds, history, sizeLabel } from "./History.js"
import { memory } from "./Memory.js"
import { pacing } from "./Pacing.js"
import { projection } from "./Projection.js"
import { openDatabase, repoRoot, round } from "./Shared.js"
import { store } from "./Store.js"
import { manyTenants } from "./Tenants.js"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const onlyArg = args.find((a) => a.startsWith("--only"))
const only = onlyArg
  ? new Set((onlyArg.includes("=") ? onlyArg.split("=")[1]! : args[args.indexOf(onlyArg) + 1] ?? "").split(",").map((s) => s.trim().toUpperCase()))
  : undefined
const wanted = (id: string) => only === undefined || only.has(id)

type Row = readonly [scenario: string, figure: string, value: string, target: string]

const table = (rows: ReadonlyArray<Row>) => {
  const header: Row = ["scenario", "figure", "value", "target"]
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)))
  const line = (r: Row) => r.map((cell, i) => cell.padEnd(widths[i]!)).join("  ")
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}

/**
 * A subset run (--only) replaces its scenarios in the results file and keeps the others; `rerun` lists every subset
 * run merged since the file's full run, so each scenario says where it came from.
 */
const merged = async (file: string, output: { scenarios: Array<Record<string, unknown>> } & Record<string, unknown>, argv: ReadonlyArray<string>) => {
  const previous = await fs.readFile(file, "utf8").then((text) => JSON.parse(text) as Record<string, unknown>, () => undefined)
  if (previous === undefined) return output
  const ran = new Set(output.scenarios.map((s) => s.scenario))
  const kept = (previous.scenarios as Array<Record<string, unknown>>).filter((s) => !ran.has(s.scenario))
  const earlier = previous.rerun === undefined ? [] : Array.isArray(previous.rerun) ? previous.rerun : [previous.rerun]
  return {
    ...previous,
    failed: [...new Set([...(previous.failed as Array<string>).filter((id) => !ran.has(id)), ...(output.failed as Array<string>)])],
    scenarios: [...kept, ...output.scenarios],
    rerun: [
      ...earlier.map((r: Record<string, unknown>) => ({ ...r, scenarios: (r.scenarios as Array<string>).filter((id) => !ran.has(id)) }))
        .filter((r: Record<string, unknown>) => (r.scenarios as Array<string>).length > 0),
      { scenarios: [...ran], date: output.date, mode: output.mode, command: `npm run bench -- ${argv.join(" ")}`, totalSeconds: output.totalSeconds, machine: output.machine, database: output.database }
    ]
  }
}

const main = async () => {
  const started = performance.now()
  const db = await openDatabase()
  const results: Array<Record<string, unknown>> = []
  const rows: Array<Row> = []
  const log = (text: string) => process.stderr.write(text + "\n")
  const failures: Array<string> = []
  // A scenario that fails is recorded as such; the others still run and the file is still written.
  const guard = async (id: string, body: () => Promise<void>) => {
    try {
      await body()
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      failures.push(id)
      results.push({ scenario: id, error: message })
      rows.push([id, "FAILED", message.split("\n")[0]!.slice(0, 120), ""])
      log(`${id} failed: ${message}`)
    }
  }
  try {
    let basis = { efficiency: 1, requestsPer100Orders: 1 }
    if (wanted("B1") || wanted("B5")) await guard("B1", async () => {
      log("B1 pacing efficiency …")
      const b1 = await pacing(db, quick)
      results.push(b1)
      basis = { efficiency: b1.ordersync.efficiency, requestsPer100Orders: b1.ordersync.requestsPer100Orders }
      rows.push(
        ["B1", "efficiency (spent ÷ burst+rate×t)", `${b1.ordersync.efficiency} (baseline ${b1.baseline.efficiency})`, ">= 0.95"],
        ["B1", "429s ÷ requests", `${b1.ordersync.throttledRatio} (baseline ${b1.baseline.throttledRatio})`, "<= 0.01"],
        ["B1", "wall ÷ theoretical minimum", `${b1.ordersync.wallOverMinimum} (baseline ${b1.baseline.wallOverMinimum})`, ""],
        ["B1", "requests per 100 orders", `${b1.ordersync.requestsPer100Orders} (baseline ${b1.baseline.requestsPer100Orders})`, ""]
      )
    })
    if (wanted("B2")) await guard("B2", async () => {
      log("B2 store throughput …")
      const b2 = await store(db, quick)
      results.push(b2)
      for (const kind of ["insert", "update"] as const) {
        const r = b2.ordersPerSecond as Record<string, { insert: number; update: number }>
        rows.push(
          ["B2", `${kind}: orders/s chunk100 | chunk1000 | per-order | COPY`, `${r.chunked100![kind]} | ${r.chunked1000![kind]} | ${r.perOrder![kind]} | ${r.copy![kind]}`, ""],
          ["B2", `${kind}: chunked(100) ÷ per-order`, String(b2.ratios[kind].chunked100OverPerOrder), ">= 20"],
          ["B2", `${kind}: chunked(100) ÷ COPY (chunk1000 ÷ COPY)`, `${b2.ratios[kind].chunked100OverCopy} (${b2.ratios[kind].chunked1000OverCopy})`, ">= 0.5"],
          ["B2", `${kind}: COPY ÷ per-order (the ceiling for the 20× target)`, String(b2.ratios[kind].copyOverPerOrder), ""]
        )
      }
    })
    if (wanted("B3")) await guard("B3", async () => {
      log("B3 many tenants …")
      const b3 = await manyTenants(db, quick)
      results.push(b3)
      const mark = (ok: boolean) => (ok ? " ✅" : " ❌")
      const t = b3.targets
      const m = b3.metTargets
      rows.push(
        ["B3", `wall(${b3.tenants} tenants) ÷ wall(1 tenant)`, `${b3.wallRatio} (${b3.manySeconds} s ÷ ${b3.aloneSeconds} s)`, `${t.wallRatio}${mark(m.wallRatio)}`],
        ["B3", "peak RSS (MB)", `${b3.peakRssMb} (alone ${b3.aloneRssMb})`, `${t.peakRssMb}${mark(m.peakRssMb)}`],
        ["B3", "event-loop delay p99 / max (ms)", `${b3.eventLoopDelayP99Ms} / ${b3.eventLoopDelayMaxMs}`, m.eventLoopDelayP99Ms === null ? "" : `${t.eventLoopDelayP99Ms}${mark(m.eventLoopDelayP99Ms)}`],
        ["B3", "429s per tenant; engine CPU per page; machine busy", `${b3.throttledPerTenant}; ${b3.engineCpuMsPerPage} ms; ${Math.round(b3.machineBusyFraction * 100)}%`, ""]
      )
      if (b3.deltaMode !== null) {
        const d = b3.deltaMode
        rows.push(
          ["B3", `delta mode ${d.seconds} s: delta syncs/s; statements/s (per sync); CPU`, `${d.deltaSyncsPerSecond}; ${d.statementsPerSecond} (${d.statementsPerDeltaSync}); ${Math.round(d.cpuFraction * 100)}%`, ""],
          ["B3", "delta mode: RSS peak / end (MB); event-loop delay p99 (ms)", `${d.peakRssMb} / ${d.endRssMb}; ${d.eventLoopDelayP99Ms}`, ""]
        )
      }
    })
    if (wanted("B4")) await guard("B4", async () => {
      log("B4 memory flatness …")
      const b4 = await memory(db, quick)
      results.push(b4)
      rows.push(
        ["B4", "peak RSS (MB) at " + b4.milestones.map((m) => `${m.orders / 1000}k`).join(" | "), b4.milestones.map((m) => String(m.peakRssMb)).join(" | "), "last ≤ first + 50, ≤ 250"],
        ["B4", "growth (MB), orders/s", `${b4.growthMb}, ${b4.ordersPerSecond}`, "<= 50"],
        ["B4", "heap used / heap total (MB) at milestones", b4.milestones.map((m) => `${m.heapUsedMb}/${m.heapTotalMb}`).join(" | "), ""],
        ["B4", "live heap after GC (MB) at milestones", b4.milestones.map((m) => String(m.heapAfterGcMb)).join(" | "), ""],
        "error" in b4.v8Defaults
          ? ["B4", "with V8's heap sizing", `FAILED ${b4.v8Defaults.error.split("\n")[0]!.slice(0, 80)}`, ""]
          : ["B4", `with V8's heap sizing: peak RSS at ${b4.v8Defaults.milestones.map((m) => `${m.orders / 1000}k`).join(" | ")}, orders/s`, `${b4.v8Defaults.milestones.map((m) => String(m.peakRssMb)).join(" | ")}, ${b4.v8Defaults.ordersPerSecond}`, ""]
      )
    })
    if (wanted("B6")) await guard("B6", async () => {
      log("B6 history time …")
      const b6 = await history(db, quick, wanted("B1") ? basis.efficiency : undefined)
      results.push(b6)
      const mark = (ok: boolean | null) => (ok === null ? "" : ok ? " ✅" : " ❌")
      for (const size of b6.sizes) {
        for (const p of size.paths) {
          const requests = Object.entries(p.requests).map(([operation, n]) => `${operation} ${n}`).join(", ")
          rows.push([
            "B6",
            `${sizeLabel(size.orders)} ${p.path}${p.path === "auto" ? ` (→ ${p.chose})` : ""}${p.measured === "run" ? "" : ` [${p.measured}]`}: Amazon + local = total`,
            `${describeSeconds(p.amazonSeconds)} + ${p.localSeconds} s = ${describeSeconds(p.totalSeconds)}; ${p.ordersPerLocalSecond} orders/s local; ` +
              `RSS ${p.peakRssMb ?? "–"} MB; exact ${p.exact ?? "–"}; ${requests}`,
            p.path === "auto" ? `≤ 1.1× faster: ${size.autoOverFaster}×${mark(size.autoOverFaster <= 1.1)}` : ""
          ])
        }
      }
      const million = b6.sizes.find((s) => s.orders === 1_000_000)
      if (million) {
        const auto = million.paths.find((p) => p.path === "auto")!
        const reports = million.paths.find((p) => p.path === "reports")!
        rows.push(
          ["B6", "1M orders: auto total", describeSeconds(auto.totalSeconds), `< 2 h${mark(b6.met.millionUnder2h)}`],
          ["B6", "1M orders: peak RSS through reports (MB)", String(reports.peakRssMb), `<= 300${mark(b6.met.millionPeakRssUnder300Mb)}`]
        )
      }
      if (b6.copyBaseline) {
        const c = b6.copyBaseline
        rows.push(["B6", `${sizeLabel(b6.sizes.at(-1)!.orders)} report chunks ÷ COPY+merge (orders/s; by active time)`, `${c.ratio} (${c.engineOrdersPerSecond} ÷ ${c.copyOrdersPerSecond}; ${c.activeRatio})`, `>= 0.9${mark(b6.met.copyRatioAtLeast09)}`])
      }
      for (const c of b6.chunkExperiments) {
        rows.push(["B6", `  ORDERSYNC_REPORT_CHUNK_ORDERS=${c.chunkOrders}: ÷ COPY (by active time)`, `${c.ratio} (${c.engineOrdersPerSecond} ÷ ${c.copyOrdersPerSecond}; ${c.activeRatio})`, ""])
      }
    })
    if (wanted("B7")) await guard("B7", async () => {
      log("B7 coordination cost …")
      const b7 = await fleet(db, quick)
      results.push(b7)
      for (const r of b7.runs) {
        const label = `${r.tenants / 1000}k tenants, ${r.replicas} replica${r.replicas > 1 ? "s" : ""}`
        rows.push(
          ["B7", `${label}: tick mean / p99 (ms); rows read; CPU ms per tick`, `${r.tickMeanMs} / ${r.tickP99Ms}; ${r.rowsReadPerTick}; ${r.cpuMsPerTick}`, "<= 20 ms"],
          ["B7", `${label}: trigger → first request median / p99 (ms)`, `${r.triggerToRequestMedianMs} / ${r.triggerToRequestP99Ms} (${r.triggers} triggers)`, "p99 <= 1000"],
          ["B7", `${label}: settle (s), replica RSS (MB)`, `${r.settleSeconds}; ${r.replicaRssMb.join(" | ")}`, ""]
        )
      }
    })
    if (wanted("B5") || wanted("B1")) {
      const b5 = projection(basis.efficiency, basis.requestsPer100Orders)
      results.push(b5)
      for (const r of b5.rows) rows.push(["B5", `${r.operation} (${r.api}) ${r.orders / 1000}k orders`, `${r.human} (${r.requests} requests)`, ""])
    }
  } finally {
    await db.close()
  }
  const output = {
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown", memoryGb: round(os.totalmem() / 1024 ** 3, 1), node: process.version, platform: `${os.platform()}-${os.arch()}` },
    database: db.description,
    totalSeconds: round((performance.now() - started) / 1000, 1),
    failed: failures,
    scenarios: results
  }
  const file = path.join(repoRoot, "bench/results/latest.json")
  await fs.mkdir(path.dirname(file), { recursive: true })
  await fs.writeFile(file, JSON.stringify(only === undefined ? output : await merged(file, output, args), null, 2) + "\n")
  process.stdout.write(table(rows) + "\n")
  if (failures.length > 0) process.stdout.write(`\nfailed: ${failures.join(", ")}\n`)
  process.stdout.write(`\n${output.mode} run, ${output.totalSeconds} s, ${output.machine.cpus} cores, ${output.machine.memoryGb} GB; written to bench/results/latest.json\n`)
  return failures
}

main().then(
  (failed) => process.exit(failed.length > 0 ? 1 : 0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
    process.exit(1)
  }
)
