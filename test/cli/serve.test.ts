import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { freshDatabaseUrl, onDatabase } from "../support/Database.js"
import { simulatorEnv, testSeller } from "../support/Engine.js"
import { freePort } from "../ship/support.js"
import { eventually, ordersync, ordersyncDone, ordersyncWithin } from "../support/Process.js"

const STRONG_TOKEN = "0123456789abcdef0123456789abcdef-serve-test"
// A serve that should refuse does so before any database or listener: long before this.
const REFUSAL_MS = 15_000

const dataDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "ordersync-serve-"))

const connects = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port })
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

// An address of this machine other than loopback, if it has one.
const outsideAddress = () =>
  Object.values(os.networkInterfaces()).flat().find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address

const tables = (url: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ name: string }>`SELECT table_name AS "name" FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)
    .pipe(Effect.map((rows) => rows.map((r) => r.name)), onDatabase(url), Effect.orDie)

describe("serve refuses to start without what production needs", () => {
  it.scopedLive("no LWA credentials and no --demo: says what to set and how to get the demo, and touches no database", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabaseUrl("nodemo")
      const run = yield* Effect.promise(() =>
        ordersyncWithin(["serve"], { DATABASE_URL: url, PORT: "0", ORDERSYNC_DATA_DIR: dataDir() }, REFUSAL_MS)
      )
      expect(run.code, run.output).toBe(1)
      for (const name of ["LWA_CLIENT_ID", "LWA_CLIENT_SECRET", "ORDERSYNC_SECRET_KEY", "openssl rand -base64 32", "npm start", "serve --demo"]) {
        expect(run.output).toContain(name)
      }
      // Not even migrated, and no demo sellers.
      expect(yield* tables(url)).toEqual([])
    }))

  it.scopedLive("LWA credentials but no ORDERSYNC_SECRET_KEY (it used to generate a throwaway one): refused, naming it", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("nokey", 10, 3)] })
      const { ORDERSYNC_SECRET_KEY: _, ...env } = simulatorEnv(sim, { DATABASE_URL: yield* freshDatabaseUrl("nokey"), PORT: "0" })
      const run = yield* Effect.promise(() => ordersyncWithin(["serve"], env, REFUSAL_MS))
      expect(run.code, run.output).toBe(1)
      expect(run.output).toMatch(/ORDERSYNC_SECRET_KEY is not set.*openssl rand -base64 32/)
      expect(run.output).not.toContain("LWA_CLIENT_ID")
    }))

  it.scopedLive("a placeholder or short admin token is refused at start, in production and in demo mode, and never echoed", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("weak", 10, 3)] })
      const env = simulatorEnv(sim, { DATABASE_URL: yield* freshDatabaseUrl("weak"), PORT: "0", ORDERSYNC_DATA_DIR: dataDir() })
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string, RegExp]> = [
        [["serve"], "CHANGE-ME", /ORDERSYNC_API_TOKEN is a placeholder/],
        [["serve"], "short-admin-token", /ORDERSYNC_API_TOKEN has 17 characters, fewer than 32/],
        [["serve"], `${STRONG_TOKEN},aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`, /token #2 repeats too few distinct characters/],
        [["serve", "--demo"], "CHANGE-ME", /ORDERSYNC_API_TOKEN is a placeholder/]
      ]
      for (const [args, token, problem] of cases) {
        const run = yield* Effect.promise(() => ordersyncWithin(args, { ...env, ORDERSYNC_API_TOKEN: token }, REFUSAL_MS))
        expect(run.code, run.output).toBe(1)
        expect(run.output).toMatch(problem)
        expect(run.output).toContain("openssl rand -hex 32")
        expect(run.output).not.toContain("short-admin-token")
      }
    }))
})

describe("serve --demo", () => {
  it.scopedLive("refuses a database holding real tenants, before migrating it, and leaves them as they were", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("real-seller", 10, 3)] })

      // 1. A migrated database with a real tenant, and one named like a demo seller but holding a real token.
      const url = yield* freshDatabaseUrl("demoreal")
      const env = simulatorEnv(sim, { DATABASE_URL: url, PORT: "0", ORDERSYNC_DATA_DIR: dataDir() })
      for (const tenant of ["real-seller", "demo-seller-1"]) {
        const added = yield* Effect.promise(() =>
          ordersyncDone(["tenants", "add", "--tenant", tenant, "--refresh-token", `Atzr|${tenant}-real`, "--region", "na", "--marketplace", "ATVPDKIKX0DER"], env)
        )
        expect(added.code, added.output).toBe(0)
      }
      const before = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql`SELECT "tenantId", "refreshTokenCiphertext", "parkedReason" FROM "OrderSyncTenant" ORDER BY 1`).pipe(onDatabase(url), Effect.orDie)
      const refused = yield* Effect.promise(() => ordersyncWithin(["serve", "--demo"], env, 60_000))
      expect(refused.code, refused.output).toBe(1)
      expect(refused.output).toMatch(/demo mode will not touch a database that holds real tenants \(real-seller\)/)
      const after = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql`SELECT "tenantId", "refreshTokenCiphertext", "parkedReason" FROM "OrderSyncTenant" ORDER BY 1`).pipe(onDatabase(url), Effect.orDie)
      expect(after).toEqual(before)

      // 2. Only the look-alike: its token is not the simulator's, so it is not the demo's to take over.
      yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DELETE FROM "OrderSyncTenant" WHERE "tenantId" = 'real-seller'`)
        .pipe(onDatabase(url), Effect.orDie)
      const lookalike = yield* Effect.promise(() => ordersyncWithin(["serve", "--demo"], env, 60_000))
      expect(lookalike.code, lookalike.output).toBe(1)
      expect(lookalike.output).toMatch(/will not take over tenants it did not create \(demo-seller-1/)
      const [kept] = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql<{ refreshTokenCiphertext: string; n: number }>`SELECT "refreshTokenCiphertext", (SELECT count(*)::int FROM "OrderSyncTenant") AS n
          FROM "OrderSyncTenant" WHERE "tenantId" = 'demo-seller-1'`).pipe(onDatabase(url), Effect.orDie)
      expect(kept).toEqual({ refreshTokenCiphertext: (before as ReadonlyArray<{ refreshTokenCiphertext: string }>)[0]!.refreshTokenCiphertext, n: 1 })

      // 3. Another application's database, never migrated by ordersync: refused before any migration runs.
      const foreign = yield* freshDatabaseUrl("demoforeign")
      yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
        Effect.zipRight(sql`CREATE TABLE "OrderSyncTenant" ("tenantId" TEXT PRIMARY KEY)`, sql`INSERT INTO "OrderSyncTenant" VALUES ('acme')`))
        .pipe(onDatabase(foreign), Effect.orDie)
      const untouched = yield* Effect.promise(() => ordersyncWithin(["serve", "--demo"], { ...env, DATABASE_URL: foreign }, 60_000))
      expect(untouched.code, untouched.output).toBe(1)
      expect(untouched.output).toMatch(/real tenants \(acme\)/)
      expect(yield* tables(foreign)).toEqual(["OrderSyncTenant"])
    }))

  it.scopedLive("listens on loopback only, whatever HOST says, unless --expose with an admin token of the operator's", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabaseUrl("demohost")
      const port = yield* Effect.promise(freePort)
      const env = { DATABASE_URL: url, PORT: String(port), HOST: "0.0.0.0", ORDERSYNC_DATA_DIR: dataDir(), ORDERSYNC_DEMO_TIME_FACTOR: "3600" }

      const exposedWithoutToken = yield* Effect.promise(() => ordersyncWithin(["serve", "--demo", "--expose"], env, REFUSAL_MS))
      expect(exposedWithoutToken.code, exposedWithoutToken.output).toBe(1)
      expect(exposedWithoutToken.output).toMatch(/--expose needs ORDERSYNC_API_TOKEN/)
      const exposeAlone = yield* Effect.promise(() => ordersyncWithin(["serve", "--expose"], env, REFUSAL_MS))
      expect(exposeAlone.code, exposeAlone.output).toBe(1)

      const serve = yield* Effect.acquireRelease(
        Effect.sync(() => ordersync(["serve", "--demo"], env)),
        (run) => Effect.promise(async () => {
          run.child.kill("SIGTERM")
          await run.exited
        })
      )
      yield* Effect.promise(() =>
        eventually(async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null))?.ok || undefined, {
          timeoutMs: 60_000,
          what: `the demo to be ready (${serve.output()})`
        })
      )
      const outside = outsideAddress()
      if (outside !== undefined) expect(yield* Effect.promise(() => connects(outside, port))).toBe(false)
      // The generated admin token works on loopback: the demo is usable where it listens.
      const token = /demo admin token \(printed once\): (\S+)/.exec(serve.stdout())?.[1]
      const listed = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/api/v1/orders/sync/backfill`, { headers: { authorization: `Bearer ${token}` } })
      )
      expect(listed.status).toBe(200)
    }))
})
