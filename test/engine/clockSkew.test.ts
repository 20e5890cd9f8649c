import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Logger, Option, Schedule } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { type SimulatorHandle, scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, expectExactlyAsOfEither, storedOrders, testSeller } from "../support/Engine.js"

const FACTOR = 3600

/** Log lines that report the host's clock skew, collected from the engine's logger. */
const skewReports = (lines: Array<string>) =>
  Logger.add(Logger.make(({ message }) => {
    const text = Array.isArray(message) ? message.join(" ") : String(message)
    if (/clock is .* Amazon's/.test(text)) lines.push(text)
  }))

const requestsAnswered = (sim: SimulatorHandle, sellerId: string, status: number) =>
  Object.values(sim.stats(sellerId).requests).reduce((sum, byStatus) => sum + (byStatus[String(status)] ?? 0), 0)

/** Waits (host time) until every change the seller's config plans has happened and is listable. */
const settle = (sim: SimulatorHandle, offsetSeconds: number) => {
  const anchor = new Date(sim.sellers()[0]!.anchorTime).getTime() - offsetSeconds * 1000
  return Clock.currentTimeMillis.pipe(Effect.repeat({ until: (now) => now > anchor + 5_000, schedule: Schedule.spaced("100 millis") }))
}

const backfillThenDelta = (sim: SimulatorHandle, tenantId: string, offsetSeconds: number, exactAfterBackfill = true) =>
  Effect.gen(function*() {
    const backfill = yield* Backfill
    const status = yield* backfill.runInitialBackfill(tenantId, 365)
    expect(status.initialBackfillStatus).toBe("success")
    const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run(tenantId))
    // Orders that changed while the backfill ran may be stored in either version: bringing them forward is the delta
    // sync's job. (Reports describe the orders as of their making: the changes since are the delta sync's too.)
    if (exactAfterBackfill) {
      const range = { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }
      expectExactlyAsOfEither(
        yield* storedOrders(tenantId),
        sim.groundTruth(tenantId, { ...range, asOf: run.rangeEnd }),
        sim.groundTruth(tenantId, range)
      )
    }
    yield* settle(sim, offsetSeconds)
    const delta = yield* backfill.runOrdersDeltaSync(tenantId)
    expect(delta.orders).toBeGreaterThan(0)
    const stored = yield* storedOrders(tenantId)
    const storedIds = new Set(stored.map((o) => o.externalOrderId))
    expectExactly(stored, sim.groundTruth(tenantId).filter((o) => new Date(o.createdTime) >= run.rangeStart || storedIds.has(o.orderId)))
    const final = yield* backfill.getBackfillStatus(tenantId)
    expect([final.initialBackfillStatus, final.lastError]).toEqual(["success", null])
  })

const moving = (sellerId: string, seed: number) =>
  testSeller(sellerId, 2500, seed, {
    changes: { share: 0.03, horizonSeconds: 2 * FACTOR },
    late: { share: 0.02, horizonSeconds: 2 * FACTOR, maxDelaySeconds: 1 * FACTOR }
  })

describe("a host clock skewed from Amazon's", () => {
  for (const ordersApi of ["2026-01-01", "v0"] as const) {
    for (const offset of [-30, 30]) {
      it.scopedLive(`Amazon ${Math.abs(offset)} s ${offset < 0 ? "behind" : "ahead of"} the host, Orders API ${ordersApi}: backfill and delta exact, no 400, the skew logged once`, () =>
        Effect.gen(function*() {
          const sim = yield* simulator({ timeFactor: FACTOR, clockOffsetSeconds: offset, sellers: [moving("skewed", 41)] })
          const lines: Array<string> = []
          yield* Effect.gen(function*() {
            yield* addSellers(sim)
            yield* backfillThenDelta(sim, "skewed", offset)
          }).pipe(Effect.provide(engineFor(sim, { ORDERS_API: ordersApi })), Effect.provide(skewReports(lines)))
          expect(requestsAnswered(sim, "skewed", 400)).toBe(0)
          expect(lines.length).toBe(1)
          expect(lines[0]).toMatch(new RegExp(`clock is (29|30|31)\\.\\d s ${offset < 0 ? "ahead of" : "behind"} Amazon's`))
        }))
    }
  }

  it.scopedLive("Amazon 30 s behind the host, through order reports: backfill and delta exact, no 400", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, clockOffsetSeconds: -30, sellers: [moving("skewed-reports", 44)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        yield* backfillThenDelta(sim, "skewed-reports", -30, false)
        expect((yield* (yield* Backfill).getBackfillStatus("skewed-reports")).progress.historySource).toBe("reports")
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_HISTORY_SOURCE: "reports" })))
      expect(requestsAnswered(sim, "skewed-reports", 400)).toBe(0)
    }))

  it.scopedLive("Amazon's clock steps back 30 s mid-life: the refused bound is moved earlier once, and both tenants end exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [moving("first", 42), testSeller("second", 1500, 43)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        expect((yield* backfill.runInitialBackfill("first", 365)).initialBackfillStatus).toBe("success")
        // What this process knows of Amazon's clock is now 30 s wrong: the next bound is refused, then corrected.
        sim.setClockOffset(-30)
        const status = yield* backfill.runInitialBackfill("second", 365)
        expect([status.initialBackfillStatus, status.lastError]).toEqual(["success", null])
        expect(requestsAnswered(sim, "second", 400)).toBe(1)
        const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run("second"))
        expectExactly(yield* storedOrders("second"), sim.groundTruth("second", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }))
        // The delta sync of the first tenant runs on the corrected estimate: no refusal.
        yield* backfill.runOrdersDeltaSync("first")
        expect(requestsAnswered(sim, "first", 400)).toBe(0)
        expect((yield* backfill.getBackfillStatus("first")).lastError).toBeNull()
      }).pipe(Effect.provide(engineFor(sim)))
    }))
})
