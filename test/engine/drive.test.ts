import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, TestClock } from "effect"
import * as Permits from "../../src/Services/Permits.js"
import * as Alarms from "../../src/Services/History/Alarms.js"
import { drive, type Next } from "../../src/Services/History/Drive.js"

const done: Next<string> = { _tag: "Done" }
const work = (turn: boolean, piece: () => Effect.Effect<Next<string>, string>): Next<string> => ({ _tag: "Work", turn, work: piece })
const wait = (millis: number, then: Next<string>): Next<string> => ({ _tag: "Wait", millis, then })

describe("alarms", () => {
  it.scoped("fire in the order of their times, by the Clock, once; a cancelled one never fires", () =>
    Effect.gen(function*() {
      const alarms = yield* Alarms.make
      const fired: Array<string> = []
      alarms.unsafeAfter(300, () => fired.push("c"))
      alarms.unsafeAfter(100, () => fired.push("a"))
      const cancelB = alarms.unsafeAfter(200, () => fired.push("b"))
      alarms.unsafeAfter(100, () => fired.push("a2"))
      expect(yield* alarms.pending).toBe(4)
      yield* TestClock.adjust(Duration.millis(150))
      expect(fired).toEqual(["a", "a2"])
      expect(cancelB()).toBe(true)
      yield* TestClock.adjust(Duration.millis(200))
      expect(fired).toEqual(["a", "a2", "c"])
      expect(yield* alarms.pending).toBe(0)
      // An alarm set from a firing one (a tenant's next wait) is served by the same heap.
      const cancelLater = alarms.unsafeAfter(50, () => {
        fired.push("d")
        alarms.unsafeAfter(50, () => fired.push("e"))
      })
      yield* TestClock.adjust(Duration.millis(120))
      expect(fired).toEqual(["a", "a2", "c", "d", "e"])
      expect(cancelLater()).toBe(false)
    }))

  it.effect("an earlier alarm set while the heap sleeps for a later one fires at its own time", () =>
    Effect.scoped(Effect.gen(function*() {
      const alarms = yield* Alarms.make
      const fired: Array<number> = []
      alarms.unsafeAfter(10_000, () => fired.push(10_000))
      yield* TestClock.adjust(Duration.millis(100))
      alarms.unsafeAfter(100, () => fired.push(100))
      yield* TestClock.adjust(Duration.millis(150))
      expect(fired).toEqual([100])
      yield* TestClock.adjust(Duration.seconds(10))
      expect(fired).toEqual([100, 10_000])
    })))
})

describe("a backfill's pieces, driven as data", () => {
  it.scoped("pieces run one after another, each holding a turn only while it runs; waits are alarms, not fibers", () =>
    Effect.gen(function*() {
      const turns = yield* Permits.make(1)
      const alarms = yield* Alarms.make
      const log: Array<string> = []
      const piece = (name: string, next: Next<string>) =>
        work(true, () =>
          Effect.gen(function*() {
            log.push(name)
            // The turn is this piece's while it runs.
            expect((yield* turns.stats).free).toBe(0)
            return next
          }))
      const first = piece("one", wait(60_000, piece("two", wait(60_000, piece("three", done)))))
      const run = yield* Effect.fork(drive(first, (w) => w, turns, alarms))
      yield* TestClock.adjust(Duration.millis(1))
      expect(log).toEqual(["one"])
      // Waiting a minute for its quota: an alarm, and the turn given back.
      expect(yield* alarms.pending).toBe(1)
      expect(yield* turns.stats).toEqual({ free: 1, waiting: 0 })
      yield* TestClock.adjust(Duration.seconds(60))
      expect(log).toEqual(["one", "two"])
      yield* TestClock.adjust(Duration.seconds(60))
      expect(yield* Fiber.join(run)).toBeUndefined()
      expect(log).toEqual(["one", "two", "three"])
      expect(yield* turns.stats).toEqual({ free: 1, waiting: 0 })
    }))

  it.scoped("a piece waits in line for a turn; another's turn ends, it runs", () =>
    Effect.gen(function*() {
      const turns = yield* Permits.make(1)
      const alarms = yield* Alarms.make
      const gate = yield* Deferred.make<void>()
      const log: Array<string> = []
      const slow = yield* Effect.fork(drive(work(true, () => Effect.as(Effect.zipRight(Effect.sync(() => log.push("slow")), Deferred.await(gate)), done)), (w) => w, turns, alarms))
      yield* TestClock.adjust(Duration.millis(1))
      const quick = yield* Effect.fork(drive(work(true, () => Effect.as(Effect.sync(() => log.push("quick")), done)), (w) => w, turns, alarms))
      yield* TestClock.adjust(Duration.millis(1))
      expect(log).toEqual(["slow"])
      expect((yield* turns.stats).waiting).toBe(1)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(slow)
      yield* Fiber.join(quick)
      expect(log).toEqual(["slow", "quick"])
      expect(yield* turns.stats).toEqual({ free: 1, waiting: 0 })
    }))

  it.scoped("a failing piece fails the run with its error and gives its turn back; nothing after it runs", () =>
    Effect.gen(function*() {
      const turns = yield* Permits.make(1)
      const alarms = yield* Alarms.make
      let after = false
      const first = work(true, () => Effect.fail("page refused"))
      const exit = yield* Effect.exit(drive(first, (w) => Effect.zipLeft(w, Effect.sync(() => (after = true))), turns, alarms))
      expect(exit).toStrictEqual(Exit.fail("page refused"))
      expect(after).toBe(false)
      expect(yield* turns.stats).toEqual({ free: 1, waiting: 0 })
    }))

  it.scoped("interrupted while it waits: the alarm is cancelled and the next piece never runs", () =>
    Effect.gen(function*() {
      const turns = yield* Permits.make(1)
      const alarms = yield* Alarms.make
      let ran = false
      const run = yield* Effect.fork(drive(wait(60_000, work(true, () => Effect.sync(() => (ran = true, done)))), (w) => w, turns, alarms))
      yield* TestClock.adjust(Duration.millis(1))
      expect(yield* alarms.pending).toBe(1)
      yield* Fiber.interrupt(run)
      expect(yield* alarms.pending).toBe(0)
      yield* TestClock.adjust(Duration.seconds(120))
      expect(ran).toBe(false)
    }))

  it.scoped("interrupted while a piece runs: the interruption waits for the piece's finalizers, and its turn comes back", () =>
    Effect.gen(function*() {
      const turns = yield* Permits.make(1)
      const alarms = yield* Alarms.make
      const started = yield* Deferred.make<void>()
      const log: Array<string> = []
      const piece = work(true, () =>
        Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(
          // The page being committed when the interruption comes.
          Effect.onInterrupt(() => Effect.zipRight(Effect.sleep(Duration.millis(50)), Effect.sync(() => log.push("committed"))))
        ))
      const run = yield* Effect.fork(drive(piece, (w) => w, turns, alarms))
      yield* Deferred.await(started)
      const interrupting = yield* Effect.fork(Fiber.interrupt(run))
      yield* TestClock.adjust(Duration.millis(10))
      expect(log).toEqual([])
      yield* TestClock.adjust(Duration.millis(50))
      yield* Fiber.join(interrupting)
      log.push("interrupted")
      expect(log).toEqual(["committed", "interrupted"])
      expect(yield* turns.stats).toEqual({ free: 1, waiting: 0 })
    }))
})
