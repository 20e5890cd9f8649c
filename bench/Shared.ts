import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Redacted } from "effect"
import * as Embedded from "../src/Services/Store/EmbeddedPostgres.js"
import { clientSettings, type SimulatorHandle } from "../src/Simulator/index.js"

/** The repository root, from dist/bench/ or bench/. */
export const repoRoot = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  return path.basename(path.dirname(here)) === "dist" ? path.resolve(here, "../..") : path.resolve(here, "..")
})()

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The value below which a share `p` (0..1) of `values` lie (NaN for none). */
export const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN
}
export const round = (n: number, digits = 3) => Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n

export const mb = (bytes: number) => round(bytes / 1024 / 1024, 1)

/**
 * The environment an engine pointed at this simulator gets: the simulator's own `clientSettings` (endpoints, demo
 * credentials, the scaled 2-minute rule and SPAPI_RATE_SCALE), plus short retries, bench-only secrets and the Orders API
 * history path.
 */
export const simulatorEnv = (simulator: SimulatorHandle, extra: Record<string, string> = {}): Record<string, string> => ({
  ...clientSettings(simulator),
  SPAPI_RETRY_BASE_MS: "5",
  SPAPI_RETRY_MAX_MS: "200",
  SPAPI_REQUEST_TIMEOUT_MS: "5000",
  ORDERSYNC_SECRET_KEY: "bench-secret-key",
  ORDERSYNC_LEASE_TTL: "10",
  // B1–B4 measure the Orders API path; B6 sets the path it measures.
  ORDERSYNC_HISTORY_SOURCE: "orders",
  ...extra
})

export interface BenchDatabase {
  /** A new, empty database on the server (the engine migrates it). */
  readonly fresh: (label: string) => Promise<string>
  readonly description: string
  readonly close: () => Promise<void>
}

const withDatabase = (url: string, name: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

let counter = 0

/** DATABASE_URL (each scenario gets a database of its own on that server), or an embedded server in a temp folder. */
export const openDatabase = async (): Promise<BenchDatabase> => {
  const external = process.env.DATABASE_URL
  let admin: string
  let close = async () => {}
  let description: string
  if (external) {
    admin = external
    description = "DATABASE_URL"
  } else {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "ordersync-bench-"))
    await fs.chmod(dataDir, 0o755)
    const server = await Effect.runPromise(Embedded.acquire({ dataDir, port: 0, log: () => undefined }))
    admin = `postgres://${server.user}:${encodeURIComponent(Redacted.value(server.password))}@${server.host}:${server.port}/postgres`
    description = "embedded PostgreSQL (fresh temp data dir)"
    close = async () => {
      await Effect.runPromise(Embedded.stop(dataDir))
      await fs.rm(dataDir, { recursive: true, force: true })
    }
  }
  const fresh = async (label: string) => {
    const name = `bench_${label.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${process.pid}_${++counter}`
    const created = await Effect.runPromise(
      Effect.gen(function*() {
        const sql = yield* PgClient.PgClient
        yield* sql.unsafe(`CREATE DATABASE "${name}"`)
      }).pipe(Effect.scoped, Effect.provide(PgClient.layer({ url: Redacted.make(admin), maxConnections: 1 })), Effect.either)
    )
    // Without CREATEDB on an external server, scenarios share its database (each uses its own tenant ids).
    return created._tag === "Right" ? withDatabase(admin, name) : admin
  }
  return { fresh, description, close }
}

/**
 * Runs a compiled bench script as a child process and returns the JSON it writes to the file named by
 * BENCH_RESULT_FILE (or, for a child that does not write one, the JSON on its last stdout line). A file, because a
 * result of a few megabytes (B3 at 10,000 tenants) read back from a pipe came out corrupted. The input goes by file
 * too (BENCH_INPUT_FILE, see `readChildInput`): 10,000 tenant ids are more than Linux takes in one argument (128 KB).
 */
