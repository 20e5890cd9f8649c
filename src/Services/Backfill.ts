import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Cause, Clock, Config, Duration, Effect, Exit, Metric, Option, Ref, Schedule, Stream } from "effect"
import { BackfillProgress, BackfillStatus } from "../Domain/BackfillStatus.js"
import {
  BackfillNotDone,
  BackfillPaused,
  CredentialsRevoked,
  DatabaseUnavailable,
  InvalidRequest,
  PageTokenRejected
} from "../Domain/Errors.js"
import { DEFAULT_BACKFILL_DAYS } from "../Domain/Ids.js"
import type { Order, QuarantinedOrder } from "../Domain/Order.js"
import { backfillProgress, chunkUpsertSeconds, ordersQuarantined, ordersUpserted } from "./Metrics.js"
import * as Permits from "./Permits.js"
import { Orders, type Page, type PageQuery } from "./Orders.js"
import { AmazonClock } from "./SpApi/AmazonClock.js"
import { type SellerAuth, SpApiClient } from "./SpApi/SpApiClient.js"
import { type Lease, Leases } from "./Store/Leases.js"
import { OrderRepo } from "./Store/OrderRepo.js"
import { type BackfillRun, SyncStateRepo, type Window } from "./Store/SyncStateRepo.js"
import { type TenantConnection, Tenants } from "./Store/Tenants.js"

export const BackfillConfig = Config.all({
  /** Orders per checkpoint window: windows follow the volume, never multiplying requests. */
  windowOrders: Config.integer("ORDERSYNC_WINDOW_ORDERS").pipe(Config.withDefault(10_000)),
  /** Backfills fetching pages at the same moment in one process; the others wait their turn (see runWindow). */
  fetchingTenants: Config.integer("ORDERSYNC_FETCHING_TENANTS").pipe(
    Config.withDefault(64),
    Config.validate({ message: "ORDERSYNC_FETCHING_TENANTS must be at least 1", validation: (n) => n >= 1 })
  ),
  deltaOverlap: Config.integer("ORDERSYNC_DELTA_OVERLAP_SECONDS").pipe(Config.withDefault(900), Config.map(Duration.seconds))
})

export interface RunOptions {
  /** Start over even when a run is finished or half done. */
  readonly restart?: boolean
  /** Record an interruption as `paused` (a Ctrl-C in the one-shot CLI); the daemon leaves `in_progress` for a takeover. */
  readonly pauseOnInterrupt?: boolean
  /** Wait up to one lease TTL for a holder that may be dead (the CLI); the daemon claims leases itself. */
  readonly waitForLease?: boolean
}

export interface DeltaResult {
  readonly tenantId: string
  readonly after: string
  readonly before: string
  readonly pages: number
  readonly orders: number
  readonly requests: number
}

const split = (page: Page) => {
  const orders: Array<Order> = []
  const quarantined: Array<QuarantinedOrder> = []
  for (const decoded of page.take()) {
    if (decoded._tag === "Order") orders.push(decoded.order)
    else quarantined.push(decoded.quarantined)
  }
  return { orders, quarantined }
}

const maxDate = (orders: ReadonlyArray<Order>, field: "orderDate" | "lastUpdateDate") =>
  orders.reduce<Date | null>((max, o) => (max === null || o[field] > max ? o[field] : max), null)

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null)

const databaseRetry = Schedule.exponential("200 millis").pipe(
  Schedule.modifyDelay((delay) => Duration.min(delay, Duration.seconds(5))),
  Schedule.upTo("60 seconds")
)

/** Repositories treat SQL errors as defects; at the edge of a run they become a failure the caller can retry. */
const databaseFailures = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | DatabaseUnavailable, R> =>
  Effect.catchAllDefect(self, (defect) =>
    defect instanceof SqlError ? Effect.fail(new DatabaseUnavailable({ reason: defect.message })) : Effect.die(defect))

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits

/** A backfill that would wait longer than this for its quota parks between pages instead (see Orders.pages). */
const PARK_AFTER = Duration.seconds(1)

/** Pages a backfill stores in one turn before it lets a waiting tenant have one. */
const PAGES_PER_TURN = 20

/**
 * The engine: a tenant's order pages as a Stream, paced and retried by the SP-API client, each page committed in
 * one fenced transaction together with its checkpoint.
 */
