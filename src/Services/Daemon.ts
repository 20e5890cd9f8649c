import { Clock, Config, Duration, Effect, Either, FiberMap, Metric, Option, Queue, Ref } from "effect"
import { DEFAULT_BACKFILL_DAYS } from "../Domain/Ids.js"
import { Backfill } from "./Backfill.js"
import { Replicas } from "./Daemon/Replicas.js"
import { type FleetCounts, Requests } from "./Daemon/Requests.js"
import { listenForTriggers } from "./Daemon/Triggers.js"
import {
  claimTickSeconds,
  leasesHeld,
  tenantsClaimable,
  tenantsClaimed,
  tenantsFairShare,
  tenantsHandedOver,
  tenantsWanting
} from "./Metrics.js"
import * as Permits from "./Permits.js"
import { type Lease, Leases } from "./Store/Leases.js"
import { MARKETPLACE } from "./Store/OrderRepo.js"
import { SyncStateRepo } from "./Store/SyncStateRepo.js"
import { Tenants } from "./Store/Tenants.js"

export const DaemonConfig = Config.all({
  poll: Config.number("ORDERSYNC_POLL_SECONDS").pipe(Config.withDefault(2), Config.map((s) => Duration.millis(s * 1000))),
  /**
   * Tenants whose backfill or delta sync runs at the same moment in this process. A run spends nearly all its time
   * waiting for its own seller's quota, so this bounds memory and database load rather than throughput.
   */
  maxRunning: Config.integer("ORDERSYNC_MAX_CONCURRENT_TENANTS").pipe(Config.withDefault(1000)),
  backfillDays: Config.integer("ORDERSYNC_BACKFILL_DAYS").pipe(Config.withDefault(DEFAULT_BACKFILL_DAYS)),
  deltaInterval: Config.number("ORDERSYNC_DELTA_INTERVAL_SECONDS").pipe(
    Config.withDefault(300),
    Config.map((s) => Duration.millis(s * 1000))
  ),
  /** Cap of the per-tenant exponential backoff after a failed run. */
  retryMax: Config.number("ORDERSYNC_RETRY_MAX_SECONDS").pipe(Config.withDefault(300), Config.map((s) => Duration.millis(s * 1000))),
  /** Leases one tick claims, or hands over when replicas join: the pace at which tenants move. */
  claimBatch: Config.integer("ORDERSYNC_CLAIM_BATCH").pipe(Config.withDefault(500), Config.validate({
    message: "ORDERSYNC_CLAIM_BATCH must be at least 1",
    validation: (n) => n >= 1
  }))
})

/** Tenants' fibers reading their state at the same moment (a few connections of the pool; runs have their own). */
const LOOKS_AT_ONCE = 4

/** The fleet is counted at least this often (and whenever the replicas change or a trigger arrives). */
const RECOUNT_EVERY_MS = 30_000

/** setTimeout's limit: a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * How a waiting tenant is woken: by its timer or by the claim loop. A plain timer and one callback, not a race of two
 * fibers: ten thousand waiting tenants cost ten thousand timers, not forty thousand fibers.
 */
class Wake {
  private pending = false
  private resume: (() => void) | undefined

  /** Wakes the tenant now, or makes its next wait return at once. */
  readonly now = () => {
    if (this.resume !== undefined) this.resume()
    else this.pending = true
  }

  /** Waits up to `ms`, or until `now` is called. */
  readonly wait = (ms: number) =>
    Effect.async<void>((resume) => {
      if (this.pending) {
        this.pending = false
        return resume(Effect.void)
      }
      const done = () => {
        clearTimeout(timer)
        this.resume = undefined
        resume(Effect.void)
      }
      const timer = setTimeout(done, Math.min(Math.max(0, ms), MAX_TIMER_MS))
      this.resume = done
      return Effect.sync(() => {
        clearTimeout(timer)
        this.resume = undefined
      })
    })
}

/**
 * A tenant this process drives: its lease, a wake-up signal from the claim loop, whether a run is in flight, and
 * the earliest time of its first delta sync (spread over one interval, so a restart does not fire them all at once).
 */
interface Held {
  readonly lease: Lease
  readonly wake: Wake
  readonly busy: Ref.Ref<boolean>
  readonly firstDeltaAt: number
  /** A trigger may be waiting in the table: set by the claim loop or a notification, cleared by the next step. */
  triggered: boolean
}

