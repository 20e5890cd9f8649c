import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import * as Embedded from "../../src/Services/Store/EmbeddedPostgres.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { onDatabase } from "../support/Database.js"
import { expectExactly, simulatorEnv, testSeller } from "../support/Engine.js"
import { eventually, ordersync, ordersyncDone } from "../support/Process.js"
import { addTenantArgs, report, storedRun } from "./support.js"

const DOWN_MS = 10_000

/** A PostgreSQL of this scenario's own, in a temp folder, that the test stops and starts again. */
const dedicatedServer = Effect.acquireRelease(
  Effect.promise(async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "ordersync-r2-"))
    await fs.chmod(dataDir, 0o755)
    const server = await Effect.runPromise(Embedded.acquire({ dataDir, port: 0, log: () => undefined }))
    const url = `postgres://${server.user}:${encodeURIComponent(Redacted.value(server.password))}@${server.host}:${server.port}/postgres`
    return { dataDir, port: server.port, url }
  }),
  ({ dataDir }) =>
    Effect.promise(async () => {
      await Effect.runPromise(Embedded.stop(dataDir))
      await fs.rm(dataDir, { recursive: true, force: true })
    })
)

describe("R2: database restart", () => {
  it.scopedLive(`PostgreSQL stopped for ${DOWN_MS / 1000} s mid-backfill and started again: the run reconnects, finishes, exact`, () =>
    Effect.gen(function*() {
      const db = yield* dedicatedServer
      // ~15,000 orders in range: ~150 pages at ~6.7 pages/s, so the run is still going when the database comes back.
      const sim = yield* simulator({ timeFactor: 1200, sellers: [testSeller("r2", 30_000, 62)] })
      const env = simulatorEnv(sim, { DATABASE_URL: db.url, ORDERSYNC_LEASE_TTL: "5" })
      const outcome = yield* Effect.promise(async () => {
        const added = await ordersyncDone(addTenantArgs("r2"), env)
        expect(added.code, added.output).toBe(0)
        const run = ordersync(["backfill", "run", "--tenant", "r2", "--json"], env)
        await eventually(() => (sim.stats("r2").pagesServed["searchOrders"] ?? 0) >= 40, { what: "page 40", timeoutMs: 60_000, intervalMs: 10 })
        const stoppedAt = Date.now()
        const pagesAtStop = sim.stats("r2").pagesServed["searchOrders"] ?? 0
        await Effect.runPromise(Embedded.stop(db.dataDir))
        await new Promise((resolve) => setTimeout(resolve, DOWN_MS))
        await Effect.runPromise(Embedded.acquire({ dataDir: db.dataDir, port: db.port, log: () => undefined }))
        const pagesWhileDown = (sim.stats("r2").pagesServed["searchOrders"] ?? 0) - pagesAtStop
        const code = await Promise.race([run.exited, new Promise<string>((resolve) => setTimeout(() => resolve("still running"), 180_000))])
        if (code === "still running") run.child.kill("SIGKILL")
        return { code, output: run.output(), stdout: run.stdout(), secondsAfterRestart: (Date.now() - stoppedAt - DOWN_MS) / 1000, pagesAtStop, pagesWhileDown }
      })
      const stats = sim.stats("r2")
      report("R2", {
        exit: outcome.code,
        pagesAtStop: outcome.pagesAtStop,
        pagesServedWhileDown: outcome.pagesWhileDown,
        secondsFromRestartToExit: outcome.secondsAfterRestart,
        pagesServed: stats.pagesServed["searchOrders"],
        pageRefetches: stats.pageRefetches
      })
      if (outcome.code !== 0) console.log(`[R2] the run's output (tail):\n${outcome.output.split("\n").slice(-25).join("\n")}`)
      expect(outcome.code, outcome.output.split("\n").slice(-25).join("\n")).toBe(0)
      expect(JSON.parse(outcome.stdout).initialBackfillStatus).toBe("success")
      const { run, stored } = yield* storedRun("r2").pipe(onDatabase(db.url))
      expectExactly(stored, sim.groundTruth("r2", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }))
    }))
})