export class Backfill extends Effect.Service<Backfill>()("ordersync/Backfill", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const tenants = yield* Tenants
    const leases = yield* Leases
    const orders = yield* Orders
    const orderRepo = yield* OrderRepo
    const repo = yield* SyncStateRepo
    const amazonClock = yield* AmazonClock
    const client = yield* SpApiClient
    const config = yield* BackfillConfig
    const turns = yield* Permits.make(config.fetchingTenants)

    const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))
    /**
     * The latest `*Before` Amazon accepts: Amazon's now (from its Date headers) minus the 2-minute rule and a margin;
     * `widen` multiplies the margin, after Amazon refused a bound all the same.
     */
    const listableUntil = (seller: SellerAuth, widen = 1) =>
      Effect.zipRight(client.syncClock(seller), amazonClock.listableUntil(seller.region, widen))

    /**
     * One transaction, checked against the lease epoch, that an interruption cannot cut in half. A database that
     * is briefly away (a restart, a failover) is waited for: the transaction is retried for up to a minute.
     */
    const fenced = <A, E, R>(lease: Lease, body: Effect.Effect<A, E, R>) =>
      sql.withTransaction(Effect.zipRight(leases.fence(lease), body)).pipe(
        // Repositories treat SQL errors as defects; here a lost connection is worth waiting for.
        Effect.catchAllDefect((defect) => defect instanceof SqlError ? Effect.fail(defect) : Effect.die(defect)),
        Effect.tapError((error) =>
          error instanceof SqlError ? Effect.logWarning(`database unavailable, retrying: ${error.message}`) : Effect.void
        ),
        Effect.retry({ while: (error) => error instanceof SqlError, schedule: databaseRetry }),
        Effect.catchTag("SqlError", Effect.die),
        Effect.uninterruptible
      )

    const stopIfPaused = (tenantId: string) =>
      Effect.flatMap(repo.state(tenantId), (state) =>
        Option.exists(state, (s) => s.initialBackfillStatus === "paused")
          ? Effect.fail(new BackfillPaused({ tenantId }))
          : Effect.void)

    const commitPage = (lease: Lease, window: Ref.Ref<Window>, page: Page, activeMillis: number) =>
      Effect.gen(function*() {
        const { orders: decoded, quarantined } = split(page)
        const current = yield* Ref.get(window)
        const lastCreated = maxDate(decoded, "orderDate")
        const nextToken = Option.getOrNull(page.nextToken)
        const started = yield* Clock.currentTimeMillis
        const upserted = yield* fenced(lease, Effect.gen(function*() {
          yield* stopIfPaused(lease.tenantId)
          const result = yield* orderRepo.upsert(lease.tenantId, decoded)
          const kept = yield* orderRepo.quarantine(lease.tenantId, quarantined)
          yield* repo.advance(lease.tenantId, current.windowIndex, {
            pageToken: nextToken,
            resumeAfter: lastCreated,
            done: nextToken === null
          }, {
            orders: decoded.length,
            requests: page.attempts,
            throttled: page.throttled,
            quarantined: kept,
            activeMillis
          })
          const filled = current.orders + decoded.length
          if (nextToken !== null && lastCreated !== null && filled >= config.windowOrders) {
            const full: Window = { ...current, pageToken: nextToken }
            yield* repo.split(lease.tenantId, full, lastCreated)
            yield* Ref.set(window, {
              ...current,
              windowIndex: current.windowIndex + 1,
              startAt: lastCreated,
              resumeAfter: lastCreated,
              pageToken: nextToken,
              pages: 0,
              orders: 0
            })
          } else {
            yield* Ref.set(window, {
              ...current,
              pageToken: nextToken,
              resumeAfter: lastCreated ?? current.resumeAfter,
              pages: current.pages + 1,
              orders: filled
            })
          }
          return result.inserted + result.updated
        }))
        const elapsed = (yield* Clock.currentTimeMillis) - started
        yield* Metric.update(chunkUpsertSeconds, elapsed / 1000)
        yield* Metric.incrementBy(ordersUpserted, upserted)
        yield* Metric.incrementBy(ordersQuarantined, quarantined.length)
      })

    /**
     * A window's pages, committed one by one. A refused page token restarts the window from its last order.
     *
     * Pages are fetched in turns: a tenant holds one of `ORDERSYNC_FETCHING_TENANTS` while its stream runs, for up
     * to PAGES_PER_TURN pages or until it must wait for its quota (the stream parks). Each page is committed with its
     * checkpoint, so the next turn opens a new stream where the last one stopped. A thousand tenants then hold a
     * thousand small waits, not a thousand streams with a request's stack each, and they take turns in order.
     */
    const runWindow = (lease: Lease, seller: SellerAuth, marketplaceIds: ReadonlyArray<string>, start: Window) =>
      Effect.gen(function*() {
        const window = yield* Ref.make(start)
        const lastCommit = yield* Ref.make(yield* Clock.currentTimeMillis)
        let restarts = 0
        let boundRefused = false
        while (true) {
          const current = yield* Ref.get(window)
          const query: PageQuery = {
            family: "created",
            after: current.queryStart,
            before: current.endAt,
            marketplaceIds,
            token: Option.fromNullable(current.pageToken)
          }
          const result = yield* turns.withPermit(
            orders.pages(seller, query, (page) =>
              Effect.gen(function*() {
                const at = yield* Clock.currentTimeMillis
                yield* commitPage(lease, window, page, at - (yield* Ref.getAndSet(lastCommit, at)))
                yield* Ref.set(lastCommit, yield* Clock.currentTimeMillis)
              }), { parkAfter: PARK_AFTER }).pipe(Stream.take(PAGES_PER_TURN), Stream.runDrain, Effect.either)
          )
          // The turn ended after PAGES_PER_TURN pages, or the window is done (no page token left).
          if (result._tag === "Right") {
            if ((yield* Ref.get(window)).pageToken === null) return
            continue
          }
          if (result.left._tag === "QuotaWait") {
            // Every page so far is committed with its checkpoint: wait here, with the stream gone, then go on.
            const { attempts, millis, throttled } = result.left
            if (attempts > 0) yield* fenced(lease, repo.countRequests(lease.tenantId, { requests: attempts, throttled }))
            yield* Effect.sleep(Duration.millis(millis))
            continue
          }
          const refused = yield* Ref.get(window)
          if (result.left._tag === "ListingBoundRefused" && !boundRefused) {
            // The host's clock runs ahead of Amazon's by more than the margin: end the window earlier, once (the
            // delta sync lists what the backfill's range no longer covers).
            boundRefused = true
            const end = yield* listableUntil(seller, 2)
            yield* Effect.logWarning(`${result.left.message}; ending window ${refused.windowIndex} at ${end.toISOString()} and retrying`)
            yield* Ref.set(window, yield* fenced(lease, repo.restartWindow(lease.tenantId, refused, end)))
            continue
          }
          // Bounded: a window whose token is refused again and again without a page in between is failing.
          restarts = refused.pages > current.pages || refused.windowIndex !== current.windowIndex ? 1 : restarts + 1
          if (result.left._tag !== "PageTokenRejected" || restarts > 5) return yield* result.left
          yield* Effect.logWarning(`page token refused (${result.left.reason}); restarting window ${refused.windowIndex} from its last committed order`)
          yield* Ref.set(window, yield* fenced(lease, repo.restartWindow(lease.tenantId, refused)))
        }
      })

    const describeFailure = (error: { readonly _tag: string; readonly message?: string }) =>
      error.message && error.message !== "" ? error.message : error._tag

    /** Validates the range, and takes the tenant and its lease, before anything else. */
    const checkDays = (days: number) =>
      Number.isInteger(days) && days >= 1 && days <= 730
        ? Effect.void
        : Effect.fail(new InvalidRequest({ reason: `days must be an integer between 1 and 730 (got ${days})` }))

    const backfillUnderLease = (tenant: TenantConnection, days: number, options: RunOptions) => (lease: Lease) =>
      Effect.gen(function*() {
        const tenantId = tenant.tenantId
        const run = yield* repo.run(tenantId)
        const state = yield* repo.state(tenantId)
        const finished = Option.exists(state, (s) => s.initialBackfillStatus === "success") &&
          Option.exists(run, (r) => r.finishedAt !== null && r.days === days)
        if (finished && !options.restart) {
          yield* Effect.logInfo(`tenant ${tenantId}: the ${days}-day backfill is already complete (restart to fetch it again)`)
          return
        }
        const resumable = Option.exists(run, (r) => r.finishedAt === null && r.days === days) && !options.restart
        yield* fenced(lease, Effect.gen(function*() {
          if (!resumable) {
            const rangeEnd = yield* listableUntil(tenant)
            const rangeStart = new Date(rangeEnd.getTime() - days * 86_400_000)
            yield* repo.startRun(tenantId, days, rangeStart, rangeEnd)
            yield* repo.patchState(tenantId, { status: "in_progress", days, doneAt: null, lastError: null })
          } else {
            yield* repo.patchState(tenantId, { status: "in_progress", lastError: null })
          }
        }))
        yield* Effect.logInfo(resumable ? `resuming the ${days}-day backfill` : `starting a ${days}-day backfill`)
        const windows = yield* repo.windows(tenantId)
        for (const window of windows) {
          if (window.status === "done") continue
          yield* runWindow(lease, tenant, tenant.marketplaceIds, window)
          yield* Effect.logInfo(`window ${window.windowIndex} done`)
        }
        const finishedRun = yield* repo.run(tenantId)
        const rangeEnd = Option.getOrThrow(finishedRun).rangeEnd
        yield* fenced(lease, Effect.gen(function*() {
          const current = yield* repo.state(tenantId)
          const cursor = Option.getOrNull(Option.flatMap(current, (s) => Option.fromNullable(s.cursor)))
          yield* repo.finishRun(tenantId)
          yield* repo.patchState(tenantId, {
            status: "success",
            doneAt: yield* now,
            lastError: null,
            // Delta syncs start where the backfill's range ended, unless a delta sync already went further.
            cursor: cursor !== null && cursor > rangeEnd ? cursor : rangeEnd,
            lastSyncAt: yield* now
          })
        }))
        yield* Effect.logInfo(`backfill complete`)
      })

    /** Marks the outcome of a run that did not succeed, if this process may still write for the tenant. */
    const recordFailure = (lease: Lease, tenantId: string, exit: Exit.Exit<unknown, { readonly _tag: string; readonly message?: string }>, options: RunOptions) =>
      Effect.gen(function*() {
        if (Exit.isSuccess(exit)) return
        if (Exit.isInterrupted(exit)) {
          if (options.pauseOnInterrupt) {
            yield* fenced(lease, repo.patchState(tenantId, { status: "paused" })).pipe(
              Effect.tapErrorCause((cause) => Effect.logWarning("could not record the pause", cause)),
              Effect.ignore
            )
            yield* Effect.logInfo("backfill paused")
          }
          return
        }
        const failure = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
        if (failure?._tag === "LeaseLost" || failure?._tag === "BackfillPaused") return
        const reason = failure ? describeFailure(failure) : "unexpected error (see the logs)"
        if (failure instanceof CredentialsRevoked) yield* tenants.park(tenantId, reason)
        yield* fenced(lease, repo.patchState(tenantId, { status: "failed", lastError: reason })).pipe(Effect.ignore)
      })

    /** Fetches every order created in the last `days` days (default 365) into "Order"; resumes a run left half done. */
    const runInitialBackfill = (tenantId: string, days: number = DEFAULT_BACKFILL_DAYS, options: RunOptions = {}) =>
      Effect.gen(function*() {
        yield* checkDays(days)
        const tenant = yield* tenants.get(tenantId)
        yield* leases.withLease(tenantId, (lease) =>
          backfillUnderLease(tenant, days, options)(lease).pipe(
            Effect.onExit((exit) => recordFailure(lease, tenantId, exit, options))
          ), { wait: options.waitForLease ?? true })
        return yield* getBackfillStatus(tenantId)
      }).pipe(databaseFailures, Effect.annotateLogs("tenantId", tenantId), Effect.withSpan("runInitialBackfill"))

    /** Fetches what changed since the cursor (minus an overlap for late orders) up to now minus the 2-minute rule. */
    const runOrdersDeltaSync = (tenantId: string, options: Pick<RunOptions, "waitForLease"> = {}) =>
      Effect.gen(function*() {
        const tenant = yield* tenants.get(tenantId)
        return yield* leases.withLease(tenantId, (lease) =>
          Effect.gen(function*() {
            const state = yield* repo.state(tenantId)
            const cursor = Option.getOrNull(Option.flatMap(state, (s) => Option.fromNullable(s.cursor)))
            if (cursor === null) return yield* new BackfillNotDone({ tenantId })
            const after = new Date(cursor.getTime() - Duration.toMillis(config.deltaOverlap))
            let before = yield* listableUntil(tenant)
            const totals = { pages: 0, orders: 0, requests: 0 }
            if (before > after) {
              let restarts = 0
              let boundRefused = false
              let from = after
              while (true) {
                const result = yield* orders.pages(tenant, {
                  family: "lastUpdated",
                  after: from,
                  before,
                  marketplaceIds: tenant.marketplaceIds,
                  token: Option.none()
                }, (page) =>
                  Effect.gen(function*() {
                    const { orders: decoded, quarantined } = split(page)
                    const newest = maxDate(decoded, "lastUpdateDate")
                    const upserted = yield* fenced(lease, Effect.gen(function*() {
                      const result = yield* orderRepo.upsert(tenantId, decoded)
                      yield* orderRepo.quarantine(tenantId, quarantined)
                      // Pages come oldest change first, so everything before `newest` is stored.
                      if (newest !== null && newest > cursor) yield* repo.patchState(tenantId, { cursor: newest })
                      return result.inserted + result.updated
                    }))
                    if (newest !== null && newest > from) from = newest
                    totals.pages += 1
                    totals.orders += decoded.length
                    totals.requests += page.attempts
                    yield* Metric.incrementBy(ordersUpserted, upserted)
                    yield* Metric.incrementBy(ordersQuarantined, quarantined.length)
                  })).pipe(Stream.runDrain, Effect.either)
                if (result._tag === "Right") break
                if (result.left._tag === "ListingBoundRefused" && !boundRefused) {
                  // The host's clock runs ahead of Amazon's by more than the margin: an earlier bound, once.
                  boundRefused = true
                  before = yield* listableUntil(tenant, 2)
                  yield* Effect.logWarning(`${result.left.message}; retrying with ${before.toISOString()}`)
                  if (before <= from) break
                  continue
                }
                if (!(result.left instanceof PageTokenRejected) || restarts >= 3) return yield* result.left
                restarts += 1
                from = new Date(Math.max(after.getTime(), from.getTime() - Duration.toMillis(config.deltaOverlap)))
              }
            }
            yield* fenced(lease, repo.patchState(tenantId, {
              cursor: before > cursor ? before : cursor,
              lastSyncAt: yield* now,
              lastError: null
            }))
            return { tenantId, after: after.toISOString(), before: before.toISOString(), ...totals } satisfies DeltaResult
          }).pipe(
            Effect.tapErrorTag("CredentialsRevoked", (error) =>
              Effect.zipRight(
                tenants.park(tenantId, error.message),
                fenced(lease, repo.patchState(tenantId, { lastError: error.message })).pipe(Effect.ignore)
              ))
          ), { wait: options.waitForLease ?? true })
      }).pipe(databaseFailures, Effect.annotateLogs("tenantId", tenantId), Effect.withSpan("runOrdersDeltaSync"))

    /** True when the tenant never finished an initial backfill and no live process is running one. */
    const needsInitialBackfill = (tenantId: string) =>
      Effect.gen(function*() {
        yield* tenants.summaryOf(tenantId)
        const state = yield* repo.state(tenantId)
        if (Option.isNone(state)) return true
        if (state.value.initialBackfillDoneAt !== null) return false
        const holder = yield* leases.holder(tenantId)
        const mine = yield* leases.current(tenantId)
        return Option.isNone(holder) || Option.isSome(mine)
      })

    const progressOf = (run: Option.Option<BackfillRun>, windows: ReadonlyArray<Window>, done: boolean) => {
      if (Option.isNone(run)) {
        return new BackfillProgress({
          rangeStart: null, rangeEnd: null, startedAt: null, windowsDone: 0, windowsTotal: 0, pages: 0,
          ordersFetched: 0, requests: 0, requestsPer100Orders: null, throttledRequests: 0, quarantinedOrders: 0,
          coverage: 0, ordersPerMinute: null, requestsPerMinute: null, estimatedSecondsRemaining: null
        })
      }
      const r = run.value
      const span = Math.max(1, r.rangeEnd.getTime() - r.rangeStart.getTime())
      const covered = windows.reduce((sum, w) => {
        const end = w.status === "done" ? w.endAt : w.resumeAfter
        return sum + (end ? Math.max(0, end.getTime() - w.startAt.getTime()) : 0)
      }, 0)
      const coverage = done ? 1 : Math.min(1, covered / span)
      const windowsDone = windows.filter((w) => w.status === "done").length
      const minutes = r.activeMillis / 60_000
      const remainingOrders = coverage > 0 ? (r.ordersFetched * (1 - coverage)) / coverage : null
      return new BackfillProgress({
        rangeStart: iso(r.rangeStart),
        rangeEnd: iso(r.rangeEnd),
        startedAt: iso(r.startedAt),
        windowsDone,
        windowsTotal: done || remainingOrders === null
          ? windows.length
          : Math.max(windows.length, windowsDone + Math.ceil(remainingOrders / config.windowOrders)),
        pages: r.pages,
        ordersFetched: r.ordersFetched,
        requests: r.requests,
        requestsPer100Orders: r.ordersFetched > 0 ? round((r.requests * 100) / r.ordersFetched) : null,
        throttledRequests: r.throttled,
        quarantinedOrders: r.quarantined,
        coverage: round(coverage, 4),
        ordersPerMinute: minutes > 0 ? round(r.ordersFetched / minutes, 1) : null,
        requestsPerMinute: minutes > 0 ? round(r.requests / minutes, 2) : null,
        estimatedSecondsRemaining: done ? 0 : coverage > 0 ? Math.round((r.activeMillis / 1000) * (1 - coverage) / coverage) : null
      })
    }

    /** The seed's status JSON plus progress. */
    const getBackfillStatus = (tenantId: string) =>
      Effect.gen(function*() {
        yield* tenants.summaryOf(tenantId)
        const [state, run, windows, summary, holder] = yield* Effect.all([
          repo.state(tenantId),
          repo.run(tenantId),
          repo.windows(tenantId),
          orderRepo.summary(tenantId),
          leases.holder(tenantId)
        ])
        const s = Option.getOrNull(state)
        const done = s?.initialBackfillStatus === "success"
        const progress = progressOf(run, windows, done)
        yield* Metric.set(Metric.tagged(backfillProgress, "tenant", tenantId), progress.coverage)
        return new BackfillStatus({
          tenantId,
          initialBackfillDays: s?.initialBackfillDays ?? null,
          initialBackfillDoneAt: iso(s?.initialBackfillDoneAt),
          initialBackfillStatus: s?.initialBackfillStatus ?? null,
          ordersCount: summary.ordersCount,
          oldestOrderDate: iso(summary.oldestOrderDate),
          lastError: s?.lastError ?? null,
          lastSyncAt: iso(s?.lastSyncAt),
          cursor: iso(s?.cursor),
          leaseHolder: Option.getOrNull(Option.map(holder, (h) => h.owner)),
          progress: new BackfillProgress({ ...progress, quarantinedOrders: Math.max(progress.quarantinedOrders, summary.quarantined) })
        })
      })

    /** Asks a running backfill to stop at its next page (whichever process runs it). */
    const pause = (tenantId: string) =>
      Effect.gen(function*() {
        yield* tenants.summaryOf(tenantId)
        yield* sql`UPDATE "MarketplaceSyncState" SET "initialBackfillStatus" = 'paused', "updatedAt" = now() AT TIME ZONE 'UTC'
          WHERE "tenantId" = ${tenantId} AND "initialBackfillStatus" IN ('in_progress', 'failed')`.pipe(Effect.orDie)
        return yield* getBackfillStatus(tenantId)
      })

    /** Lets a paused backfill be picked up again (by the daemon, or the next `backfill run`). */
    const resume = (tenantId: string) =>
      Effect.gen(function*() {
        yield* tenants.summaryOf(tenantId)
        yield* sql`UPDATE "MarketplaceSyncState" SET "initialBackfillStatus" = 'in_progress', "updatedAt" = now() AT TIME ZONE 'UTC'
          WHERE "tenantId" = ${tenantId} AND "initialBackfillStatus" = 'paused'`.pipe(Effect.orDie)
        yield* tenants.unpark(tenantId)
        return yield* getBackfillStatus(tenantId)
      })

    return { runInitialBackfill, runOrdersDeltaSync, needsInitialBackfill, getBackfillStatus, pause, resume } as const
  })
}) {}
