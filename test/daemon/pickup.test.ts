import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { Daemon } from "../../src/Services/Daemon.js"
import { engineOver } from "../../src/Services/Engine.js"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import { scoped as simulator, type SimulatorHandle } from "../../src/Simulator/index.js"
import { TestSql } from "../support/Database.js"
import { expectExactly, simulatorEnv, storedOrders, testSeller } from "../support/Engine.js"
import { eventually } from "../support/Process.js"

const daemonFor = (sim: SimulatorHandle, extra: Record<string, string> = {}) =>
  Daemon.Default.pipe(
    Layer.provideMerge(engineOver(TestSql)),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(
      simulatorEnv(sim, { ORDERSYNC_POLL_SECONDS: "0.2", ORDERSYNC_DELTA_INTERVAL_SECONDS: "1", ...extra })
    )))))
  )

const add = (sim: SimulatorHandle, tenantId: string) =>
  Effect.flatMap(Tenants, (tenants) =>
    tenants.add({
      tenantId,
      region: "na",
      marketplaceIds: ["ATVPDKIKX0DER"],
      sellingPartnerId: null,
      refreshToken: Redacted.make(sim.sellers().find((s) => s.sellerId === tenantId)!.refreshToken)
    }))

describe("the daemon in one process", () => {
  it.scopedLive("picks up tenants added while it runs, parks a revoked one, and drops a removed one", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: 3600,
        sellers: [testSeller("early", 2000, 81), testSeller("late", 2000, 82), testSeller("revoked", 500, 83)]
      })
      sim.revokeRefreshToken("Atzr|revoked")
      yield* Effect.gen(function*() {
        const daemon = yield* Daemon
        const backfill = yield* Backfill
        const status = (tenantId: string) => Effect.runPromise(backfill.getBackfillStatus(tenantId))
        yield* add(sim, "early")
        yield* add(sim, "revoked")
        yield* Effect.promise(() =>
          eventually(async () => (await status("early")).initialBackfillStatus === "success" || undefined, { what: "early to finish" })
        )
        // Added while the daemon runs: picked up within a poll or two, no restart.
        yield* add(sim, "late")
        yield* Effect.promise(() =>
          eventually(async () => (await status("late")).initialBackfillStatus === "success" || undefined, { what: "late to finish" })
        )
        const parked = yield* backfill.getBackfillStatus("revoked")
        expect(parked.initialBackfillStatus).toBe("failed")
        expect(parked.lastError).toMatch(/invalid_grant/)
        for (const tenantId of ["early", "late"]) {
          const run = yield* backfill.getBackfillStatus(tenantId)
          expectExactly(
            yield* storedOrders(tenantId),
            sim.groundTruth(tenantId, { createdAfter: new Date(run.progress.rangeStart!), createdBefore: new Date(run.progress.rangeEnd!) })
          )
        }
        // Delta syncs follow on their interval (the backfill itself set lastSyncAt to its end).
        const done = (yield* backfill.getBackfillStatus("early")).initialBackfillDoneAt!
        yield* Effect.promise(() =>
          eventually(async () => ((await status("early")).lastSyncAt ?? "") > done || undefined, { what: "a delta sync of early" })
        )
        // Removed while held: its fiber stops and it is no longer held.
        yield* Effect.flatMap(Tenants, (tenants) => tenants.remove("late"))
        yield* Effect.promise(() =>
          eventually(async () => !(await Effect.runPromise(daemon.holding)).includes("late") || undefined, { what: "late to be dropped" })
        )
      }).pipe(Effect.provide(daemonFor(sim)))
    }))

  it.scopedLive("with the default history source (auto): a small seller through the Orders API, a large one through reports, both exact, then delta syncs", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("few", 150, 84), testSeller("many", 40_000, 85)] })
      yield* Effect.gen(function*() {
        const backfill = yield* Backfill
        const status = (tenantId: string) => Effect.runPromise(backfill.getBackfillStatus(tenantId))
        yield* add(sim, "few")
        yield* add(sim, "many")
        for (const [tenantId, path] of [["few", "orders"], ["many", "reports"]] as const) {
          yield* Effect.promise(() =>
            eventually(async () => (await status(tenantId)).initialBackfillStatus === "success" || undefined, { what: `${tenantId} to finish` })
          )
          const run = yield* backfill.getBackfillStatus(tenantId)
          expect(run.progress.historySource).toBe(path)
          expectExactly(
            yield* storedOrders(tenantId),
            sim.groundTruth(tenantId, { createdAfter: new Date(run.progress.rangeStart!), createdBefore: new Date(run.progress.rangeEnd!) })
          )
          yield* Effect.promise(() =>
            eventually(async () => ((await status(tenantId)).lastSyncAt ?? "") > run.initialBackfillDoneAt! || undefined, { what: `a delta sync of ${tenantId}` })
          )
        }
      }).pipe(Effect.provide(daemonFor(sim, { ORDERSYNC_HISTORY_SOURCE: "auto" })))
    }))
})
