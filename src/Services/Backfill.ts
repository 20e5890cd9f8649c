import { SqlError } from "@effect/sql/SqlError"
import { Cause, Clock, Duration, Effect, Exit, Option } from "effect"
import { CredentialsRevoked, DatabaseUnavailable, InvalidRequest } from "../Domain/Errors.js"
import { DEFAULT_BACKFILL_DAYS } from "../Domain/Ids.js"
import type { ReportTotalsUntrusted } from "../Domain/TotalRule.js"
import { Delta } from "./Delta.js"
import { BackfillConfig, ReportsConfig } from "./History/BackfillConfig.js"
import * as Drive from "./History/Drive.js"
import { OrdersSource, type WindowCursor } from "./History/OrdersSource.js"
import { choose, reportsInRegion } from "./History/Planner.js"
import { REPORT_MAX_MARKETPLACES, ReportsSource } from "./History/ReportsSource.js"
import { Sink } from "./History/Sink.js"
import { Orders } from "./Orders.js"
import { SpApiClient } from "./SpApi/SpApiClient.js"
import { Status } from "./Status.js"
import { notifyTrigger } from "./Daemon/Triggers.js"
import { type Lease, Leases } from "./Store/Leases.js"
import { SyncStateRepo, type Window } from "./Store/SyncStateRepo.js"
import { type TenantConnection, Tenants } from "./Store/Tenants.js"

export interface RunOptions {
  /** Start over even when a run is finished or half done. */
  readonly restart?: boolean
  /** Record an interruption as `paused` (a Ctrl-C in the one-shot CLI); the daemon leaves `in_progress` for a takeover. */
  readonly pauseOnInterrupt?: boolean
  /** Wait up to one lease TTL for a holder that may be dead (the CLI); the daemon claims leases itself. */
  readonly waitForLease?: boolean
}

/** What a piece of a backfill can fail with (see Drive's `Next`). */
type PieceError =
  | Effect.Effect.Error<ReturnType<OrdersSource["turn"]>>
  | Effect.Effect.Error<ReturnType<ReportsSource["run"]>>

/** A 403 on a Reports API operation with good credentials (Errors.ts `RoleMissing`): the application lacks the role. */
const roleMissing = (error: { readonly _tag: string }) => error._tag === "RoleMissing"

/** The history reason of a tenant whose report totals match no rule. */
const untrustedTotals = (reason: string) => `report totals match no rule (${reason}): history through the Orders API`

/** Repositories treat SQL errors as defects; at the edge of a run they become a failure the caller can retry. */
const databaseFailures = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | DatabaseUnavailable, R> =>
  Effect.catchAllDefect(self, (defect) =>
    defect instanceof SqlError ? Effect.fail(new DatabaseUnavailable({ reason: defect.message })) : Effect.die(defect))

/**
 * The initial backfill of a tenant: a range of days, a history path chosen by the planner (Orders API pages or
 * order reports), every chunk committed through the sink with its checkpoint, and the delta cursor at the end.
 */
