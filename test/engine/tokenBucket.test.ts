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
})
