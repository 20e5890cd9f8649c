/**
 * The engine alone in a process (B3, B4): the simulator runs in the parent, so RSS and event-loop delay here are
 * the engine's. Configured by the environment like `ordersync` (DATABASE_URL, ORDERSYNC_DB_POOL_SIZE, SPAPI_*);
 * hands back one JSON result (`writeChildResult`). With `deltaSeconds`, the backfilled tenants then go on in delta
 * mode: the daemon claims them all in this process and runs their delta syncs, measured for that long.
 */
import { appendFileSync } from "node:fs"
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks"
import { getHeapSpaceStatistics } from "node:v8"
import { Cause, Duration, type Either, Effect, Exit, Fiber, Logger, LogLevel, Metric, Option, Redacted, Schedule, Tracer } from "effect"
import type { BackfillStatus } from "../src/Domain/BackfillStatus.js"
import { Backfill } from "../src/Services/Backfill.js"
import { Daemon } from "../src/Services/Daemon.js"
import { EngineLive } from "../src/Services/Engine.js"
import { backfillTurns, backfillTurnsWaiting, leasesHeld, ordersUpserted } from "../src/Services/Metrics.js"
import { SyncStateRepo } from "../src/Services/Store/SyncStateRepo.js"
import { Tenants } from "../src/Services/Store/Tenants.js"
import { readChildInput, rssSampler, writeChildResult } from "./Shared.js"

export interface ChildInput {
  readonly tenants: ReadonlyArray<string>
  readonly concurrency: number
  /** Orders fetched at which to record the peak RSS so far (one tenant). */
  readonly milestones?: ReadonlyArray<number>
  readonly timelineSeconds?: number
  /** After the backfills, how long to measure the same tenants in delta mode (the daemon, in this process). */
  readonly deltaSeconds?: number | undefined
}

/** [seconds, RSS MB, heap used MB, event-loop delay p99 ms, max ms] (see `timelineSampler`). */
export type TimelineRow = readonly [number, number, number, number, number]

export interface DeltaModeResult {
  /** From the daemon's start until it held every tenant. */
  readonly claimSeconds: number
  readonly held: number
  readonly seconds: number
  readonly deltaSyncs: number
  readonly deltaSyncsFailed: number
  readonly amazonRequests: number
  readonly statements: number
  readonly ordersUpserted: number
  readonly cpuSeconds: number
  readonly peakRssMb: number
  readonly endRssMb: number
  readonly endHeapUsedMb: number
  readonly eventLoopDelayP99Ms: number
  readonly eventLoopDelayMaxMs: number
  readonly timeline: ReadonlyArray<TimelineRow>
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
    /** When its first SP-API request began, in seconds from the start of the backfills. */
    readonly firstRequestSeconds: number
  }>
  readonly peakHeapTotalMb: number
  readonly peakHeapUsedMb: number
  /** See `timelineSampler`: every `timelineSeconds` (default 5). */
  readonly timeline: ReadonlyArray<TimelineRow>
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
  readonly delta?: DeltaModeResult
  /** Garbage collection during the backfills: pauses by kind (seconds, count), from `perf_hooks`. */
  readonly gc: GcSummary
  /** SP-API requests that failed other than with a 429 (seconds from the child's start). */
  readonly requestFailures: typeof requestFailures
}

export interface GcSummary {
  readonly scavengeSeconds: number
  readonly scavenges: number
  readonly markCompactSeconds: number
  readonly markCompacts: number
  readonly otherSeconds: number
}

