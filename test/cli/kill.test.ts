import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { freshDatabaseUrl, onDatabase } from "../support/Database.js"
import { expectRangeExact, simulatorEnv, testSeller } from "../support/Engine.js"
import { eventually, ordersync, ordersyncDone } from "../support/Process.js"

const KILLS = 4

describe("one-shot backfill killed with SIGKILL", () => {
  it.scopedLive(`killed ${KILLS} times at random moments and run again: exact, at most one page fetched again per kill`, () =>
    Effect.gen(function*() {
      // ~6,800 orders in range: ~68 pages at 20 pages/s after the burst.
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("kill-me", 15_000, 51)] })
      const url = yield* freshDatabaseUrl("kill")
      const env = simulatorEnv(sim, { DATABASE_URL: url, ORDERSYNC_LEASE_TTL: "2" })
      yield* Effect.promise(async () => {
        const added = await ordersyncDone(
          ["tenants", "add", "--tenant", "kill-me", "--refresh-token", "Atzr|kill-me", "--region", "na", "--marketplace", "ATVPDKIKX0DER"],
          env
        )
        expect(added.code, added.output).toBe(0)
        expect(added.output).not.toContain("Atzr|kill-me")

        for (let kill = 0; kill < KILLS; kill++) {
          const served = sim.stats("kill-me").pagesServed["searchOrders"] ?? 0
          // The last victim holds a longer lease, so the final run surely finds it still live.
          const run = ordersync(["backfill", "run", "--tenant", "kill-me"], kill === KILLS - 1 ? { ...env, ORDERSYNC_LEASE_TTL: "10" } : env)
          const target = served + 3 + Math.floor(Math.random() * 10)
          await eventually(() => (sim.stats("kill-me").pagesServed["searchOrders"] ?? 0) >= target, {
            what: `page ${target} to be served`,
            timeoutMs: 60_000,
            intervalMs: 5
          })
          run.child.kill("SIGKILL")
          expect(await run.exited).toBe("SIGKILL")
        }
        const last = await ordersyncDone(["backfill", "run", "--tenant", "kill-me", "--json"], env)
        expect(last.code, last.output).toBe(0)
        // It waited for the dead holder's lease to expire, saying so, instead of failing.
        expect(last.output).toMatch(/waiting to see whether it is still alive/)
        const status = JSON.parse(last.stdout)
        expect(status.initialBackfillStatus).toBe("success")
      })
      const stats = sim.stats("kill-me")
      expect(stats.pageRefetches).toBeLessThanOrEqual(KILLS)
      yield* expectRangeExact(sim, "kill-me").pipe(onDatabase(url))
    }))

  it.scopedLive("Ctrl-C pauses the run after committing; the same command resumes it; a second run meanwhile is refused", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("interrupt-me", 15_000, 52, { faults: { slowResponseMs: 100 } })] })
      const url = yield* freshDatabaseUrl("sigint")
      const env = simulatorEnv(sim, { DATABASE_URL: url, ORDERSYNC_LEASE_TTL: "2" })
      yield* Effect.promise(async () => {
        const added = await ordersyncDone(
          ["tenants", "add", "--tenant", "interrupt-me", "--refresh-token", "Atzr|interrupt-me", "--region", "na", "--marketplace", "ATVPDKIKX0DER"],
          env
        )
        expect(added.code, added.output).toBe(0)
        const run = ordersync(["backfill", "run", "--tenant", "interrupt-me", "--json"], env)
        await eventually(() => (sim.stats("interrupt-me").pagesServed["searchOrders"] ?? 0) >= 5, { timeoutMs: 60_000 })

        // The live run renews its lease: a second run waits one TTL to be sure, then names the holder.
        const second = await ordersyncDone(["backfill", "run", "--tenant", "interrupt-me"], env)
        expect(second.code).toBe(1)
        expect(second.output).toMatch(/tenant "interrupt-me" is being synced by .+:\d+:/)

        run.child.kill("SIGINT")
        expect(await run.exited).toBe(130)
        expect(run.output()).toMatch(/paused/)
        // --json: one document on stdout even when paused, the status as the pause left it.
        const printed = JSON.parse(run.stdout())
        expect([printed.initialBackfillStatus, printed.leaseHolder]).toEqual(["paused", null])
        const paused = JSON.parse((await ordersyncDone(["backfill", "status", "--tenant", "interrupt-me", "--json"], env)).stdout)
        expect(paused.initialBackfillStatus).toBe("paused")
        expect(paused.leaseHolder).toBeNull()

        sim.setFaults("interrupt-me", {})
        const resumed = await ordersyncDone(["backfill", "run", "--tenant", "interrupt-me", "--json"], env)
        expect(resumed.code, resumed.output).toBe(0)
        expect(resumed.output).toMatch(/resuming/)
        expect(JSON.parse(resumed.stdout).initialBackfillStatus).toBe("success")
      })
      expect(sim.stats("interrupt-me").pageRefetches).toBeLessThanOrEqual(1)
    }))
})
