import { Deferred, Effect, Exit, FiberId } from "effect"

/**
 * A counting limit for many waiters: they queue in arrival order, and a release hands its permit straight to the
 * first of them.
 *
 * Effect's own Semaphore wakes every waiter on each release; all but one find the permit gone and wait again, one
 * frame deeper in their fiber's stack. With a thousand tenants waiting for one of 32 page slots that cost a thousand
 * wake-ups per page and grew each waiting fiber by a frame per page anyone stored: measured in B3, 340 frames and
 * 260 KB per tenant, and a 1.1 GB peak. Here a release wakes exactly one fiber and a wait costs one frame.
 */
export interface Permits {
  /** Waits for a permit; the caller must `release` it (see `withPermit`). */
  readonly take: Effect.Effect<void>
  readonly release: Effect.Effect<void>
  /** Runs `self` holding one permit, given back however it ends. */
  readonly withPermit: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Permits free now, and fibers waiting for one. */
  readonly stats: Effect.Effect<{ readonly free: number; readonly waiting: number }>
  /**
   * Changes how many permits there are: more wakes waiters at once; fewer takes effect as holders release (a
   * release then hands nothing on until fewer than `count` are held).
   */
  readonly resize: (count: number) => Effect.Effect<void>
  /** How many permits there are now. */
  readonly size: Effect.Effect<number>
  /**
   * Outside a fiber (see History/Drive): calls `granted` once a permit is this caller's, at once if one is free.
   * Answers a cancel, which gives up the place in line and returns false if the permit was already granted.
   */
  readonly unsafeTake: (granted: () => void) => () => boolean
  /** Outside a fiber: gives a permit back (handing it to the first waiter). */
  readonly unsafeRelease: () => void
}

/** The cancel of a permit granted at once (one for all: a closure made in `unsafeTake` would keep its callback alive). */
const alreadyGranted = () => false

export const make = (count: number): Effect.Effect<Permits> =>
  Effect.sync(() => {
    let limit = count
    let held = 0
    // The waiters in arrival order: a waiting fiber or driver is a callback here, nothing more.
    const waiting: Array<() => void> = []

    const unsafeRelease = () => {
      const next = held <= limit ? waiting.shift() : undefined
      if (next === undefined) held--
      else next()
    }
    const release = Effect.sync(unsafeRelease)

    const unsafeTake = (granted: () => void) => {
      if (held < limit) {
        held++
        granted()
        return alreadyGranted
      }
      let given = false
      const turn = () => {
        given = true
        granted()
      }
      waiting.push(turn)
      return () => {
        if (given) return false
        const index = waiting.indexOf(turn)
        if (index >= 0) waiting.splice(index, 1)
        return true
      }
    }

    const take = Effect.suspend(() => {
      if (held < limit) {
        held++
        return Effect.void
      }
      const turn = Deferred.unsafeMake<void>(FiberId.none)
      const cancel = unsafeTake(() => Deferred.unsafeDone(turn, Exit.void))
      return Deferred.await(turn).pipe(
        // Interrupted just after a release handed it the permit: pass it on.
        Effect.onInterrupt(() => Effect.sync(() => cancel() || unsafeRelease()))
      )
    })

    const withPermit = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.uninterruptibleMask((restore) => Effect.zipRight(restore(take), Effect.ensuring(restore(self), release)))

    const resize = (count: number) =>
      Effect.sync(() => {
        limit = count
        while (held < limit && waiting.length > 0) {
          held++
          waiting.shift()!()
        }
      })

    return {
      take,
      release,
      withPermit,
      stats: Effect.sync(() => ({ free: Math.max(0, limit - held), waiting: waiting.length })),
      resize,
      size: Effect.sync(() => limit),
      unsafeTake,
      unsafeRelease
    }
  })
