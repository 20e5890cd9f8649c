import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import * as TokenBucket from "../../src/Services/SpApi/TokenBucket.js"

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
