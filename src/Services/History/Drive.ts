import { Cause, Effect, Exit, Fiber, Runtime } from "effect"
import type { Permits } from "../Permits.js"
import type { Alarms } from "./Alarms.js"

/**
 * What comes after a piece of a backfill: nothing, another piece (which takes one of the turns first, or not), or a
 * wait for the seller's quota. A piece is built when it runs: a tenant that waits holds the function that builds it
 * (with its cursor, mostly), not an effect with its wrappers.
 */
export type Next<E> =
  | { readonly _tag: "Done" }
  | { readonly _tag: "Work"; readonly turn: boolean; readonly work: () => Effect.Effect<Next<E>, E> }
  | { readonly _tag: "Wait"; readonly millis: number; readonly then: Next<E> }

/**
 * Runs a backfill's pieces one after another from `first`, each through `run` (its lease's step) in a fiber of its own,
 * until one answers Done or fails; ends as that does.
 *
 * Between two pieces the backfill is data, not a fiber: a wait for a turn is a callback in the turns' line, a wait for
 * the quota a callback in the alarms, each holding the next piece. A waiting tenant then costs the caller's fiber
 * suspended on one callback and that record, where a loop in the caller's fiber kept, while waiting for a turn, the
 * next piece's effect built with its wrappers and the permit's frames, and a timer while waiting for its quota (B3 at
 * 10,000 tenants, where nearly all of them wait for a turn: ~240 → ~180 MB live). Interrupting the caller cancels the
 * wait, or interrupts the piece and waits for it to end (the page being committed), as it did when the pieces ran in
 * the caller's fiber.
 */
export const drive = <E, E2, R>(
  first: Next<E>,
  run: (work: Effect.Effect<Next<E>, E>) => Effect.Effect<Next<E>, E2, R>,
  turns: Permits,
  alarms: Alarms
): Effect.Effect<void, E | E2, R> =>
  // The caller's runtime (its services, its FiberRefs: log annotations, the lease it holds), shared, not copied.
  Effect.flatMap(Effect.runtime<R>(), (runtime) =>
    Effect.async<void, E | E2>((resume) => {
      let piece: Fiber.RuntimeFiber<Next<E>, E2> | undefined
      let cancel: (() => boolean) | undefined
      let over = false

      const finish = (exit: Exit.Exit<void, E | E2>) => {
        if (over) return
        over = true
        resume(exit)
      }

      const start = (work: () => Effect.Effect<Next<E>, E>, holdsTurn: boolean) => {
        const fiber = Runtime.runFork(runtime)(run(Effect.suspend(work)))
        piece = fiber
        fiber.addObserver((exit) => {
          if (piece === fiber) piece = undefined
          if (holdsTurn) turns.unsafeRelease()
          if (Exit.isFailure(exit)) finish(exit as Exit.Exit<never, E2>)
          else go(exit.value)
        })
      }

      const go = (next: Next<E>): void => {
        if (over) return
        try {
          switch (next._tag) {
            case "Done":
              return finish(Exit.void)
            case "Wait":
              cancel = alarms.unsafeAfter(next.millis, () => {
                cancel = undefined
                go(next.then)
              })
              return
            case "Work":
              if (!next.turn) return start(next.work, false)
              cancel = turns.unsafeTake(() => {
                cancel = undefined
                if (over) turns.unsafeRelease()
                else start(next.work, true)
              })
              return
          }
        } catch (defect) {
          finish(Exit.failCause(Cause.die(defect)))
        }
      }

      go(first)
      // Interrupted: no next piece; a wait is cancelled, a piece in progress interrupted and waited for.
      return Effect.suspend(() => {
        over = true
        cancel?.()
        cancel = undefined
        const current = piece
        return current === undefined ? Effect.void : Fiber.interrupt(current)
      })
    }))