/** Sums the main thread's GC pauses by kind until stopped. */
const gcObserver = () => {
  const sums = { scavengeSeconds: 0, scavenges: 0, markCompactSeconds: 0, markCompacts: 0, otherSeconds: 0 }
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = ((entry as { detail?: { kind?: number } }).detail)?.kind
      const seconds = entry.duration / 1000
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) (sums.scavengeSeconds += seconds, sums.scavenges += 1)
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) (sums.markCompactSeconds += seconds, sums.markCompacts += 1)
      else sums.otherSeconds += seconds
    }
  })
  observer.observe({ entryTypes: ["gc"] })
  const round3 = (n: number) => Math.round(n * 1000) / 1000
  return {
    stop: (): GcSummary => {
      observer.disconnect()
      return { ...sums, scavengeSeconds: round3(sums.scavengeSeconds), markCompactSeconds: round3(sums.markCompactSeconds), otherSeconds: round3(sums.otherSeconds) }
    }
  }
}

const input = readChildInput<ChildInput>()

/**
 * BENCH_CPU_PROFILE=<file>:<from seconds>:<seconds> (experiments): V8's CPU profile of that stretch of the run (a whole
 * 10,000-tenant run would be gigabytes), written when it ends.
 */
const cpuProfileWindow = () => {
  const [file, from, seconds] = (process.env.BENCH_CPU_PROFILE ?? "").split(":")
  if (!file || !(Number(from) >= 0) || !(Number(seconds) > 0)) return
  setTimeout(async () => {
    const { Session } = await import("node:inspector/promises")
    const { writeFile } = await import("node:fs/promises")
    const session = new Session()
    session.connect()
    await session.post("Profiler.enable")
    await session.post("Profiler.start")
    setTimeout(async () => {
      const { profile } = await session.post("Profiler.stop")
      await writeFile(file, JSON.stringify(profile))
      session.disconnect()
    }, Number(seconds) * 1000).unref()
  }, Number(from) * 1000).unref()
}

/**
 * BENCH_MEMORY_LOG=<file> (experiments): every 5 s, a JSON line of `process.memoryUsage()` and V8's heap spaces (MB),
 * to tell what of the RSS is the live heap, V8's headroom, and memory outside the heap.
 */
const memoryLog = () => {
  const file = process.env.BENCH_MEMORY_LOG
  if (!file) return
  const started = performance.now()
  const timer = setInterval(() => {
    const mb = (n: number) => Math.round(n / 1e5) / 10
    // BENCH_MEMORY_LOG_GC=1: after a full collection, the live heap.
    if (process.env.BENCH_MEMORY_LOG_GC === "1") (globalThis as { gc?: () => void }).gc?.()
    const usage = process.memoryUsage()
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, [mb(s.space_size), mb(s.space_used_size)]]))
    const turns = Effect.runSync(Metric.value(backfillTurns)).value
    const waiting = Effect.runSync(Metric.value(backfillTurnsWaiting)).value
    appendFileSync(file, JSON.stringify({ s: Math.round((performance.now() - started) / 1000), turns, waiting, rss: mb(usage.rss), heapTotal: mb(usage.heapTotal), heapUsed: mb(usage.heapUsed), external: mb(usage.external), arrayBuffers: mb(usage.arrayBuffers), spaces }) + "\n")
  }, 5000)
  timer.unref()
}

/**
 * BENCH_ALLOCATION_PROFILE=<file> (experiments): V8's sampling heap profiler over the backfills, counting objects the
 * garbage collector has already taken too, so the profile says where the allocation rate comes from.
 */
