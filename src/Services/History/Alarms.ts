import { Cause, Clock, Duration, Effect, Exit, Fiber, FiberId, Runtime } from "effect"

/** A callback due at a time (`fire` is cleared once it fired or was cancelled). */
interface Alarm {
  readonly at: number
  readonly order: number
  fire: (() => void) | undefined
}

/**
 * Callbacks due later, for the backfills that wait for their sellers' quota (see History/Drive): ten thousand tenants
 * waiting minutes each are ten thousand small records in one heap, served by one sleeping fiber, not ten thousand
 * fibers with their stacks and timers.
 */
export interface Alarms {
  /** Calls `fire` in `millis` (by the Clock), outside any fiber. Answers a cancel: false if it already fired. */
  readonly unsafeAfter: (millis: number, fire: () => void) => () => boolean
  /** Alarms not yet fired nor cancelled. */
  readonly pending: Effect.Effect<number>
}

const earlier = (a: Alarm, b: Alarm) => a.at < b.at || (a.at === b.at && a.order < b.order)

/** A binary min-heap by time, then by order of arrival. */
const push = (heap: Array<Alarm>, alarm: Alarm) => {
  heap.push(alarm)
  let i = heap.length - 1
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (!earlier(heap[i]!, heap[parent]!)) break
    ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
    i = parent
  }
}

const pop = (heap: Array<Alarm>): Alarm | undefined => {
  const top = heap[0]
  const last = heap.pop()
  if (heap.length > 0 && last !== undefined) {
    heap[0] = last
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let least = i
      if (left < heap.length && earlier(heap[left]!, heap[least]!)) least = left
      if (right < heap.length && earlier(heap[right]!, heap[least]!)) least = right
      if (least === i) break
      ;[heap[i], heap[least]] = [heap[least]!, heap[i]!]
      i = least
    }
  }
  return top
}

/** The alarms, for as long as the scope lasts: on its close, those not yet due are dropped. */
export const make = Effect.gen(function*() {
  const clock = yield* Effect.clock
  const runtime = yield* Effect.runtime<never>()
  const heap: Array<Alarm> = []
  let order = 0
  let closed = false
  /** The one fiber sleeping until the earliest alarm, and when that is. */
  let sleeper: { readonly at: number; readonly fiber: Fiber.RuntimeFiber<number> } | undefined

  const fireDue = (now: number) => {
    while (heap.length > 0 && heap[0]!.at <= now) {
      const alarm = pop(heap)!
      const fire = alarm.fire
      alarm.fire = undefined
      try {
        fire?.()
      } catch (defect) {
        // A callback's own failure is its owner's to report (see Drive); the other alarms still fire.
        Runtime.runFork(runtime)(Effect.logError("an alarm's callback failed", Cause.die(defect)))
      }
    }
    arm()
  }

  const arm = () => {
    while (heap.length > 0 && heap[0]!.fire === undefined) pop(heap)
    if (closed || heap.length === 0) return
    const at = heap[0]!.at
    if (sleeper !== undefined) {
      if (sleeper.at <= at) return
      sleeper.fiber.unsafeInterruptAsFork(FiberId.none)
    }
    const wait = Math.max(0, at - clock.unsafeCurrentTimeMillis())
    const fiber = Runtime.runFork(runtime)(Effect.zipRight(Effect.sleep(Duration.millis(wait)), Clock.currentTimeMillis))
    const mine = { at, fiber }
    sleeper = mine
    fiber.addObserver((exit) => {
      if (sleeper !== mine) return
      sleeper = undefined
      if (Exit.isSuccess(exit)) fireDue(exit.value)
    })
  }

  const unsafeAfter = (millis: number, fire: () => void) => {
    const alarm: Alarm = { at: clock.unsafeCurrentTimeMillis() + Math.max(0, millis), order: order++, fire }
    push(heap, alarm)
    arm()
    return () => {
      if (alarm.fire === undefined) return false
      alarm.fire = undefined
      return true
    }
  }

  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      closed = true
      heap.length = 0
      const last = sleeper
      sleeper = undefined
      return last === undefined ? Effect.void : Fiber.interrupt(last.fiber)
    })
  )

  return {
    unsafeAfter,
    pending: Effect.sync(() => heap.filter((alarm) => alarm.fire !== undefined).length)
  } satisfies Alarms
})
