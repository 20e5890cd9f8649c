import cliProgress from "cli-progress"
import { Cause, Effect, FiberRef, HashMap, HashSet, Logger, Schedule } from "effect"
import type { BackfillStatus } from "../Domain/BackfillStatus.js"

/** The time left as a person reads it: "2h 05m", "4m 09s", "42s", "<1s"; "estimating…" until the engine knows a rate. */
export const formatEta = (seconds: number | null, done = false): string => {
  if (done) return "done"
  if (seconds === null || !Number.isFinite(seconds)) return "estimating…"
  if (seconds < 1) return "<1s"
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = s % 60
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`
  if (m > 0) return `${m}m ${String(rest).padStart(2, "0")}s`
  return `${rest}s`
}

const time = (date: Date) => date.toISOString().slice(11, 23)

/** One log line as the bar prints it above itself: time, level, message, annotations, and the cause if any. */
export const formatLogLine = (options: Logger.Logger.Options<unknown>): string => {
  const messages = Array.isArray(options.message) ? options.message : [options.message]
  const annotations = [...HashMap.toEntries(options.annotations)].map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
  const cause = Cause.isEmpty(options.cause) ? [] : [Cause.pretty(options.cause)]
  return [`[${time(options.date)}] ${options.logLevel.label}`, ...messages.map(String), ...annotations, ...cause].join(" ")
}

/** A logger that hands each line to `print` (the bar's log, which prints it above the bar at its next redraw). */
export const barLogger = (print: (line: string) => void) => Logger.make((options) => print(formatLogLine(options) + "\n"))

/**
 * While `self` runs, redraws a progress bar on the terminal from the status, every second (cli-progress draws it).
 * Log lines go above the bar instead of into its line. Off a terminal the engine's log line per window is the
 * progress report.
 */
export const withProgressBar = <A, E, R, E2, R2>(
  self: Effect.Effect<A, E, R>,
  status: Effect.Effect<BackfillStatus, E2, R2>
): Effect.Effect<A, E, R | R2> => {
  if (!process.stderr.isTTY) return self
  return Effect.acquireUseRelease(
    Effect.sync(() => {
      const bars = new cliProgress.MultiBar({
        stream: process.stderr,
        format: "{bar} {percentage}% | windows {windows} | {orders} orders | {pages} pages | {rpm} req/min | ETA {timeLeft}",
        hideCursor: true,
        clearOnComplete: false
      }, cliProgress.Presets.shades_classic)
      const bar = bars.create(1000, 0, { windows: "0/?", orders: 0, pages: 0, rpm: "-", timeLeft: "estimating…" })
      return { bars, bar }
    }),
    ({ bars, bar }) => {
      const redraw = status.pipe(
        Effect.tap((s) =>
          Effect.sync(() =>
            bar.update(Math.round(s.progress.coverage * 1000), {
              windows: `${s.progress.windowsDone}/${s.progress.windowsTotal}`,
              orders: s.progress.ordersFetched,
              pages: s.progress.pages,
              rpm: s.progress.requestsPerMinute ?? "-",
              timeLeft: formatEta(s.progress.estimatedSecondsRemaining, s.initialBackfillStatus === "success")
            })
          )
        ),
        Effect.ignore,
        Effect.repeat(Schedule.spaced("1 second"))
      )
      return Effect.raceFirst(self, Effect.zipRight(redraw, Effect.never)).pipe(
        Effect.locally(FiberRef.currentLoggers, HashSet.make(barLogger((line) => bars.log(line))))
      )
    },
    ({ bars, bar }) =>
      Effect.sync(() => {
        bar.update(bar.getTotal())
        // Prints the lines logged since the last redraw, then leaves the bar's last state on the terminal.
        bars.update()
        bars.stop()
      }).pipe(Effect.ignore)
  )
}
