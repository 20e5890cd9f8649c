import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Schedule } from "effect"
import * as Turns from "../../src/Services/History/Turns.js"
import { LAG_TARGET_MS, nextTurns } from "../../src/Services/History/Turns.js"

describe("the number of turns follows the event-loop delay", () => {
  it("a late loop takes a quarter of the turns away, down to two", () => {
    expect(nextTurns(64, LAG_TARGET_MS + 1, 100, 64)).toBe(48)
    expect(nextTurns(3, 500, 100, 64)).toBe(2)
    expect(nextTurns(2, 500, 100, 64)).toBe(2)
    // With ORDERSYNC_FETCHING_TENANTS=1 there is one turn, late or not.
    expect(nextTurns(1, 500, 100, 1)).toBe(1)
  })

  it("an on-time loop with tenants waiting gets more turns, up to the most allowed", () => {
    expect(nextTurns(8, 0, 5, 64)).toBe(9)
    expect(nextTurns(32, 0, 5, 64)).toBe(36)
    expect(nextTurns(62, 0, 5, 64)).toBe(64)
    expect(nextTurns(64, 0, 5, 64)).toBe(64)
  })

  it("nothing changes without tenants waiting, or with a delay between half the target and the target", () => {
    expect(nextTurns(8, 0, 0, 64)).toBe(8)
    expect(nextTurns(8, LAG_TARGET_MS * 0.75, 5, 64)).toBe(8)
  })
})

describe("the turns of a process", () => {
  it.scopedLive("a late event loop takes turns away; an on-time one gives them back while tenants wait", () =>
    Effect.gen(function*() {
      const turns = yield* Turns.make(64)
      expect(yield* turns.size).toBe(64)
      // Half a second of synchronous work: the next reading is late by about that much. (Not right after a reading:
      // resetting the histogram forgets its last tick, so a delay that starts before the next tick is not seen.)
      yield* Effect.sleep(Duration.millis(150))
      yield* Effect.sync(() => {
        const end = Date.now() + 500
        while (Date.now() < end) { /* busy */ }
      })
      yield* Effect.sleep(Duration.millis(1200))
      const shrunk = yield* turns.size
      expect(shrunk).toBeLessThan(64)
      // Every turn taken and tenants waiting for more: the turns grow back, one or more per half second.
      yield* Effect.forEach(Array.from({ length: 80 }), () => Effect.fork(turns.take))
      yield* Effect.repeat(turns.size, { until: (n) => n > shrunk, schedule: Schedule.spaced(Duration.millis(100)) }).pipe(
        Effect.timeout(Duration.seconds(10))
      )
      expect(yield* turns.size).toBeGreaterThan(shrunk)
      expect((yield* turns.stats).waiting).toBeLessThan(80 - shrunk)
    }), 20_000)
})
