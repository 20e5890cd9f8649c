import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { freshDatabaseUrl, onDatabase } from "../support/Database.js"
import { simulatorEnv, testSeller } from "../support/Engine.js"
import { ordersyncDone } from "../support/Process.js"
import { createOriginalTables, insertState } from "./OriginalBackend.js"

const jsonLines = (output: string) =>
  output.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>)

describe("the CLI on the original backend's database", () => {
  it.scopedLive("tenants add, backfill run, status and sync with a TEXT cursor; an unreadable cursor is logged readably", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("legacy", 600, 44), testSeller("garbled", 20, 45)] })
      const url = yield* freshDatabaseUrl("adopt_cli")
      yield* Effect.gen(function*() {
        yield* createOriginalTables("TEXT")
        yield* insertState({ tenantId: "legacy", status: "in_progress", days: 365, doneAt: null, lastSyncAt: null, cursor: null }, "TEXT")
        yield* insertState({ tenantId: "garbled", status: "success", days: 365, doneAt: new Date(), lastSyncAt: null, cursor: "last week" }, "TEXT")
      }).pipe(onDatabase(url))
      const env = simulatorEnv(sim, { DATABASE_URL: url })
      yield* Effect.promise(async () => {
        for (const tenant of ["legacy", "garbled"]) {
          const added = await ordersyncDone(
            ["tenants", "add", "--tenant", tenant, "--refresh-token", `Atzr|${tenant}`, "--region", "na", "--marketplace", "ATVPDKIKX0DER"],
            env
          )
          expect(added.code, added.output).toBe(0)
        }
        const run = await ordersyncDone(["backfill", "run", "--tenant", "legacy", "--json"], env)
        expect(run.code, run.output).toBe(0)
        const status = JSON.parse(run.stdout)
        expect(status).toMatchObject({ tenantId: "legacy", initialBackfillStatus: "success" })
        expect(status.cursor).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)

        const shown = await ordersyncDone(["backfill", "status", "--tenant", "legacy", "--json"], env)
        expect(shown.code, shown.output).toBe(0)
        expect(JSON.parse(shown.stdout)).toMatchObject({ cursor: status.cursor, ordersCount: status.ordersCount })
        const synced = await ordersyncDone(["sync", "--tenant", "legacy", "--json"], env)
        expect(synced.code, synced.output).toBe(0)
        expect(JSON.parse(synced.stdout).after).toBe(new Date(new Date(status.cursor).getTime() - 900_000).toISOString())

        // A value of another shape: the log line says what failed; the cause keeps the stack.
        const garbled = await ordersyncDone(["backfill", "status", "--tenant", "garbled"], env)
        expect(garbled.code).toBe(1)
        const failure = jsonLines(garbled.output).find((line) => line.logLevel === "ERROR")!
        expect(failure, garbled.output).toBeDefined()
        expect(failure.message).toEqual(expect.stringContaining(`"MarketplaceSyncState"."cursor" holds "last week"`))
        expect(String(failure.cause)).toContain("UnreadableRow")
        expect(String(failure.cause)).toMatch(/\n\s+at /)
      })
    }))
})
