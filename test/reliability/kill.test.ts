import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { freshDatabaseUrl, onDatabase } from "../support/Database.js"
import { expectExactly, simulatorEnv, testSeller } from "../support/Engine.js"
import { eventually, ordersync, ordersyncDone } from "../support/Process.js"
import { addTenantArgs, report, storedRun } from "./support.js"

const KILLS = 20

describe("R1: kill -9 loop", () => {
  it.scopedLive(`a large backfill killed with SIGKILL ${KILLS} times and restarted each time: exact, ≤ 1 page fetched again per kill`, () =>
    Effect.gen(function*() {
      // ~30,000 orders in range: ~300 pages at 20 pages/s after the burst; each life fetches 1 to 12 pages.
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("r1", 60_000, 61)] })
      const url = yield* freshDatabaseUrl("r1")
      const env = simulatorEnv(sim, { DATABASE_URL: url, ORDERSYNC_LEASE_TTL: "1" })
      const started = Date.now()
      const killedAt: Array<number> = []
      yield* Effect.promise(async () => {
        const added = await ordersyncDone(addTenantArgs("r1"), env)
        expect(added.code, added.output).toBe(0)
        for (let kill = 0; kill < KILLS; kill++) {
          const served = sim.stats("r1").pagesServed["searchOrders"] ?? 0
          const run = ordersync(["backfill", "run", "--tenant", "r1"], env)
          // A random moment: after 1 to 12 more pages, plus 0 to 40 ms (mid-request, mid-commit or in between).
          const target = served + 1 + Math.floor(Math.random() * 12)
          await eventually(() => (sim.stats("r1").pagesServed["searchOrders"] ?? 0) >= target || run.child.exitCode !== null, {
            what: `page ${target} to be served`,
            timeoutMs: 60_000,
            intervalMs: 2
          })
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 40))
          run.child.kill("SIGKILL")
          const exit = await run.exited
          expect(exit, run.output()).toBe("SIGKILL")
          killedAt.push(sim.stats("r1").pagesServed["searchOrders"] ?? 0)
        }
        const last = await ordersyncDone(["backfill", "run", "--tenant", "r1", "--json"], env)
        expect(last.code, last.output).toBe(0)
        expect(JSON.parse(last.stdout).initialBackfillStatus).toBe("success")
      })
      const stats = sim.stats("r1")
      const { run, stored } = yield* storedRun("r1").pipe(onDatabase(url))
      const truth = sim.groundTruth("r1", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd })
      report("R1", {
        kills: KILLS,
        orders: truth.length,
        pagesServed: stats.pagesServed["searchOrders"],
        pageRefetches: stats.pageRefetches,
        refetchesPerKill: stats.pageRefetches / KILLS,
        pagesAtEachKill: killedAt,
        seconds: (Date.now() - started) / 1000
      })
      expectExactly(stored, truth)
      expect(stats.pageRefetches).toBeLessThanOrEqual(KILLS)
    }))
})
