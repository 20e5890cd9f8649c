import { monitorEventLoopDelay } from "node:perf_hooks"
import { Duration, Effect, Metric, Schedule } from "effect"
import { backfillTurns, backfillTurnsWaiting } from "../Metrics.js"
import * as Permits from "../Permits.js"

/** How often the number of turns is reconsidered, and the event-loop delay it is read from. */
const EVERY = Duration.millis(500)
const RESOLUTION_MS = 10
/** Event-loop delay (beyond the sampling period) above which there are too many turns. */
export const LAG_TARGET_MS = 50
/** The fewest turns there can be. */
const FEWEST = 2

/**
 * The next number of turns, from the worst event-loop delay of the last period and whether tenants wait for one.
 *
 * The turns overlap Amazon's answers and the database's round trips. When the work of the turns in progress makes the
 * event loop late, more turns only queue more work behind each callback (every request, heartbeat and HTTP answer of
 * the process waits longer), and the pages come no faster: measured in B3 with 2,000 tenants starting together, 64
 * turns against 8 gave an event-loop delay p99 of 148 against 50 ms, and the 8 turns finished first. So: a quarter
 * fewer while the loop is late, one more (an eighth more when there are many) while it is on time and tenants wait,
 * between FEWEST and `most` (ORDERSYNC_FETCHING_TENANTS). Against Amazon's real latency the loop stays on time and
 * the turns grow to `most`.
 */
export const nextTurns = (current: number, lagMs: number, waiting: number, most: number): number => {
  if (lagMs > LAG_TARGET_MS) return Math.max(Math.min(FEWEST, most), Math.floor(current * 0.75))
  if (waiting > 0 && lagMs < LAG_TARGET_MS / 2) return Math.min(most, current + Math.max(1, Math.floor(current / 8)))
  return current
}

/**
 * The turns of the backfills (at most `most` at once, see Backfill), their number steered by the event-loop delay
 * (`nextTurns`) for as long as the scope lasts.
 */
export const make = (most: number) =>
  Effect.gen(function*() {
    // From the most allowed: a tenant between two pages holds a page token, and Amazon's tokens expire (R3, where they
    // live half a second, failed with 20 tenants queueing for 8 turns at the start).
    const turns = yield* Permits.make(most)
    const delay = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
        histogram.enable()
        return histogram
      }),
      (histogram) => Effect.sync(() => histogram.disable())
    )
    const steer = Effect.gen(function*() {
      // The histogram records each period between two ticks (RESOLUTION_MS when on time), in nanoseconds. A reset
      // also forgets the last tick: a delay that starts within a tick of a reading is missed, an error of one tick.
      const lagMs = delay.count === 0 ? 0 : Math.max(0, delay.max / 1e6 - RESOLUTION_MS)
      delay.reset()
      const { waiting } = yield* turns.stats
      const current = yield* turns.size
      const next = nextTurns(current, lagMs, waiting, most)
      if (next !== current) yield* turns.resize(next)
      yield* Metric.set(backfillTurns, next)
      yield* Metric.set(backfillTurnsWaiting, waiting)
    })
    yield* Effect.forkScoped(Effect.repeat(steer, Schedule.spaced(EVERY)))
    return turns
  })
