import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { freshDatabaseUrl } from "../support/Database.js"
import { simulatorEnv, testSeller } from "../support/Engine.js"
import { ordersync, ordersyncDone } from "../support/Process.js"

describe("the one-shot CLI", () => {
  it.scopedLive("migrate twice, tenants, bad input, status --json and sync", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("cli-tenant", 800, 71)] })
      const env = simulatorEnv(sim, { DATABASE_URL: yield* freshDatabaseUrl("cli") })
      yield* Effect.promise(async () => {
        for (let i = 0; i < 2; i++) {
          const migrated = await ordersyncDone(["migrate"], env)
          expect(migrated.code, migrated.output).toBe(0)
        }

        const badDays = await ordersyncDone(["backfill", "run", "--tenant", "cli-tenant", "--days", "731"], env)
        expect(badDays.code).not.toBe(0)
        expect(badDays.output).toMatch(/between 1 and 730/)

        const unknown = await ordersyncDone(["backfill", "run", "--tenant", "nobody"], env)
        expect(unknown.code).toBe(1)
        expect(unknown.output).toMatch(/tenant "nobody" is not connected/)

        const badMarketplace = await ordersyncDone(
          ["tenants", "add", "--tenant", "x", "--refresh-token", "t", "--region", "na", "--marketplace", "nope"],
          env
        )
        expect(badMarketplace.code).not.toBe(0)
        expect(badMarketplace.output).toMatch(/not a marketplace id/)

        const added = await ordersyncDone(
          ["tenants", "add", "--tenant", "cli-tenant", "--refresh-token", "Atzr|cli-tenant", "--region", "na", "--marketplace", "ATVPDKIKX0DER"],
          env
        )
        expect(added.code, added.output).toBe(0)
        const listed = await ordersyncDone(["tenants", "list", "--json"], env)
        expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ tenantId: "cli-tenant", region: "na" })])
        expect(listed.output).not.toContain("Atzr|cli-tenant")

        const never = await ordersyncDone(["sync", "--tenant", "cli-tenant"], env)
        expect(never.code).toBe(1)
        expect(never.output).toMatch(/no finished initial backfill/)

        const run = await ordersyncDone(["backfill", "run", "--tenant", "cli-tenant", "--days", "30", "--json"], env)
        expect(run.code, run.output).toBe(0)
        // stdout is exactly one JSON document; logs went to stderr.
        const status = JSON.parse(run.stdout)
        expect(status).toMatchObject({ tenantId: "cli-tenant", initialBackfillDays: 30, initialBackfillStatus: "success" })

        const shown = await ordersyncDone(["backfill", "status", "--tenant", "cli-tenant", "--json"], env)
        expect(JSON.parse(shown.stdout).ordersCount).toBe(status.ordersCount)

        const synced = await ordersyncDone(["sync", "--tenant", "cli-tenant", "--json"], env)
        expect(synced.code, synced.output).toBe(0)
        expect(JSON.parse(synced.stdout)).toMatchObject({ tenantId: "cli-tenant" })

        const token = await ordersyncDone(["tokens", "create", "--tenant", "cli-tenant", "--json"], env)
        expect(token.code, token.output).toBe(0)
        const created = JSON.parse(token.stdout)
        expect(created.token).toMatch(/^ost_/)
        const tokens = await ordersyncDone(["tokens", "list", "--json"], env)
        expect(JSON.parse(tokens.stdout)).toEqual([expect.objectContaining({ id: created.id, tenantId: "cli-tenant" })])
        expect(tokens.stdout).not.toContain(created.token)
        expect((await ordersyncDone(["tokens", "revoke", "--id", created.id], env)).code).toBe(0)
        expect((await ordersyncDone(["tokens", "revoke", "--id", created.id], env)).code).toBe(1)
        const noTenant = await ordersyncDone(["tokens", "create", "--tenant", "nobody"], env)
        expect(noTenant.code).toBe(1)

        const removed = await ordersyncDone(["tenants", "remove", "--tenant", "cli-tenant"], env)
        expect(removed.code).toBe(0)
        const gone = await ordersyncDone(["tenants", "remove", "--tenant", "cli-tenant"], env)
        expect(gone.code).toBe(1)
      })
    }))
})

describe("a data folder that cannot be made", () => {
  it.live("fails at once with the folder's name (Node's recursive mkdir would never return under /proc)", () =>
    Effect.promise(async () => {
      const run = ordersync(["migrate"], { ORDERSYNC_DATA_DIR: "/proc/ordersync-nope/data" })
      const hung = setTimeout(() => run.child.kill("SIGKILL"), 15_000)
      const code = await run.exited
      clearTimeout(hung)
      expect(code).toBe(1)
      expect(run.output()).toMatch(/cannot create the folder \/proc\/ordersync-nope\/data: \/proc\/ordersync-nope: ENOENT/)
    }), 30_000)
})
