import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import * as Permits from "../../src/Services/Permits.js"

describe("permits", () => {
  it.effect("waiters are served in arrival order, one per release", () =>
    Effect.gen(function*() {
      const permits = yield* Permits.make(1)
      const order: Array<number> = []
      yield* permits.take
      const gates = yield* Effect.forEach([0, 1, 2], () => Deferred.make<void>())
      const fibers = yield* Effect.forEach([0, 1, 2], (i) =>
        Effect.fork(permits.withPermit(Effect.zipRight(Effect.sync(() => order.push(i)), Deferred.await(gates[i]!)))))
      yield* Effect.yieldNow()
      expect(yield* permits.stats).toEqual({ free: 0, waiting: 3 })
      yield* permits.release
      yield* Effect.yieldNow()
      // One release woke exactly one waiter, the first.
      expect(order).toEqual([0])
      expect((yield* permits.stats).waiting).toBe(2)
      for (const gate of gates) yield* Deferred.succeed(gate, undefined)
      yield* Effect.forEach(fibers, Fiber.join)
      expect(order).toEqual([0, 1, 2])
      expect(yield* permits.stats).toEqual({ free: 1, waiting: 0 })
    }))

  it.effect("an interrupted waiter gives up its place, and a permit handed to it is passed on", () =>
    Effect.gen(function*() {
      const permits = yield* Permits.make(1)
      yield* permits.take
      const first = yield* Effect.fork(permits.take)
      const second = yield* Effect.fork(permits.take)
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(first)
      expect((yield* permits.stats).waiting).toBe(1)
      yield* permits.release
      yield* Fiber.join(second)
      yield* permits.release
      expect(yield* permits.stats).toEqual({ free: 1, waiting: 0 })
      // Handed the permit by a release, then interrupted before it ran: the permit is not lost.
      yield* permits.take
      const third = yield* Effect.fork(permits.take)
      yield* Effect.yieldNow()
      yield* Effect.uninterruptible(Effect.zipRight(permits.release, Fiber.interrupt(third)))
      expect(yield* permits.stats).toEqual({ free: 1, waiting: 0 })
    }))
})

describe("permits resized", () => {
  it.effect("more permits wake waiters at once; fewer take effect as holders release", () =>
    Effect.gen(function*() {
      const permits = yield* Permits.make(1)
      yield* permits.take
      const waiters = yield* Effect.forEach([0, 1, 2], () => Effect.fork(permits.take))
      yield* Effect.yieldNow()
      yield* permits.resize(3)
      // Two more permits: the first two waiters go, the third still waits.
      yield* Fiber.join(waiters[0]!)
      yield* Fiber.join(waiters[1]!)
      expect(yield* permits.stats).toEqual({ free: 0, waiting: 1 })
      yield* permits.resize(1)
      // Three held, one allowed: two releases hand nothing on, the third hands its permit to the waiter.
      yield* permits.release
      yield* permits.release
      expect(yield* permits.stats).toEqual({ free: 0, waiting: 1 })
      yield* permits.release
      yield* Fiber.join(waiters[2]!)
      expect(yield* permits.stats).toEqual({ free: 0, waiting: 0 })
      yield* permits.release
      expect(yield* permits.stats).toEqual({ free: 1, waiting: 0 })
      expect(yield* permits.size).toBe(1)
    }))
})