type Step = { readonly _tag: "Stop"; readonly reason: string } | { readonly _tag: "Wait"; readonly until: number }

/**
 * One supervised fiber per tenant whose lease this process holds. A claim loop takes free leases up to this replica's
 * fair share, hands over surplus ones when replicas join, and passes on triggers. A tick costs what changes, not what
 * exists: the pending triggers (a small table), the free leases it takes, and a count of the fleet now and then.
 * Triggers arrive through PostgreSQL notifications within a second; the tick every ORDERSYNC_POLL_SECONDS is the
 * fallback.
 */
export class Daemon extends Effect.Service<Daemon>()("ordersync/Daemon", {
  scoped: Effect.gen(function*() {
    const config = yield* DaemonConfig
    const backfill = yield* Backfill
    const leases = yield* Leases
    const tenants = yield* Tenants
    const repo = yield* SyncStateRepo
    const requests = yield* Requests
    const replicas = yield* Replicas

    const fibers = yield* FiberMap.make<string, void>()
    let closing = false
    const held = new Map<string, Held>()
    const updateGauge = Effect.suspend(() => Metric.set(leasesHeld, held.size))

    const backoff = (failures: number) =>
      Duration.min(Duration.millis(1000 * 2 ** Math.min(failures - 1, 20)), config.retryMax)

    const running = yield* Permits.make(config.maxRunning)
    // The reads with which a tenant's fiber decides what to do wait here, not in the connection pool: ten thousand
    // tenants claimed at once queue in this FIFO, and stopping them (a hand-over, a shutdown) cancels waits that hold
    // nothing. (Thousands of waits cancelled inside the pg pool release their connections recursively, overflowing the
    // stack.)
    const looking = yield* Permits.make(LOOKS_AT_ONCE)
    const withBusy = <A, E, R>(h: Held, effect: Effect.Effect<A, E, R>) =>
      running.withPermit(
        Ref.set(h.busy, true).pipe(Effect.zipRight(effect), Effect.ensuring(Ref.set(h.busy, false)))
      )

    /** One pass over a tenant: triggers first, then the initial backfill if due, then the delta sync if due. */
    const step = (h: Held) =>
      Effect.gen(function*() {
        const { tenantId } = h.lease
        // The trigger table is read only when the claim loop or a notification said there is something in it.
        const triggered = h.triggered
        h.triggered = false
        // A triggered tenant does not queue behind thousands of freshly claimed ones: someone is waiting for it.
        const look = <A, E, R>(effect: Effect.Effect<A, E, R>) => triggered ? effect : looking.withPermit(effect)
        const asked = triggered ? yield* look(requests.take(h.lease, "backfill")) : Option.none()
        if (Option.isSome(asked)) {
          yield* tenants.unpark(tenantId)
          yield* withBusy(
            h,
            backfill.runInitialBackfill(tenantId, asked.value.days ?? config.backfillDays, {
              restart: asked.value.restart,
              waitForLease: false
            })
          )
        }
        const [tenant, current] = yield* look(Effect.all([tenants.summaryOf(tenantId), repo.state(tenantId)]))
        if (tenant.parkedReason !== null) return { _tag: "Stop", reason: `parked: ${tenant.parkedReason}` } satisfies Step
        const before = Option.getOrNull(current)
        if (before?.initialBackfillStatus === "paused") return { _tag: "Stop", reason: "paused" } satisfies Step
        const backfilling = before?.initialBackfillDoneAt == null && (yield* look(backfill.needsInitialBackfill(tenantId)))
        if (backfilling) {
          // A run someone started with other `days` resumes with those days.
          const days = before?.initialBackfillDays ?? config.backfillDays
          yield* withBusy(h, backfill.runInitialBackfill(tenantId, days, { waitForLease: false }))
        }
        const deltaAsked = triggered ? yield* look(requests.take(h.lease, "delta")) : Option.none()
        const state = Option.isSome(asked) || backfilling ? Option.getOrNull(yield* look(repo.state(tenantId))) : before
        if (state?.initialBackfillDoneAt == null) return { _tag: "Wait", until: 0 } satisfies Step
        const now = yield* Clock.currentTimeMillis
        const intervalMillis = Duration.toMillis(config.deltaInterval)
        const due = Math.max((state.lastSyncAt?.getTime() ?? 0) + intervalMillis, h.firstDeltaAt)
        if (Option.isSome(deltaAsked) || now >= due) {
          const result = yield* withBusy(h, backfill.runOrdersDeltaSync(tenantId, { waitForLease: false }))
          yield* Effect.logInfo(`delta sync: ${result.orders} orders changed since ${result.after}`)
          return { _tag: "Wait", until: (yield* Clock.currentTimeMillis) + intervalMillis } satisfies Step
        }
        return { _tag: "Wait", until: due } satisfies Step
      })

    /** Steps until there is nothing to do; a failure waits out its own backoff and touches no other tenant. */
    const tenantLoop = (h: Held) =>
      Effect.gen(function*() {
        let failures = 0
        while (true) {
          const result = yield* Effect.either(step(h))
          if (Either.isRight(result)) {
            failures = 0
            if (result.right._tag === "Stop") {
              yield* Effect.logInfo(`leaving the tenant alone (${result.right.reason})`)
              return
            }
            const wait = Math.max(0, result.right.until - (yield* Clock.currentTimeMillis))
            yield* h.wake.wait(wait)
            continue
          }
          const error = result.left
          switch (error._tag) {
            case "LeaseLost":
            case "TenantNotFound":
              yield* Effect.logWarning(error.message)
              return
            // The engine parked it, or the backfill stopped at a page because it was paused: the next step sees it.
            case "CredentialsRevoked":
            case "BackfillPaused":
              continue
            case "BackfillNotDone":
              failures = 0
              continue
          }
          failures += 1
          const delay = backoff(failures)
          yield* Effect.logWarning(`run failed (attempt ${failures}); retrying in ${Duration.format(delay)}: ${error.message}`)
          yield* Effect.sleep(delay)
        }
      })

    /**
     * Starts a tenant's fiber. A tenant claimed for a trigger looks at it at once; any other tenant's first delta sync
     * waits a random part of one interval, so that a restart does not fire every tenant's delta sync in one second.
     */
    const start = (lease: Lease, triggered: boolean) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const firstDeltaAt = triggered ? 0 : now + Math.floor(Math.random() * Duration.toMillis(config.deltaInterval))
        const h: Held = { lease, wake: new Wake(), busy: yield* Ref.make(false), firstDeltaAt, triggered }
        held.set(lease.tenantId, h)
        yield* updateGauge
        const fiber = leases.adopt(lease, () => tenantLoop(h)).pipe(
          // The heartbeat found another process holding the lease: stop this tenant only.
          Effect.catchTag("LeaseLost", (error) => Effect.logWarning(error.message)),
          Effect.catchAllCause((cause) => Effect.logError("tenant fiber failed", cause)),
          Effect.ensuring(Effect.suspend(() => {
            if (held.get(lease.tenantId) === h) held.delete(lease.tenantId)
            // Shutting down, the finalizer releases every lease in one statement once the fibers have stopped.
            return closing ? updateGauge : Effect.zipRight(leases.release(lease), updateGauge)
          })),
          Effect.annotateLogs("tenantId", lease.tenantId)
        )
        yield* FiberMap.run(fibers, lease.tenantId, fiber)
      })

    const stop = (tenantId: string) => FiberMap.remove(fibers, tenantId)

    // What the last count of the fleet said, and when; a trigger or a change of replicas asks for a new one.
    let counted: (FleetCounts & { readonly at: number; readonly live: number }) | undefined
    let recount = true
    const notified = new Set<string>()
    const kick = yield* Queue.sliding<void>(1)

    /** A notification: wake the holder now, or (nobody here holds it) count again and claim at once. */
    const onTrigger = (tenantId: string) =>
      Effect.suspend(() => {
        notified.add(tenantId)
        return Queue.offer(kick, undefined)
      })

    const tick = Effect.gen(function*() {
      const live = yield* replicas.heartbeat
      const triggers = yield* requests.pendingTriggers
      const woken = new Set(notified)
      notified.clear()
      for (const { restart, tenantId } of triggers) {
        const h = held.get(tenantId)
        if (h === undefined) {
          woken.add(tenantId)
          continue
        }
        if (restart && (yield* Ref.get(h.busy))) {
          // Stop the run in flight (its page commits first), then take the tenant again to start over.
          yield* Effect.logInfo(`restart requested for tenant ${tenantId}`)
          yield* stop(tenantId)
          const again = yield* leases.claim(tenantId)
          if (Option.isSome(again)) yield* start(again.value, true)
          continue
        }
        woken.add(tenantId)
      }
      const elsewhere: Array<string> = []
      for (const tenantId of woken) {
        const h = held.get(tenantId)
        if (h === undefined) {
          elsewhere.push(tenantId)
          continue
        }
        h.triggered = true
        h.wake.now()
      }
      // A trigger for a tenant nobody holds (resumed, added, its holder gone) changes the count; one another replica
      // holds does not.
      if (elsewhere.length > 0 && (yield* leases.freeAmong(elsewhere)).length > 0) recount = true

      const now = yield* Clock.currentTimeMillis
      if (recount || counted === undefined || counted.live !== live || now - counted.at >= RECOUNT_EVERY_MS) {
        counted = { ...(yield* requests.counts), at: now, live }
        recount = false
        yield* Metric.set(tenantsWanting, counted.wanting)
        yield* Metric.set(tenantsClaimable, counted.claimable)
      }
      const share = Math.ceil(counted.wanting / live)
      yield* Metric.set(tenantsFairShare, share)

      if (held.size > share) {
        // A replica joined (or tenants left): hand over the surplus, idle tenants first, at most one busy one a tick.
        const surplus = Math.min(held.size - share, config.claimBatch)
        const idle: Array<string> = []
        for (const [tenantId, h] of held) {
          if (idle.length >= surplus) break
          if (!(yield* Ref.get(h.busy))) idle.push(tenantId)
        }
        const leaving = idle.length > 0 ? idle : [[...held.keys()].at(-1)!]
        yield* Effect.logInfo(`holding ${held.size} tenants, fair share is ${share}: handing ${leaving.length} over`)
        for (const tenantId of leaving) yield* stop(tenantId)
        yield* Metric.incrementBy(tenantsHandedOver, leaving.length)
        recount = true
        return
      }

      let room = Math.min(share - held.size, config.claimBatch)
      if (room <= 0) return
      // Triggered tenants first, then free leases by age.
      const asked = triggers.map((t) => t.tenantId).filter((id) => !held.has(id))
      const claimed = [...yield* leases.claimAvailable(asked, room)]
      room -= claimed.length
      if (room > 0) claimed.push(...(yield* leases.claimFree(room, MARKETPLACE)))
      for (const lease of claimed) {
        yield* Effect.logDebug(`claimed tenant ${lease.tenantId} (epoch ${lease.epoch})`)
        yield* start(lease, asked.includes(lease.tenantId))
      }
      if (claimed.length > 0) {
        yield* Effect.logInfo(`claimed ${claimed.length} tenants (holding ${held.size}, fair share ${share})`)
        yield* Metric.incrementBy(tenantsClaimed, claimed.length)
        recount = true
      }
    })

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* Effect.logInfo(`shutting down: stopping ${held.size} tenant fibers and releasing their leases`)
        const leaving = [...held.values()].map((h) => h.lease)
        closing = true
        yield* FiberMap.clear(fibers)
        yield* leases.releaseAll(leaving)
        yield* replicas.leave
      })
    )

    // Announce this replica first and claim one poll later, so replicas started together split the tenants.
    yield* replicas.heartbeat.pipe(Effect.catchAllCause((cause) => Effect.logWarning("could not register this replica", cause)))
    yield* listenForTriggers(leases.owner, onTrigger)
    yield* Effect.sleep(config.poll)
    yield* tick.pipe(
      Metric.trackDurationWith(claimTickSeconds, Duration.toSeconds),
      Effect.catchAllCause((cause) => Effect.logWarning("claim loop tick failed; retrying", cause)),
      // The next tick: after one poll, or at once when a notification arrives.
      Effect.zipRight(Effect.raceFirst(Effect.sleep(config.poll), Queue.take(kick))),
      Effect.forever,
      Effect.forkScoped
    )

    /** The tenants this process drives right now. */
    const holding = Effect.sync(() => [...held.keys()].sort())
    /** Tenants' fibers reading their state now or waiting to (after a claim of many, until their first steps are done). */
    const deciding = Effect.map(looking.stats, ({ free, waiting }) => LOOKS_AT_ONCE - free + waiting)
    return { holding, deciding } as const
  }),
  dependencies: [Requests.Default, Replicas.Default]
}) {}
