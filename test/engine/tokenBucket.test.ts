import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import * as TokenBucket from "../../src/Services/SpApi/TokenBucket.js"
import { makeTokenBucket } from "../../src/Simulator/UsagePlans.js"

// Takes tokens in a loop and records when each was granted (in TestClock milliseconds).
const grants = (bucket: TokenBucket.TokenBucket, count: number) =>
  Effect.gen(function*() {
    const times: Array<number> = []
    for (let i = 0; i < count; i++) {
      yield* bucket.take
      times.push(yield* TestClock.currentTimeMillis)
      if (i === 0) yield* bucket.answered
    }
    return times
  })

describe("token bucket", () => {
  it.effect("spends the full burst at once, then exactly the sustained rate", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ rate: 0.5, burst: 3 })
      const fiber = yield* Effect.fork(grants(bucket, 6))
      yield* TestClock.adjust("10 seconds")
      const times = yield* Fiber.join(fiber)
      expect(times).toEqual([0, 0, 0, 2000, 4000, 6000])
    }))

  it.effect("a 429 drains it, and the rate Amazon advertises replaces the default", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ rate: 1, burst: 5 })
      yield* bucket.take
      yield* bucket.answered
      yield* bucket.drain
      yield* bucket.setRate(4)
      const fiber = yield* Effect.fork(grants(bucket, 2))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toEqual([250, 500])
      expect((yield* bucket.plan).rate).toBe(4)
    }))

  it.effect("ready waits for a free token without taking it, so the take after it does not wait again", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ rate: 0.5, burst: 1 })
      yield* bucket.ready
      yield* bucket.take
      yield* bucket.answered
      const fiber = yield* Effect.fork(Effect.gen(function*() {
        yield* bucket.ready
        const readyAt = yield* TestClock.currentTimeMillis
        yield* bucket.ready
        yield* bucket.take
        return [readyAt, yield* TestClock.currentTimeMillis]
      }))
      yield* TestClock.adjust("5 seconds")
      expect(yield* Fiber.join(fiber)).toEqual([2000, 2000])
    }))

  it.effect("a 429 teaches the seller's burst: after a long wait it sends only what Amazon's bucket can hold", () =>
    Effect.gen(function*() {
      // Amazon's default plan believed (burst 20); the seller's bucket holds 2. Two requests pass, the third is throttled.
      const bucket = yield* TokenBucket.make({ rate: 0.1, burst: 20 })
      yield* bucket.take
      yield* bucket.answered
      yield* bucket.take
      yield* bucket.take
      yield* bucket.drain
      expect((yield* bucket.plan).burst).toBe(2)
      // Ten minutes later (60 intervals), the bucket holds the seller's 2, not 20: the third take waits an interval.
      yield* TestClock.adjust("10 minutes")
      const start = yield* TestClock.currentTimeMillis
      const fiber = yield* Effect.fork(grants(bucket, 3))
      yield* TestClock.adjust("20 seconds")
      expect((yield* Fiber.join(fiber)).map((t) => t - start)).toEqual([0, 0, 10_000])
    }))

  it.effect("after the 429 that teaches the burst, the next request goes when Amazon's bucket has refilled, not an interval later", () =>
    Effect.gen(function*() {
      // The simulator's bucket stands for Amazon's: burst 2, one token per 10 s. The client believes Amazon's default
      // burst of 20 and sends as fast as its own bucket allows, its third request 4 s after the first two.
      const amazon = makeTokenBucket({ rate: 0.1, burst: 2 }, 1)
      const bucket = yield* TokenBucket.make({ rate: 0.1, burst: 20 })
      const granted: Array<number> = []
      let throttled = 0
      const send = Effect.gen(function*() {
        for (;;) {
          yield* bucket.take
          const now = yield* TestClock.currentTimeMillis
          yield* bucket.answered
          if (amazon.tryTake(now)) return granted.push(now)
          throttled++
          yield* bucket.drain
        }
      })
      const fiber = yield* Effect.fork(Effect.gen(function*() {
        yield* send
        yield* send
        yield* Effect.sleep("4 seconds")
        for (let i = 0; i < 4; i++) yield* send
      }))
      yield* TestClock.adjust("2 minutes")
      yield* Fiber.join(fiber)
      // One 429 (the lesson), then Amazon's own pace from its first request: the third page at 10 s, not 4 + 10 s.
      expect(throttled).toBe(1)
      expect(granted.map((t) => Math.round(t / 100) * 100)).toEqual([0, 0, 10_000, 20_000, 30_000, 40_000])
      expect((yield* bucket.plan).burst).toBe(2)
    }))

  it.effect("a 429 with requests queued, or before any answer, leaves the burst alone", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ rate: 1, burst: 5 })
      yield* bucket.take
      yield* bucket.drain
      expect((yield* bucket.plan).burst).toBe(5)
      yield* bucket.answered
      const queued = yield* Effect.fork(Effect.all([bucket.take, bucket.take]))
      yield* Effect.yieldNow()
      expect(yield* bucket.tokens).toBeLessThan(0)
      yield* bucket.drain
      expect((yield* bucket.plan).burst).toBe(5)
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(queued)
    }))
})
