import { Clock, Duration, Effect, Metric } from "effect"
import { amazonClockOffset } from "../Metrics.js"
import { SpApiConfig } from "./SpApiConfig.js"

/** Where an answer came from: an SP-API region's host, or Login with Amazon. */
export type ClockSource = string

/** The offset (Amazon minus host, in ms) must lie in [low, high]: each answer narrows it. */
interface Interval {
  readonly low: number
  readonly high: number
}

/** A skew beyond this is worth a line in the log: once, and again only if it moves by as much. */
const NOTABLE_SKEW_MS = 2_000

/**
 * Amazon's clock as the host sees it, from the `Date` header of Amazon's answers. Amazon refuses a `*Before` bound
 * that is not two minutes before *its* now, so a host a few seconds ahead would otherwise have every listing refused.
 *
 * A `Date` header has whole seconds, stamped between our send and our receipt, so each answer says: the offset lies
 * in (date − received, date + 1 s − sent). The intervals of successive answers are intersected (a contradiction, a
 * clock step, starts over from the newest), and bounds use the low end: the earliest "now" Amazon can have.
 */
export class AmazonClock extends Effect.Service<AmazonClock>()("ordersync/AmazonClock", {
  effect: Effect.gen(function*() {
    const { listingLag, clockMargin } = yield* SpApiConfig
    const intervals = new Map<ClockSource, Interval>()
    let reported: number | undefined

    /** Records what an answer's `Date` header says; `sent` and `received` are host times around the exchange. */
    const observe = (source: ClockSource, sent: number, received: number, date: string | undefined) =>
      Effect.suspend(() => {
        const stamped = date === undefined ? Number.NaN : Date.parse(date)
        if (!Number.isFinite(stamped)) return Effect.void
        const sample: Interval = { low: stamped - received, high: stamped + 1_000 - sent }
        const known = intervals.get(source)
        const low = Math.max(known?.low ?? -Infinity, sample.low)
        const high = Math.min(known?.high ?? Infinity, sample.high)
        const next = known !== undefined && low <= high ? { low, high } : sample
        // Once the estimate has settled, most answers change nothing: nothing to record.
        if (known !== undefined && next.low === known.low && next.high === known.high) return Effect.void
        intervals.set(source, next)
        const offset = (next.low + next.high) / 2
        const report = Math.abs(offset) > NOTABLE_SKEW_MS && (reported === undefined || Math.abs(offset - reported) > NOTABLE_SKEW_MS)
        if (report) reported = offset
        return Effect.zipRight(
          Metric.set(Metric.tagged(amazonClockOffset, "source", source), offset / 1000),
          report
            ? Effect.logWarning(
              `this host's clock is ${(Math.abs(offset) / 1000).toFixed(1)} s ${offset > 0 ? "behind" : "ahead of"} Amazon's (${source}); ` +
                "listing bounds follow Amazon's clock"
            ).pipe(Effect.annotateLogs({ clockSource: source, amazonClockOffsetSeconds: Math.round(offset) / 1000 }))
            : Effect.void
        )
      })

    /** The lowest offset consistent with what `source` (else Login with Amazon) has said; none known yet: 0. */
    const offsetOf = (source: ClockSource) => (intervals.get(source) ?? intervals.get("lwa"))?.low

    /** True once an answer from `source` or Login with Amazon has told us Amazon's time. */
    const known = (source: ClockSource) => Effect.sync(() => offsetOf(source) !== undefined)

    /**
     * The latest `*Before` Amazon accepts, with a margin: Amazon's earliest possible now, minus the 2-minute rule,
     * minus `SPAPI_CLOCK_MARGIN_SECONDS` (times `widen`, after Amazon refused a bound all the same).
     */
    const listableUntil = (source: ClockSource, widen = 1) =>
      Effect.map(Clock.currentTimeMillis, (now) =>
        new Date(now + (offsetOf(source) ?? 0) - Duration.toMillis(listingLag) - widen * Duration.toMillis(clockMargin)))

    /**
     * Whether a `*Before` sent at host time `sent` lay within the 2-minute rule, plus one margin, of Amazon's earliest
     * possible now then: Amazon may have refused it under the rule, which its 400 does not name (field: a generic
     * "The input you have submitted is not valid…"). Asked after the answer's `Date` was observed.
     */
    const tooRecent = (source: ClockSource, before: Date, sent: number) =>
      Effect.sync(() => before.getTime() > sent + (offsetOf(source) ?? 0) - Duration.toMillis(listingLag) - Duration.toMillis(clockMargin))

    /** Skews estimated so far, in seconds (Amazon minus host), per source. */
    const skews = Effect.sync(() =>
      Object.fromEntries([...intervals].map(([source, { low, high }]) => [source, (low + high) / 2000])))

    return { observe, known, listableUntil, tooRecent, skews } as const
  })
}) {}
