import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { ConfigProvider, Effect, Layer } from "effect"
import { engineOver } from "../../src/Services/Engine.js"
import { SqlFromUrl } from "../../src/Services/Store/Database.js"
import type { SimulatorHandle } from "../../src/Simulator/index.js"
import { simulatorEnv } from "../support/Engine.js"

const root = path.resolve(import.meta.dirname, "../..")

export interface Replica {
  readonly name: string
  readonly child: ChildProcess
  /** Resolves when the process has exited, with the real milliseconds since `signal` was last called. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: string | null; readonly afterSignalMs: number }>
  readonly signal: (signal: NodeJS.Signals) => void
  readonly log: () => string
}

/** The URL of this database, with the writer's name as application_name (the audit trigger records it). */
const asApplication = (url: string, name: string) => {
  const parsed = new URL(url)
  parsed.searchParams.set("application_name", name)
  return parsed.toString()
}

/** `ordersync serve` as a child process on this database and simulator; SIGKILLed when the scope closes. */
export const startReplica = (name: string, sim: SimulatorHandle, databaseUrl: string, extra: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.sync((): Replica => {
      const child = spawn(path.join(root, "node_modules/.bin/vite-node"), [path.join(root, "test/daemon/serve-child.ts")], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          ...simulatorEnv(sim),
          DATABASE_URL: asApplication(databaseUrl, name),
          ORDERSYNC_INSTANCE_ID: name,
          ORDERSYNC_LEASE_TTL: "3",
          ORDERSYNC_POLL_SECONDS: "0.5",
          PORT: "0",
          ...extra
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout!.on("data", (chunk) => (output += chunk))
      child.stderr!.on("data", (chunk) => (output += chunk))
      let signalledAt = Date.now()
      const exited = new Promise<{ code: number | null; signal: string | null; afterSignalMs: number }>((resolve) =>
        child.on("exit", (code, signal) => resolve({ code, signal, afterSignalMs: Date.now() - signalledAt }))
      )
      return {
        name,
        child,
        exited,
        signal: (signal) => {
          signalledAt = Date.now()
          child.kill(signal)
        },
        log: () => output
      }
    }),
    (replica) =>
      Effect.promise(async () => {
        if (replica.child.exitCode === null && replica.child.signalCode === null) {
          replica.child.kill("SIGCONT")
          replica.child.kill("SIGKILL")
          await replica.exited
        }
      })
  )

/** The engine in this test process on the children's database (to register tenants and read the results). */
export const engineOn = (sim: SimulatorHandle, databaseUrl: string) =>
  engineOver(SqlFromUrl(databaseUrl)).pipe(
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(simulatorEnv(sim))))))
  )

/**
 * Records every write to the sync tables together with the writer (its application_name) and the lease owner the
 * writer saw in its transaction: a write by anyone but the owner is a fencing failure.
 */
export const installWriteAudit = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE "WriteAudit" ("id" BIGSERIAL PRIMARY KEY, "tableName" TEXT, "writer" TEXT, "tenantId" TEXT,
    "owner" TEXT, "epoch" BIGINT, "at" TIMESTAMPTZ DEFAULT clock_timestamp())`
  yield* sql.unsafe(`CREATE FUNCTION audit_write() RETURNS trigger AS $$
    BEGIN
      INSERT INTO "WriteAudit" ("tableName", "writer", "tenantId", "owner", "epoch")
        SELECT TG_TABLE_NAME, current_setting('application_name'), NEW."tenantId", l."owner", l."epoch"
        FROM (SELECT 1) AS one LEFT JOIN "OrderSyncLease" l ON l."tenantId" = NEW."tenantId";
      RETURN NEW;
    END $$ LANGUAGE plpgsql`)
  for (const table of ["Order", "OrderSyncWindow", "OrderSyncBackfill"]) {
    yield* sql.unsafe(`CREATE TRIGGER audit_write AFTER INSERT OR UPDATE ON "${table}" FOR EACH ROW EXECUTE FUNCTION audit_write()`)
  }
}).pipe(Effect.orDie)

/** Live lease owners and how many tenants each holds. */
export const leaseOwners = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ owner: string; tenantId: string }>`SELECT "owner", "tenantId" FROM "OrderSyncLease"
    WHERE "owner" IS NOT NULL AND "expiresAt" > now() ORDER BY "tenantId"`.pipe(
    Effect.map((rows) => {
      const out: Record<string, Array<string>> = {}
      for (const row of rows) (out[row.owner] ??= []).push(row.tenantId)
      return out
    }),
    Effect.orDie
  ))

/** Polls `check` until it returns a value, failing with `what` after `seconds` (real time). */
export const eventually = <A, R>(what: string, seconds: number, check: Effect.Effect<A | undefined, never, R>) =>
  Effect.gen(function*() {
    const deadline = Date.now() + seconds * 1000
    while (true) {
      const value = yield* check
      if (value !== undefined) return value
      if (Date.now() > deadline) return yield* Effect.dieMessage(`timed out after ${seconds} s waiting for: ${what}`)
      yield* Effect.sleep("200 millis")
    }
  })