export class Backfill extends Effect.Service<Backfill>()("ordersync/Backfill", {
  effect: Effect.gen(function*() {
    const tenants = yield* Tenants
    const leases = yield* Leases
    const repo = yield* SyncStateRepo
    const sink = yield* Sink
    const ordersSource = yield* OrdersSource
    const reportsSource = yield* ReportsSource
    const orders = yield* Orders
    const client = yield* SpApiClient
    const delta = yield* Delta
    const status = yield* Status
    const config = yield* BackfillConfig
    const reportsConfig = yield* ReportsConfig

    const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

    /** Validates the range before anything else. */
    const checkDays = (days: number) =>
      Number.isInteger(days) && days >= 1 && days <= 730
        ? Effect.void
        : Effect.fail(new InvalidRequest({ reason: `days must be an integer between 1 and 730 (got ${days})` }))

    /**
     * Hands the whole range to the reports: report windows up to the report lag, then an Orders API window for the
     * last minutes, which reports do not have yet. Window 0 (the planner's first page, if any) is closed at the
     * range's start: the first report holds that page's orders again, which is how the report total rule is chosen
     * (orders priced by both; see ReportsSource's `ruled`). Its report rows never replace the page's rows of the same
     * version (ON_CONFLICT_NEWER_ONLY_REPORT), and a year is still 13 reports.
     */
    const planReports = (lease: Lease, first: Window, rangeStart: Date, rangeEnd: Date, reason: string) =>
      sink.fenced(lease, Effect.gen(function*() {
        const tailStart = new Date(Math.max(rangeStart.getTime(), rangeEnd.getTime() - Duration.toMillis(reportsConfig.lag)))
        yield* repo.closeWindow(lease.tenantId, first.windowIndex, rangeStart)
        yield* reportsSource.plan(lease.tenantId, rangeStart, tailStart)
        yield* repo.addWindow(lease.tenantId, tailStart, rangeEnd)
        yield* repo.chooseSource(lease.tenantId, "reports", reason)
      }))

    /** The planner's choice from the sample (the first page of the range, stored like any other): path and why. */
    const choosePath = (lease: Lease, tenant: TenantConnection, sampled: Window, rangeStart: Date, rangeEnd: Date) =>
      Effect.gen(function*() {
        const run = Option.getOrThrow(yield* repo.run(lease.tenantId))
        const quota = yield* client.quota(lease.tenantId, orders.operation)
        // With v0 items, each order costs a getOrderItems call of its own: the planner counts that operation's quota too.
        const items = orders.itemsOperation === undefined ? undefined : yield* client.quota(lease.tenantId, orders.itemsOperation)
        const plan = choose({
          rangeStart,
          rangeEnd,
          sample: { orders: sampled.orders, lastCreated: sampled.resumeAfter, complete: sampled.pageToken === null },
          quota,
          ...(items === undefined ? {} : { items }),
          reportSeconds: run.reportSecondsObserved ?? reportsConfig.estimate,
          reportSecondsSeen: run.reportSecondsObserved !== null,
          reportLag: reportsConfig.lag,
          region: tenant.region,
          reportsInRegion: reportsInRegion(tenant.region, config.reportsFe, run.reportSecondsObserved !== null)
        })
        if (plan.source === "reports" && sampled.resumeAfter !== null) {
          yield* planReports(lease, sampled, rangeStart, rangeEnd, plan.reason)
        } else {
          yield* sink.fenced(lease, repo.chooseSource(lease.tenantId, "orders", plan.reason))
        }
      })

    /**
     * A backfill is a chain of pieces of work under its lease, each answering what comes next (see Drive): a piece
     * that fetches takes one of the turns first (at most `ORDERSYNC_FETCHING_TENANTS`, see Turns), and a wait for the
     * seller's quota happens between two pieces, with the piece and its stack gone. A tenant waiting minutes for its
     * quota then holds its lease, its window's cursor and an alarm.
     */
    type Next = Drive.Next<PieceError>
    const done: Next = { _tag: "Done" }
    /** A piece that fetches (it takes a turn first), built when it runs (see Drive's `Next`). */
    const fetching = (work: () => Effect.Effect<Next, PieceError>): Next => ({ _tag: "Work", turn: true, work })

    /** The first piece of a tenant's backfill; the others follow from it. */
    const pieces = (lease: Lease, tenant: TenantConnection, days: number, options: RunOptions) => {
      const tenantId = tenant.tenantId
      type Path = "orders" | "reports"

      const start = Effect.gen(function*() {
        const run = yield* repo.run(tenantId)
        const state = yield* repo.state(tenantId)
        // Without a run of ours, a finished state is the original backend's own backfill: it is kept.
        const finished = Option.exists(state, (s) => s.initialBackfillStatus === "success") && Option.match(run, {
          onNone: () => Option.exists(state, (s) => s.initialBackfillDoneAt !== null && (s.initialBackfillDays ?? days) === days),
          onSome: (r) => r.finishedAt !== null && r.days === days
        })
        if (finished && !options.restart) {
          yield* Effect.logInfo(`tenant ${tenantId}: the ${days}-day backfill is already complete (restart to fetch it again)`)
          return done
        }
        const resumable = Option.exists(run, (r) => r.finishedAt === null && r.days === days) && !options.restart
        yield* sink.fenced(lease, Effect.gen(function*() {
          if (!resumable) {
            // A restart decides the report total rule again (a tenant whose rule is 'none' may use reports again).
            if (options.restart) yield* tenants.setTotalRule(tenantId, null, null)
            const rangeEnd = yield* client.listableUntil(tenant)
            const rangeStart = new Date(rangeEnd.getTime() - days * 86_400_000)
            yield* repo.startRun(tenantId, days, rangeStart, rangeEnd)
            yield* repo.patchState(tenantId, { status: "in_progress", days, doneAt: null, lastError: null })
          } else {
            yield* repo.patchState(tenantId, { status: "in_progress", lastError: null })
          }
        }))
        yield* Effect.logInfo(resumable ? `resuming the ${days}-day backfill` : `starting a ${days}-day backfill`)
        const { historySource, rangeStart, rangeEnd } = Option.getOrThrow(yield* repo.run(tenantId))
        if (historySource !== null) return yield* afterChoice(historySource)
        if (config.historySource === "orders") {
          yield* sink.fenced(lease, repo.chooseSource(tenantId, "orders", "ORDERSYNC_HISTORY_SOURCE=orders"))
          return yield* chosen
        }
        if (tenant.marketplaceIds.length > REPORT_MAX_MARKETPLACES) {
          // Under the model's reading a report holds only the marketplaces asked, and createReport takes 25 (F9).
          yield* sink.fenced(lease, repo.chooseSource(tenantId, "orders",
            `${tenant.marketplaceIds.length} marketplaces, more than the ${REPORT_MAX_MARKETPLACES} a report can be asked for: history through the Orders API`))
          return yield* chosen
        }
        const totals = yield* tenants.totalRule(tenantId)
        if (totals.rule === "none") {
          yield* sink.fenced(lease, repo.chooseSource(tenantId, "orders", `${untrustedTotals(totals.reason ?? "no rule fits")}, until backfill run --restart`))
          return yield* chosen
        }
        const [first] = yield* repo.windows(tenantId)
        if (config.historySource === "reports") {
          yield* planReports(lease, first!, rangeStart, rangeEnd, "ORDERSYNC_HISTORY_SOURCE=reports")
          return yield* chosen
        }
        const cursor = yield* ordersSource.open(first!, { maxPages: 1 })
        return fetching(() => sample(cursor, rangeStart, rangeEnd))
      })

      /** A window's turns until it ends (done, or its budget spent), a wait for the quota between two when need be. */
      const windowTurns = (cursor: WindowCursor, ended: (window: Window) => Effect.Effect<Next, PieceError>): Effect.Effect<Next, PieceError> =>
        Effect.flatMap(ordersSource.turn(lease, tenant, tenant.marketplaceIds, cursor), (result): Effect.Effect<Next, PieceError> => {
          switch (result._tag) {
            case "More":
              return Effect.succeed(fetching(() => windowTurns(result.cursor, ended)))
            case "Wait":
              return Effect.succeed({ _tag: "Wait", millis: result.millis, then: fetching(() => windowTurns(result.cursor, ended)) })
            case "End":
              return ended(result.window)
          }
        })

      // The first page of the range is the planner's sample: it is stored like any other, and may be all there is.
      const sample = (cursor: WindowCursor, rangeStart: Date, rangeEnd: Date) =>
        windowTurns(cursor, (sampled) => Effect.zipRight(choosePath(lease, tenant, sampled, rangeStart, rangeEnd), chosen))

      const chosen: Effect.Effect<Next> = Effect.suspend(() =>
        Effect.gen(function*() {
          const run = Option.getOrThrow(yield* repo.run(tenantId))
          yield* Effect.logInfo(`history through ${run.historySource === "reports" ? "order reports" : "the Orders API"}: ${run.historyReason}`)
          return yield* afterChoice(run.historySource ?? "orders")
        }))

      const afterChoice = (path: Path): Effect.Effect<Next> =>
        path === "reports"
          ? Effect.succeed({
            _tag: "Work",
            // Reports wait minutes for Amazon to write them: they do not hold a turn meanwhile.
            turn: false,
            work: () =>
              Effect.zipRight(
                reportsSource.run(lease, tenant, tenant.marketplaceIds).pipe(
                  Effect.catchIf(roleMissing, (denied) => withoutReports(denied)),
                  Effect.catchTag("ReportTotalsUntrusted", (untrusted) => withoutReportTotals(untrusted))
                ),
                apiWindows(path)
              )
          })
          : apiWindows(path)

      // The application has no Reports API role for this seller: the whole history goes through the Orders API.
      const withoutReports = (denied: { readonly _tag: string }) =>
        Effect.gen(function*() {
          const operation = (denied as { readonly operation?: string }).operation ?? "a Reports API call"
          const reason = `Reports API role missing (Amazon denied ${operation}): history through the Orders API`
          yield* Effect.logWarning(reason)
          yield* sink.fenced(lease, Effect.zipRight(reportsSource.handOver(lease), repo.chooseSource(tenantId, "orders", reason)))
        })

      // The report rows give no trustworthy totals for this tenant: its history goes through the Orders API. With no
      // rule fitting, 'none' is stored (reports are not used for it again until a restart) and the windows already
      // stored from reports are listed again too; undecided, those hold only orders without tax, whose totals hold.
      const withoutReportTotals = (untrusted: ReportTotalsUntrusted) =>
        Effect.gen(function*() {
          const none = untrusted.decided === "none"
          const reason = none
            ? untrustedTotals(untrusted.reason)
            : `report totals not decided (${untrusted.reason}): history through the Orders API`
          yield* Effect.logWarning(reason)
          yield* sink.fenced(lease, Effect.all([
            none ? tenants.setTotalRule(tenantId, "none", untrusted.reason) : Effect.void,
            reportsSource.handOver(lease, { done: none }),
            repo.chooseSource(tenantId, "orders", reason)
          ], { discard: true }))
        })

      // The Orders API windows: all of them, or the reports' tail and any report that failed for good.
      const apiWindows = (path: Path) =>
        Effect.flatMap(repo.windows(tenantId), (windows) => nextWindow(path, windows.filter((w) => w.status !== "done")))

      const nextWindow = (path: Path, windows: ReadonlyArray<Window>): Effect.Effect<Next> => {
        const [window, ...rest] = windows
        if (window === undefined) return Effect.succeed(fetching(() => finish(path)))
        return Effect.map(ordersSource.open(window), (cursor) => fetching(() => pages(path, window, cursor, rest)))
      }

      const pages = (path: Path, window: Window, cursor: WindowCursor, rest: ReadonlyArray<Window>) =>
        windowTurns(cursor, () => Effect.zipRight(Effect.logInfo(`window ${window.windowIndex} done`), nextWindow(path, rest)))

      const finish = (path: Path): Effect.Effect<Next, PieceError> =>
        Effect.gen(function*() {
          // The range may have ended earlier than planned (Amazon refused its end as too recent: see OrdersSource).
          const rangeEnd = Option.getOrThrow(yield* repo.run(tenantId)).rangeEnd
          // Delta syncs start where the history is known complete: the range's end, or for reports the earliest
          // moment a report may describe (a change after it is the delta sync's to list).
          const floor = path === "reports" ? Option.getOrUndefined(yield* reportsSource.snapshotFloor(tenantId)) : undefined
          const complete = floor !== undefined && floor < rangeEnd ? floor : rangeEnd
          yield* sink.fenced(lease, Effect.gen(function*() {
            const current = yield* repo.state(tenantId)
            const cursor = Option.getOrNull(Option.flatMap(current, (s) => Option.fromNullable(s.cursor)))
            yield* repo.finishRun(tenantId)
            yield* repo.patchState(tenantId, {
              status: "success",
              doneAt: yield* now,
              lastError: null,
              // Unless a delta sync already went further.
              cursor: cursor !== null && cursor > complete ? cursor : complete,
              lastSyncAt: yield* now
            })
          }))
          yield* status.publishProgress(tenantId)
          yield* Effect.logInfo(`backfill complete`)
          return done
        })

      return start
    }

    const describeFailure = (error: { readonly _tag: string; readonly message?: string }) =>
      error.message && error.message !== "" ? error.message : error._tag

    /** Marks the outcome of a run that did not succeed, if this process may still write for the tenant. */
    const recordFailure = (lease: Lease, tenantId: string, exit: Exit.Exit<unknown, { readonly _tag: string; readonly message?: string }>, options: RunOptions) =>
      Effect.gen(function*() {
        if (Exit.isSuccess(exit)) return
        if (Exit.isInterrupted(exit)) {
          if (options.pauseOnInterrupt) {
            yield* sink.fenced(lease, repo.patchState(tenantId, { status: "paused" })).pipe(
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
        yield* sink.fenced(lease, repo.patchState(tenantId, { status: "failed", lastError: reason })).pipe(Effect.ignore)
      })

    /**
     * Fetches every order created in the last `days` days (default 365) into "Order"; resumes a run left half done.
     *
     * The run's span, log annotation and database-error mapping wrap each of its pieces, not the run, and the pieces
     * after the first run in fibers of their own (see Drive): a backfill waiting for a turn or its quota between two
     * pieces is then this fiber suspended on one callback, its lease, its window's cursor and a place in the turns'
     * line or the alarms (ten thousand waiting tenants in one process: B3). The lease is taken and given back as with
     * acquireUseRelease: an interruption cannot leave it claimed, and it is released after the outcome is recorded.
     */
    const runInitialBackfill = (tenantId: string, days: number = DEFAULT_BACKFILL_DAYS, options: RunOptions = {}) =>
      Effect.useSpan("runInitialBackfill", { attributes: { tenantId, days }, captureStackTrace: false }, (span) => {
        const within = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          effect.pipe(databaseFailures, Effect.annotateLogs("tenantId", tenantId), Effect.withParentSpan(span))
        const turns = ordersSource.turns
        return Effect.uninterruptibleMask((restore) =>
          Effect.gen(function*() {
            yield* within(restore(checkDays(days)))
            // The run's first turn covers reading the tenant, claiming its lease and the first piece (several
            // statements): runs begun together (ten thousand in B3) start at the pace the turns serve them, and those
            // not started yet wait holding nothing but their place in the line. (A claim that waits out another
            // holder's lease keeps its turn meanwhile: only the CLI waits, and it runs one tenant.)
            yield* restore(turns.take)
            return yield* Effect.gen(function*() {
              const tenant = yield* within(restore(tenants.get(tenantId)))
              // Under a lease this fiber already holds (the daemon's tenant fiber), the pieces run inline.
              const held = yield* within(leases.hold(tenantId, { wait: options.waitForLease ?? true }))
              return { tenant, ...held }
            }).pipe(Effect.onError(() => turns.release))
          }).pipe(
            // Outside the generator, which is done by then: the run's frames while it waits are few and small.
            Effect.flatMap(({ lease, letGo, step, tenant }) =>
              Effect.flatMap(
                // Built when it runs: `restore` keeps its effect for the whole run, and a built first piece is ~2.5 KB.
                Effect.exit(restore(Effect.suspend(() =>
                  Effect.flatMap(
                    Effect.ensuring(step(within(pieces(lease, tenant, days, options))), turns.release),
                    (next) => Drive.drive(next, (work) => step(within(work)), turns, ordersSource.alarms)
                  )
                ))),
                (exit) =>
                  Effect.gen(function*() {
                    // Whatever happens to the outcome's record (the database may be gone), the lease is let go.
                    const recorded = yield* Effect.exit(within(recordFailure(lease, tenantId, exit, options)))
                    yield* within(letGo)
                    yield* exit
                    yield* recorded
                    return yield* within(restore(status.getBackfillStatus(tenantId)))
                  })
              ))
          )
        )
      })

    /** Fetches what changed since the cursor (minus an overlap for late orders) up to Amazon's now minus 2 minutes. */
    const runOrdersDeltaSync = (tenantId: string, options: Pick<RunOptions, "waitForLease"> = {}) =>
      delta.runOrdersDeltaSync(tenantId, options).pipe(databaseFailures)

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

    /** Asks a running backfill to stop at its next chunk (whichever process runs it). */
    const pause = (tenantId: string) =>
      Effect.gen(function*() {
        yield* tenants.summaryOf(tenantId)
        yield* repo.pause(tenantId)
        yield* notifyTrigger(tenantId)
        return yield* status.getBackfillStatus(tenantId)
      })

    /** Lets a paused backfill be picked up again (by the daemon, or the next `backfill run`). */
    const resume = (tenantId: string) =>
      Effect.gen(function*() {
        yield* tenants.summaryOf(tenantId)
        yield* repo.resume(tenantId)
        yield* tenants.unpark(tenantId)
        yield* notifyTrigger(tenantId)
        return yield* status.getBackfillStatus(tenantId)
      })

    return { runInitialBackfill, runOrdersDeltaSync, needsInitialBackfill, getBackfillStatus: status.getBackfillStatus, pause, resume } as const
  })
}) {}
