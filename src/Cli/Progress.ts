import cliProgress from "cli-progress"
import { Effect, Schedule } from "effect"
import type { BackfillStatus } from "../Domain/BackfillStatus.js"

const eta = (seconds: number | null) => {
  if (seconds === null) return "?"
  if (seconds < 90) return `${seconds}s`
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`
  return `${(seconds / 3600).toFixed(1)}h`
}

/**
 * While `self` runs, redraws a progress bar on the terminal from the status, every second (cli-progress draws it).
 * Off a terminal the engine's log line per window is the progress report.
 */
export const withProgressBar = <A, E, R, E2, R2>(
  self: Effect.Effect<A, E, R>,
  status: Effect.Effect<BackfillStatus, E2, R2>
): Effect.Effect<A, E, R | R2> => {
  if (!process.stderr.isTTY) return self
  return Effect.acquireUseRelease(
    Effect.sync(() => {
      const bar = new cliProgress.SingleBar({
        stream: process.stderr,
        format:
          "{bar} {percentage}% | windows {windows} | {orders} orders | {pages} pages | {rpm} req/min | ETA {eta}",
        hideCursor: true,
        clearOnComplete: false
      }, cliProgress.Presets.shades_classic)
      bar.start(1000, 0, { windows: "0/?", orders: 0, pages: 0, rpm: "-", eta: "?" })
      return bar
    }),
    (bar) => {
      const redraw = status.pipe(
        Effect.tap((s) =>
          Effect.sync(() =>
            bar.update(Math.round(s.progress.coverage * 1000), {
              windows: `${s.progress.windowsDone}/${s.progress.windowsTotal}`,
              orders: s.progress.ordersFetched,
              pages: s.progress.pages,
              rpm: s.progress.requestsPerMinute ?? "-",
              eta: eta(s.progress.estimatedSecondsRemaining)
            })
          )
        ),
        Effect.ignore,
        Effect.repeat(Schedule.spaced("1 second"))
      )
      return Effect.raceFirst(self, Effect.zipRight(redraw, Effect.never))
    },
    (bar) => Effect.zipRight(Effect.ignore(Effect.sync(() => bar.update(bar.getTotal()))), Effect.sync(() => bar.stop()))
  )
}
