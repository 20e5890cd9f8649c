import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { simulatorEnv, testSeller } from "../support/Engine.js"
import { eventually, ordersync, ordersyncDone } from "../support/Process.js"

const postmasterPid = async (dataDir: string) =>
  Number((await fs.readFile(path.join(dataDir, "pg", "postmaster.pid"), "utf8")).split("\n")[0])

const alive = (pid: number) => {
  if (!(pid > 0)) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe("embedded PostgreSQL", () => {
  it.scopedLive("survives SIGKILL of its holder (orphaned server) and of the server itself (stale postmaster.pid)", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: 3600,
        sellers: [testSeller("durable", 6000, 61, { faults: { slowResponseMs: 150 } })]
      })
      // An unusual place: a private (0700) folder, as under /root, several levels up from the data directory.
      const privateRoot = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "ordersync private ")))
      yield* Effect.addFinalizer(() => Effect.promise(() => fs.rm(privateRoot, { recursive: true, force: true })))
      yield* Effect.promise(() => fs.chmod(privateRoot, 0o700))
      const workdir = path.join(privateRoot, "some project")
      yield* Effect.promise(() => fs.mkdir(workdir, { recursive: true }))
      const dataDir = path.join(workdir, ".ordersync")
      const env = simulatorEnv(sim, { ORDERSYNC_LEASE_TTL: "2" })
      const status = async () => {
        const result = await ordersyncDone(["backfill", "status", "--tenant", "durable", "--json"], env, workdir)
        expect(result.code, result.output).toBe(0)
        return { ...JSON.parse(result.stdout), output: result.output }
      }
      const killMidway = async () => {
        const served = sim.stats("durable").pagesServed["searchOrders"] ?? 0
        const run = ordersync(["backfill", "run", "--tenant", "durable"], env, workdir)
        await eventually(() => (sim.stats("durable").pagesServed["searchOrders"] ?? 0) >= served + 5, { timeoutMs: 60_000 })
        run.child.kill("SIGKILL")
        await run.exited
      }
      yield* Effect.addFinalizer(() => Effect.promise(async () => {
        const pid = await postmasterPid(dataDir).catch(() => 0)
        if (pid > 0 && alive(pid)) process.kill(pid, "SIGKILL")
      }))

      yield* Effect.promise(async () => {
        // Zero setup: the data directory is created under the working directory.
        const added = await ordersyncDone(
          ["tenants", "add", "--tenant", "durable", "--refresh-token", "Atzr|durable", "--region", "na", "--marketplace", "ATVPDKIKX0DER"],
          env,
          workdir
        )
        expect(added.code, added.output).toBe(0)
        expect((await fs.stat(path.join(dataDir, "pg", "PG_VERSION"))).isFile()).toBe(true)

        // 1. The holder is killed: its server is left running, and the next command reuses it.
        await killMidway()
        const orphan = await postmasterPid(dataDir)
        expect(alive(orphan)).toBe(true)
        const first = await status()
        expect(first.output).toMatch(/reusing the embedded PostgreSQL/)
        expect(first.ordersCount).toBeGreaterThan(0)
        expect(first.initialBackfillStatus).toBe("in_progress")

        // 2. Holder and server both killed: a stale postmaster.pid, and PostgreSQL recovers from its WAL.
        await killMidway()
        const server = await postmasterPid(dataDir)
        process.kill(server, "SIGKILL")
        await eventually(() => !alive(server), { what: "the server to die" })
        const second = await status()
        expect(second.ordersCount).toBeGreaterThanOrEqual(first.ordersCount)

        // The data is intact: the run resumes and completes with every order of the range, once.
        sim.setFaults("durable", {})
        const done = await ordersyncDone(["backfill", "run", "--tenant", "durable", "--json"], env, workdir)
        expect(done.code, done.output).toBe(0)
        const final = JSON.parse(done.stdout)
        expect(final.initialBackfillStatus).toBe("success")
        const truth = sim.groundTruth("durable", { createdAfter: new Date(final.progress.rangeStart), createdBefore: new Date(final.progress.rangeEnd) })
        expect(final.ordersCount).toBe(truth.length)
        // And the last command stopped the server it used.
        await eventually(async () => !alive(await postmasterPid(dataDir).catch(() => 0)) || undefined, { what: "the server to stop" })
      })
    }))
})
