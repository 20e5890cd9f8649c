/**
 * One replica of B7: the daemon alone in a process, on DATABASE_URL, configured like `ordersync serve` by the
 * environment. Prints `steady` once its claim loop has settled (nothing left to claim, nothing held changing), then on
 * `go` on stdin measures its claim loop for the given seconds and prints one JSON line.
 */
import * as readline from "node:readline"
import { Effect, Layer, Logger, LogLevel, Metric, MetricState } from "effect"
import { Daemon } from "../src/Services/Daemon.js"
import { engineOver } from "../src/Services/Engine.js"
import { claimTickSeconds, leasesHeld, tenantsClaimable } from "../src/Services/Metrics.js"
import { SqlLive } from "../src/Services/Store/Database.js"

export interface FleetChildInput {
  readonly seconds: number
}

export interface FleetChildResult {
  readonly held: number
  readonly ticks: number
  readonly tickMeanMs: number
  /** The upper bound of the histogram bucket that holds the 99th percentile. */
  readonly tickP99Ms: number
  readonly cpuMsPerTick: number
  readonly cpuFraction: number
  readonly rssMb: number
  readonly secondsToSteady: number
}

const input = JSON.parse(process.argv[2] ?? "{}") as FleetChildInput

const histogram = Effect.map(Metric.value(claimTickSeconds), (state) => state as MetricState.MetricState.Histogram)

const program = Effect.gen(function*() {
  const started = performance.now()
  const daemon = yield* Daemon
  // Settled: nothing claimable, the number held unchanged, ticks short and the first steps of the tenants it claimed
  // over, for 5 s.
  let last = -1
  let lastTicks = yield* histogram
  let stableSince = performance.now()
  while (true) {
    yield* Effect.sleep("1 second")
    const held = (yield* Metric.value(leasesHeld)).value
    const claimable = (yield* Metric.value(tenantsClaimable)).value
    const ticks = yield* histogram
    const slow = ticks.count > lastTicks.count && (ticks.sum - lastTicks.sum) / (ticks.count - lastTicks.count) > 0.05
    lastTicks = ticks
    const deciding = yield* daemon.deciding
    if (held !== last || claimable > 0 || slow || deciding > 0) {
      last = held
      stableSince = performance.now()
    } else if (performance.now() - stableSince > 5_000) break
  }
  const secondsToSteady = (performance.now() - started) / 1000 - 5
  process.stdout.write("steady\n")
  yield* Effect.async<void>((resume) => {
    const lines = readline.createInterface({ input: process.stdin })
    lines.once("line", () => {
      lines.close()
      resume(Effect.void)
    })
  })
  const before = yield* histogram
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  yield* Effect.sleep(`${input.seconds} seconds`)
  const elapsedMs = performance.now() - t0
  const used = process.cpuUsage(cpu)
  const after = yield* histogram
  const ticks = after.count - before.count
  // The first bucket boundary below which 99% of this window's ticks fall.
  const earlier = new Map(before.buckets)
  const p99 = after.buckets.find(([bound, n]) => n - (earlier.get(bound) ?? 0) >= 0.99 * ticks)?.[0] ?? Infinity
  if (process.env.BENCH_DEBUG) process.stderr.write(JSON.stringify({ before: before.buckets, after: after.buckets }) + "\n")
  const cpuMs = (used.user + used.system) / 1000
  const result: FleetChildResult = {
    held: (yield* Metric.value(leasesHeld)).value,
    ticks,
    tickMeanMs: ticks > 0 ? ((after.sum - before.sum) * 1000) / ticks : NaN,
    tickP99Ms: p99 * 1000,
    cpuMsPerTick: ticks > 0 ? cpuMs / ticks : NaN,
    cpuFraction: cpuMs / elapsedMs,
    rssMb: Math.round(process.memoryUsage.rss() / 1024 / 1024),
    secondsToSteady
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
})

program.pipe(
  Effect.provide(Daemon.Default.pipe(Layer.provideMerge(engineOver(SqlLive)))),
  Effect.scoped,
  Effect.provide(Logger.minimumLogLevel(LogLevel.Warning)),
  Effect.runPromise
).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
    process.exit(1)
  }
)