const allocationProfile = async () => {
  const file = process.env.BENCH_ALLOCATION_PROFILE
  if (file === undefined) return async () => {}
  const { Session } = await import("node:inspector/promises")
  const { writeFile } = await import("node:fs/promises")
  const session = new Session()
  session.connect()
  await session.post("HeapProfiler.startSampling", { samplingInterval: 65536, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  return async () => {
    const { profile } = await session.post("HeapProfiler.stopSampling")
    await writeFile(file, JSON.stringify(profile))
    session.disconnect()
  }
}
const toMb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10

/**
 * [seconds since the start, RSS MB, heap used MB, event-loop delay p99 ms, max ms] every `everyMs` until stopped (the
 * last sample at the stop); the delays are those since the sample before: when the peak and the delays happen.
 */
const timelineSampler = (everyMs: number) => {
  const started = performance.now()
  const rows: Array<TimelineRow> = []
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const sample = () => {
    const usage = process.memoryUsage()
    const ms = (ns: number) => Math.round(ns / 1e5) / 10
    rows.push([Math.round((performance.now() - started) / 100) / 10, toMb(usage.rss), toMb(usage.heapUsed), ms(delay.percentile(99)), ms(delay.max)])
    delay.reset()
  }
  const timer = setInterval(sample, everyMs)
  timer.unref()
  return { rows, stop: () => (clearInterval(timer), sample(), delay.disable()) }
}

/** What the process did, counted from its spans: SQL statements, SP-API requests, delta syncs (ended, by outcome). */
const counted = { statements: 0, amazonRequests: 0, deltaSyncs: 0, deltaSyncsFailed: 0 }
/**
 * SP-API requests that failed other than with a 429 (which a paced tenant meets once, learning its seller's burst):
 * counted by error, the first few kept with their tenant and time. A failed request costs its tenant a token and a
 * retry, which can make it the last to finish.
 */
const requestFailures = { byError: {} as Record<string, number>, first: [] as Array<{ tenantId: string; seconds: number; error: string }> }
const noteFailure = (tenantId: string, cause: Cause.Cause<unknown>) => {
  const failure = Option.getOrUndefined(Cause.failureOption(cause)) as { _tag?: string; message?: string } | undefined
  if (failure?._tag === "QuotaExceeded") return
  const error = failure === undefined ? Cause.pretty(cause).split("\n")[0]!.slice(0, 200) : `${failure._tag}: ${failure.message ?? ""}`.slice(0, 200)
  const tag = failure?._tag ?? "defect or interruption"
  requestFailures.byError[tag] = (requestFailures.byError[tag] ?? 0) + 1
  if (requestFailures.first.length < 20) requestFailures.first.push({ tenantId, seconds: Math.round(performance.now() / 100) / 10, error })
}
/** When each tenant's first SP-API request began (performance.now()): how long its start waited. */
const firstRequestAt = new Map<string, number>()
const countingTracer = (inner: Tracer.Tracer) =>
  Tracer.make({
    context: (f, fiber) => inner.context(f, fiber),
    span: (name, parent, context, links, startTime, kind, options) => {
      const span = inner.span(name, parent, context, links, startTime, kind, options)
      if (name === "sql.execute") counted.statements += 1
      else if (name === "spapi.request") {
        counted.amazonRequests += 1
        const tenantId = options?.attributes?.tenantId
        if (typeof tenantId === "string" && !firstRequestAt.has(tenantId)) firstRequestAt.set(tenantId, performance.now())
        const end = span.end.bind(span)
        span.end = (endTime, exit) => {
          if (Exit.isFailure(exit)) noteFailure(String(tenantId), exit.cause)
          end(endTime, exit)
        }
      }
      else if (name === "runOrdersDeltaSync") {
        const end = span.end.bind(span)
        span.end = (endTime, exit) => {
          if (Exit.isSuccess(exit)) counted.deltaSyncs += 1
          else counted.deltaSyncsFailed += 1
          end(endTime, exit)
        }
      }
      return span
    }
  })

/** The backfilled tenants in delta mode: the daemon claims them, then `seconds` of delta syncs are measured. */
const deltaMode = (tenantCount: number, seconds: number) =>
  Effect.gen(function*() {
    const started = performance.now()
    yield* Daemon
    // Until the daemon holds every tenant (10,000 take a few claim ticks), or 5 minutes: `held` says which.
    while ((yield* Metric.value(leasesHeld)).value < tenantCount && performance.now() - started < 300_000) {
      yield* Effect.sleep("500 millis")
    }
    const claimSeconds = (performance.now() - started) / 1000
    const held = (yield* Metric.value(leasesHeld)).value
    const before = { ...counted, upserted: (yield* Metric.value(ordersUpserted)).count }
    const rss = rssSampler(200)
    const delay = monitorEventLoopDelay({ resolution: 10 })
    delay.enable()
    const cpu = process.cpuUsage()
    const t0 = performance.now()
    const timeline = timelineSampler(Math.max(1000, (seconds * 1000) / 60))
    yield* Effect.sleep(Duration.seconds(seconds))
    const elapsed = (performance.now() - t0) / 1000
    const used = process.cpuUsage(cpu)
    timeline.stop()
    delay.disable()
    rss.stop()
    const usage = process.memoryUsage()
    return {
      claimSeconds,
      held,
      seconds: elapsed,
      deltaSyncs: counted.deltaSyncs - before.deltaSyncs,
      deltaSyncsFailed: counted.deltaSyncsFailed - before.deltaSyncsFailed,
      amazonRequests: counted.amazonRequests - before.amazonRequests,
      statements: counted.statements - before.statements,
      ordersUpserted: (yield* Metric.value(ordersUpserted)).count - before.upserted,
      cpuSeconds: (used.user + used.system) / 1e6,
      peakRssMb: toMb(rss.peak()),
      endRssMb: toMb(usage.rss),
      endHeapUsedMb: toMb(usage.heapUsed),
      eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
      eventLoopDelayMaxMs: delay.max / 1e6,
      timeline: timeline.rows
    } satisfies DeltaModeResult
  }).pipe(Effect.provide(Daemon.Default), Effect.scoped)

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

  const stopAllocationProfile = yield* Effect.promise(allocationProfile)
  cpuProfileWindow()
  memoryLog()
  const rss = rssSampler(50)
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const started = performance.now()
  const cpuAtStart = process.cpuUsage()
  const gc = gcObserver()
  const timeline = timelineSampler((input.timelineSeconds ?? 5) * 1000)
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
  const results: Array<Either.Either<BackfillStatus, unknown>> = []
  // A fiber per run with little of the harness on its stack (each frame kept while a run waits costs ten thousand).
  const limit = yield* Effect.makeSemaphore(input.concurrency)
  const fibers = yield* Effect.forEach(input.tenants, (tenantId, i) => {
    const began = performance.now()
    const run = Effect.either(backfill.runInitialBackfill(tenantId, 365))
    return Effect.fork(Effect.flatMap(input.concurrency < input.tenants.length ? limit.withPermits(1)(run) : run, (result) =>
      Effect.sync(() => {
        seconds[tenantId] = (performance.now() - began) / 1000
        results[i] = result
      })))
  })
  yield* Fiber.awaitAll(fibers)
  const wallSeconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuAtStart)
  const gcSummary = gc.stop()
  yield* Effect.promise(stopAllocationProfile)
  timeline.stop()
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
    timeline: timeline.rows,
    peakHeapTotalMb: toMb(rss.peakHeapTotal()),
    peakHeapUsedMb: toMb(rss.peakHeapUsed()),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    gc: gcSummary,
    requestFailures,
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
          seconds: seconds[tenantId] ?? NaN,
          firstRequestSeconds: Math.round(((firstRequestAt.get(tenantId) ?? NaN) - started) / 100) / 10
        }]
        : []),
    milestones
  }
  if (input.deltaSeconds === undefined) return result
  return { ...result, delta: yield* deltaMode(input.tenants.length, input.deltaSeconds) } satisfies ChildResult
})

Effect.runPromise(
  Effect.tracerWith((tracer) =>
    program.pipe(
      Effect.provide(EngineLive),
      Logger.withMinimumLogLevel(LogLevel.Warning),
      Effect.scoped,
      Effect.withTracer(countingTracer(tracer))
    )
  )
).then(
  (result) => writeChildResult(result).then(() => process.exit(0)),
  (error) => {
    process.stderr.write(String(error) + "\n")
    process.exit(1)
  }
)