export const runChild = async <A>(
  script: string,
  input: unknown,
  env: Record<string, string>,
  nodeArgs: ReadonlyArray<string> = []
): Promise<A> => {
  // BENCH_CHILD_NODE_FLAGS (space-separated) is for experiments on every engine child.
  const extraFlags = (process.env.BENCH_CHILD_NODE_FLAGS ?? "").split(" ").filter((f) => f.length > 0)
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), "ordersync-child-"))
  const resultFile = path.join(folder, "result.json")
  const inputFile = path.join(folder, "input.json")
  try {
    await fs.writeFile(inputFile, JSON.stringify(input))
    const child = spawn(process.execPath, ["--expose-gc", ...extraFlags, ...nodeArgs, path.join(repoRoot, "dist/bench", script)], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        LOG_LEVEL: "Warning",
        BENCH_RESULT_FILE: resultFile,
        BENCH_INPUT_FILE: inputFile,
        ...(process.env.BENCH_ALLOCATION_PROFILE ? { BENCH_ALLOCATION_PROFILE: process.env.BENCH_ALLOCATION_PROFILE } : {}),
        ...(process.env.BENCH_CPU_PROFILE ? { BENCH_CPU_PROFILE: process.env.BENCH_CPU_PROFILE } : {}),
        ...env,
        // BENCH_CHILD_ENV ("NAME=value NAME=value") is for experiments too: settings the scenario does not choose.
        ...Object.fromEntries((process.env.BENCH_CHILD_ENV ?? "").split(" ").filter((kv) => kv.includes("=")).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]))
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    child.stdout.setEncoding("utf8")
    child.stderr.setEncoding("utf8")
    let out = ""
    let err = ""
    child.stdout.on("data", (chunk: string) => (out += chunk))
    child.stderr.on("data", (chunk: string) => (err += chunk))
    const code = await new Promise<number | string>((resolve) => child.on("exit", (c, s) => resolve(c ?? s ?? "unknown")))
    if (code !== 0) throw new Error(`${script} exited ${code}:\n${err.slice(-3000)}\n${out.slice(-1000)}`)
    const written = await fs.readFile(resultFile, "utf8").catch(() => undefined)
    return JSON.parse(written ?? out.trim().split("\n").pop() ?? "") as A
  } finally {
    await fs.rm(folder, { recursive: true, force: true })
  }
}

/** What a child started by `runChild` was given. */
export const readChildInput = <A>(): A => JSON.parse(readFileSync(process.env.BENCH_INPUT_FILE!, "utf8")) as A

/** What a child started by `runChild` hands back: to its result file, else as one line on stdout. */
export const writeChildResult = async (result: unknown) => {
  const file = process.env.BENCH_RESULT_FILE
  if (file !== undefined) await fs.writeFile(file, JSON.stringify(result))
  else process.stdout.write(JSON.stringify(result) + "\n")
}

/** Samples this process' RSS (and V8 heap) until stopped; `peak` is the highest RSS seen. */
export const rssSampler = (intervalMs = 100) => {
  let peak = process.memoryUsage.rss()
  let peakHeapTotal = 0
  let peakHeapUsed = 0
  const sample = () => {
    const usage = process.memoryUsage()
    if (usage.rss > peak) peak = usage.rss
    if (usage.heapTotal > peakHeapTotal) peakHeapTotal = usage.heapTotal
    if (usage.heapUsed > peakHeapUsed) peakHeapUsed = usage.heapUsed
  }
  const timer = setInterval(sample, intervalMs)
  timer.unref()
  return {
    peak: () => Math.max(peak, process.memoryUsage.rss()),
    peakHeapTotal: () => (sample(), peakHeapTotal),
    peakHeapUsed: () => (sample(), peakHeapUsed),
    reset: () => (peak = process.memoryUsage.rss()),
    stop: () => clearInterval(timer)
  }
}

/** Whole-machine CPU use between `start` and `stop`: busy core-seconds and the busy fraction of all cores. */
export const machineCpu = () => {
  const snapshot = () =>
    os.cpus().reduce(
      (acc, cpu) => {
        const t = cpu.times
        acc.busy += t.user + t.nice + t.sys + t.irq
        acc.total += t.user + t.nice + t.sys + t.irq + t.idle
        return acc
      },
      { busy: 0, total: 0 }
    )
  const start = snapshot()
  return () => {
    const end = snapshot()
    const busy = (end.busy - start.busy) / 1000
    return { busyCoreSeconds: round(busy, 1), busyFraction: round(busy / Math.max(1e-9, (end.total - start.total) / 1000), 3) }
  }
}
