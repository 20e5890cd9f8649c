import { type ChildProcess, spawn } from "node:child_process"
import * as http from "node:http"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { SimulatorHandle } from "../../src/Simulator/index.js"
import { simulatorEnv } from "../support/Engine.js"
import { bin, repoRoot } from "../support/Process.js"

/**
 * A fingerprint of every row of every table in the database: md5 of all rows as text, in order, per table. Two equal
 * fingerprints mean nothing was inserted, updated or deleted anywhere (updatedAt included).
 */
export const tableChecksums = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const tables = yield* sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`
  const out: Record<string, string> = {}
  for (const { name } of tables) {
    const [row] = yield* sql<{ rows: number; md5: string }>`SELECT count(*)::int AS rows,
      md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '')) AS md5 FROM ${sql(name)} t`
    out[name] = `${row!.rows}:${row!.md5}`
  }
  return out
}).pipe(Effect.orDie)

export interface RawRequest {
  readonly method: string
  /** Sent byte for byte: no normalisation of `..`, `//` or percent-escapes (fetch would resolve them first). */
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
}

export interface RawResponse {
  readonly status: number
  readonly text: string
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })

/** One HTTP request exactly as given, to `base` (http://host:port); status 0 when no answer came within `timeoutMs`. */
export const send = (base: string, request: RawRequest, timeoutMs = 10_000) =>
  Effect.async<RawResponse>((resume) => {
    let answered = false
    const answer = (effect: Effect.Effect<RawResponse>) => {
      if (!answered) resume(effect)
      answered = true
    }
    const url = new URL(base)
    const req = http.request({
      agent,
      host: url.hostname,
      port: url.port,
      method: request.method,
      path: request.path,
      headers: {
        ...request.headers,
        ...(request.body !== undefined ? { "content-length": String(Buffer.byteLength(request.body)) } : {})
      }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => answer(Effect.succeed({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") })))
      res.on("error", (error) => answer(Effect.dieMessage(`response of ${request.method} ${request.path}: ${error.message}`)))
    })
    req.setTimeout(timeoutMs, () => {
      answer(Effect.succeed({ status: 0, text: `no answer within ${timeoutMs} ms` }))
      req.destroy()
    })
    req.on("error", (error) => answer(Effect.dieMessage(`${request.method} ${request.path}: ${error.message}`)))
    if (request.body !== undefined) req.write(request.body)
    req.end()
  })

/** Whether an error answer has Amazon's shape, {"errors":[{"code","message","details"}]}. */
export const amazonShaped = (text: string) => {
  try {
    const body = JSON.parse(text) as { errors?: unknown }
    return Array.isArray(body.errors) && body.errors.length > 0 &&
      body.errors.every((e) => typeof e === "object" && e !== null && ["code", "message", "details"].every((k) => typeof (e as Record<string, unknown>)[k] === "string"))
  } catch {
    return false
  }
}

/** Counts by key, sorted by key. */
export const tally = (keys: ReadonlyArray<string | number>) => {
  const out: Record<string, number> = {}
  for (const key of [...keys].map(String).sort()) out[key] = (out[key] ?? 0) + 1
  return out
}

export interface ServeProcess {
  readonly name: string
  readonly child: ChildProcess
  readonly exited: Promise<number | string>
  readonly log: () => string
}

/** `ordersync serve` (the built CLI) on this database and simulator, named `name` in leases and in application_name. */
export const startServe = (name: string, sim: SimulatorHandle, databaseUrl: string, extra: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.sync((): ServeProcess => {
      const url = new URL(databaseUrl)
      url.searchParams.set("application_name", name)
      const child = spawn(process.execPath, [bin, "serve"], {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "/tmp",
          ...simulatorEnv(sim),
          DATABASE_URL: url.toString(),
          ORDERSYNC_INSTANCE_ID: name,
          PORT: "0",
          ...extra
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout!.on("data", (chunk) => (output += chunk))
      child.stderr!.on("data", (chunk) => (output += chunk))
      const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown")))
      return { name, child, exited, log: () => output }
    }),
    (serve) =>
      Effect.promise(async () => {
        if (serve.child.exitCode === null && serve.child.signalCode === null) {
          serve.child.kill("SIGKILL")
          await serve.exited
        }
      })
  )

/** Records every claim of a lease (a new epoch) with the claimer and the database's clock at that moment. */
export const installClaimAudit = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE "ClaimAudit" ("id" BIGSERIAL PRIMARY KEY, "tenantId" TEXT, "owner" TEXT, "epoch" BIGINT,
    "at" TIMESTAMPTZ DEFAULT clock_timestamp())`
  yield* sql.unsafe(`CREATE FUNCTION audit_claim() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'INSERT' OR NEW."epoch" IS DISTINCT FROM OLD."epoch" THEN
        INSERT INTO "ClaimAudit" ("tenantId", "owner", "epoch") VALUES (NEW."tenantId", NEW."owner", NEW."epoch");
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`)
  yield* sql.unsafe(`CREATE TRIGGER audit_claim AFTER INSERT OR UPDATE ON "OrderSyncLease" FOR EACH ROW EXECUTE FUNCTION audit_claim()`)
}).pipe(Effect.orDie)
