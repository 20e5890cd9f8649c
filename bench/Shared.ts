import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import * as Embedded from "../src/Services/Store/EmbeddedPostgres.js"
import type { SimulatorHandle } from "../src/Simulator/index.js"

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

export const round = (n: number, digits = 3) => Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n

export const mb = (bytes: number) => round(bytes / 1024 / 1024, 1)

/** The environment an engine pointed at this simulator gets (the tests' simulatorEnv, which the build cannot import). */
export const simulatorEnv = (simulator: SimulatorHandle, extra: Record<string, string> = {}): Record<string, string> => ({
  SPAPI_ENDPOINT: simulator.url,
  LWA_ENDPOINT: `${simulator.url}/auth/o2/token`,
  LWA_CLIENT_ID: simulator.config.clientId,
  LWA_CLIENT_SECRET: simulator.config.clientSecret,
  SPAPI_LISTING_LAG_SECONDS: String(Math.max(0.05, 150 / simulator.config.timeFactor)),
  SPAPI_RETRY_BASE_MS: "5",
  SPAPI_RETRY_MAX_MS: "200",
  SPAPI_REQUEST_TIMEOUT_MS: "5000",
  ORDERSYNC_SECRET_KEY: "bench-secret-key",
  ORDERSYNC_LEASE_TTL: "10",
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

/** Runs a compiled bench script as a child process and returns the JSON it prints on its last stdout line. */
export const runChild = async <A>(script: string, input: unknown, env: Record<string, string>): Promise<A> => {
  const child = spawn(process.execPath, ["--expose-gc", path.join(repoRoot, "dist/bench", script), JSON.stringify(input)], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "Warning", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  let err = ""
  child.stdout.on("data", (chunk) => (out += String(chunk)))
  child.stderr.on("data", (chunk) => (err += String(chunk)))
  const code = await new Promise<number | string>((resolve) => child.on("exit", (c, s) => resolve(c ?? s ?? "unknown")))
  const last = out.trim().split("\n").pop() ?? ""
  if (code !== 0) throw new Error(`${script} exited ${code}:\n${err.slice(-3000)}\n${out.slice(-1000)}`)
  return JSON.parse(last) as A
}

/** Samples this process' RSS until stopped; `peak` is the highest value seen. */
export const rssSampler = (intervalMs = 100) => {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss()
    if (rss > peak) peak = rss
  }, intervalMs)
  timer.unref()
  return {
    peak: () => Math.max(peak, process.memoryUsage.rss()),
    reset: () => (peak = process.memoryUsage.rss()),
    stop: () => clearInterval(timer)
  }
}
