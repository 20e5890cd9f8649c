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
}

export const make = (count: number): Effect.Effect<Permits> =>
  Effect.sync(() => {
    let limit = count
    let held = 0
    const waiting: Array<Deferred.Deferred<void>> = []

    const release = Effect.sync(() => {
      const next = held <= limit ? waiting.shift() : undefined
      if (next === undefined) held--
      else Deferred.unsafeDone(next, Exit.void)
    })

    const take = Effect.suspend(() => {
      if (held < limit) {
        held++
        return Effect.void
      }
      const turn = Deferred.unsafeMake<void>(FiberId.none)
      waiting.push(turn)
      return Deferred.await(turn).pipe(
        Effect.onInterrupt(() =>
          Effect.suspend(() => {
            const index = waiting.indexOf(turn)
            if (index >= 0) {
              waiting.splice(index, 1)
              return Effect.void
            }
            // Interrupted just after a release handed it the permit: pass it on.
            return release
          })
        )
      )
    })

    const withPermit = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.uninterruptibleMask((restore) => Effect.zipRight(restore(take), Effect.ensuring(restore(self), release)))

    const resize = (count: number) =>
      Effect.sync(() => {
        limit = count
        while (held < limit && waiting.length > 0) {
          held++
          Deferred.unsafeDone(waiting.shift()!, Exit.void)
        }
      })

    return {
      take,
      release,
      withPermit,
      stats: Effect.sync(() => ({ free: Math.max(0, limit - held), waiting: waiting.length })),
      resize,
      size: Effect.sync(() => limit)
    }
  })
