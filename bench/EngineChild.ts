/**
 * The engine alone in a process (B3, B4): the simulator runs in the parent, so RSS and event-loop delay here are
 * the engine's. Configured by the environment like `ordersync` (DATABASE_URL, ORDERSYNC_DB_POOL_SIZE, SPAPI_*);
 * prints one JSON line.
 */
import { monitorEventLoopDelay } from "node:perf_hooks"
import { Duration, Effect, Logger, LogLevel, Option, Redacted, Schedule } from "effect"
import { Backfill } from "../src/Services/Backfill.js"
import { EngineLive } from "../src/Services/Engine.js"
import { SyncStateRepo } from "../src/Services/Store/SyncStateRepo.js"
import { Tenants } from "../src/Services/Store/Tenants.js"
import { rssSampler } from "./Shared.js"

export interface ChildInput {
  readonly tenants: ReadonlyArray<string>
  readonly concurrency: number
  /** Orders fetched at which to record the peak RSS so far (one tenant). */
  readonly milestones?: ReadonlyArray<number>
  readonly timelineSeconds?: number
}

export interface ChildResult {
  readonly wallSeconds: number
  readonly peakRssMb: number
  readonly eventLoopDelayP99Ms: number
  readonly eventLoopDelayMaxMs: number
  readonly failed: number
  /** CPU seconds this process spent during the backfills (user + system). */
  readonly cpuSeconds: number
  readonly tenants: ReadonlyArray<{
    readonly tenantId: string
    readonly orders: number
    readonly rangeStart: string
    readonly rangeEnd: string
    readonly requests: number
    readonly throttled: number
    /** The run's activeMillis in seconds (see SyncStateRepo), and the history path the planner took, and why. */
    readonly activeSeconds: number
    readonly historySource: string | null
    readonly historyReason: string | null
    /** The run's own wall time (its backfill only, in this process). */
    readonly seconds: number
  }>
  readonly peakHeapTotalMb: number
  readonly peakHeapUsedMb: number
  /** [seconds, RSS MB, heap used MB] every `timelineSeconds` (default 5): when the peak happens. */
  readonly timeline: ReadonlyArray<readonly [number, number, number]>
  readonly milestones: ReadonlyArray<{
    readonly orders: number
    readonly peakRssMb: number
    readonly rssMb: number
    /** V8 heap reserved and in use at the milestone, before the forced collection. */
    readonly heapTotalMb: number
    readonly heapUsedMb: number
    readonly peakHeapTotalMb: number
    readonly heapAfterGcMb: number
    readonly seconds: number
  }>
}

const input = JSON.parse(process.argv[2] ?? "{}") as ChildInput
const toMb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10

const program = Effect.gen(function*() {
  const tenants = yield* Tenants
  const backfill = yield* Backfill
  const repo = yield* SyncStateRepo
  yield* Effect.forEach(input.tenants, (tenantId) =>
    tenants.add({
      tenantId,
      region: "na",
      marketplaceIds: ["ATVPDKIKX0DER"],
      sellingPartnerId: null,
      refreshToken: Redacted.make(`Atzr|${tenantId}`)
    }), { concurrency: 8, discard: true })

  const rss = rssSampler(50)
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const started = performance.now()
  const cpuAtStart = process.cpuUsage()
  const timeline: Array<readonly [number, number, number]> = []
  const sampleTimeline = () => {
    const usage = process.memoryUsage()
    timeline.push([Math.round((performance.now() - started) / 100) / 10, toMb(usage.rss), toMb(usage.heapUsed)])
  }
  const timelineTimer = setInterval(sampleTimeline, (input.timelineSeconds ?? 5) * 1000)
  timelineTimer.unref()
  const milestones: Array<ChildResult["milestones"][number]> = []
  const pending = [...(input.milestones ?? [])]
  const watch = Effect.gen(function*() {
    const run = yield* repo.run(input.tenants[0]!)
    const fetched = Option.match(run, { onNone: () => 0, onSome: (r) => r.ordersFetched })
    while (pending.length > 0 && fetched >= pending[0]!) {
      const peakRssMb = toMb(rss.peak())
      const before = process.memoryUsage()
      const peakHeapTotalMb = toMb(rss.peakHeapTotal())
      // The live heap after a full collection tells a leak from a heap V8 has simply not shrunk.
      ;(globalThis as { gc?: () => void }).gc?.()
      milestones.push({
        orders: pending.shift()!,
        peakRssMb,
        rssMb: toMb(before.rss),
        heapTotalMb: toMb(before.heapTotal),
        heapUsedMb: toMb(before.heapUsed),
        peakHeapTotalMb,
        heapAfterGcMb: toMb(process.memoryUsage().heapUsed),
        seconds: (performance.now() - started) / 1000
      })
    }
  })
  const watcher = yield* Effect.fork(Effect.repeat(watch, Schedule.spaced(Duration.millis(100))))
  const seconds: Record<string, number> = {}
  const results = yield* Effect.forEach(input.tenants, (tenantId) =>
    Effect.either(backfill.runInitialBackfill(tenantId, 365)).pipe(
      Effect.timed,
      Effect.map(([duration, result]) => ((seconds[tenantId] = Duration.toMillis(duration) / 1000), result))
    ), { concurrency: input.concurrency })
  const wallSeconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuAtStart)
  clearInterval(timelineTimer)
  sampleTimeline()
  yield* watch
  yield* watcher.interruptAsFork(watcher.id())
  delay.disable()
  rss.stop()
  const runs = yield* Effect.forEach(input.tenants, (tenantId, i) =>
    Effect.map(repo.run(tenantId), (run) => ({ tenantId, run, result: results[i]! })), { concurrency: 8 })
  const result: ChildResult = {
    wallSeconds,
    peakRssMb: toMb(rss.peak()),
    eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
    eventLoopDelayMaxMs: delay.max / 1e6,
    timeline,
    peakHeapTotalMb: toMb(rss.peakHeapTotal()),
    peakHeapUsedMb: toMb(rss.peakHeapUsed()),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    failed: results.filter((r) => r._tag === "Left" || r.right.initialBackfillStatus !== "success").length,
    tenants: runs.flatMap(({ tenantId, run, result }) =>
      Option.isSome(run)
        ? [{
          tenantId,
          orders: result._tag === "Right" ? result.right.ordersCount : -1,
          rangeStart: run.value.rangeStart.toISOString(),
          rangeEnd: run.value.rangeEnd.toISOString(),
          requests: run.value.requests,
          throttled: run.value.throttled,
          activeSeconds: run.value.activeMillis / 1000,
          historySource: run.value.historySource,
          historyReason: run.value.historyReason,
          seconds: seconds[tenantId] ?? NaN
        }]
        : []),
    milestones
  }
  return result
})

Effect.runPromise(program.pipe(Effect.provide(EngineLive), Logger.withMinimumLogLevel(LogLevel.Warning), Effect.scoped)).then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + "\n")
    process.exit(0)
  },
  (error) => {
    process.stderr.write(String(error) + "\n")
    process.exit(1)
  }
)
