import { Effect, Metric, Option } from "effect"
import { BackfillProgress, BackfillStatus, ReportsProgress } from "../Domain/BackfillStatus.js"
import { BackfillConfig } from "./History/BackfillConfig.js"
import { backfillProgress, MetricsConfig } from "./Metrics.js"
import { Leases } from "./Store/Leases.js"
import { OrderRepo } from "./Store/OrderRepo.js"
import { type ReportWindow, ReportWindows } from "./Store/ReportWindows.js"
import { type BackfillRun, SyncStateRepo, type Window } from "./Store/SyncStateRepo.js"
import { Tenants } from "./Store/Tenants.js"

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null)
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits

const reportsProgress = (
  windows: ReadonlyArray<ReportWindow>,
  rule: { readonly rule: ReportsProgress["totalRule"]; readonly reason: string | null }
): ReportsProgress | null =>
  windows.length === 0 ? null : new ReportsProgress({
    windows: windows.length,
    queued: windows.filter((w) => w.status === "requested" && w.reportStatus === "IN_QUEUE").length,
    processing: windows.filter((w) => w.status === "requested" && w.reportStatus === "IN_PROGRESS").length,
    done: windows.filter((w) => w.status === "done").length,
    fallback: windows.filter((w) => w.status === "fallback").length,
    rowsStored: windows.reduce((sum, w) => sum + w.rowsDone, 0),
    ordersStored: windows.reduce((sum, w) => sum + w.orders, 0),
    ordersDropped: windows.reduce((sum, w) => sum + w.ordersDropped, 0),
    processingSeconds: round(windows.reduce((sum, w) => sum + (w.processingSeconds ?? 0), 0), 1),
    totalRule: rule.rule,
    totalRuleReason: rule.reason
  })

/** The seed's status JSON plus progress, read from the checkpoints. */
export class Status extends Effect.Service<Status>()("ordersync/Status", {
  effect: Effect.gen(function*() {
    const tenants = yield* Tenants
    const leases = yield* Leases
    const orderRepo = yield* OrderRepo
    const repo = yield* SyncStateRepo
    const reportWindows = yield* ReportWindows
    const config = yield* BackfillConfig
    const metrics = yield* MetricsConfig

    const progressOf = (
      run: Option.Option<BackfillRun>,
      windows: ReadonlyArray<Window>,
      reports: ReadonlyArray<ReportWindow>,
      done: boolean,
      rule: Parameters<typeof reportsProgress>[1]
    ) => {
      if (Option.isNone(run)) {
        return new BackfillProgress({
          rangeStart: null, rangeEnd: null, startedAt: null, windowsDone: 0, windowsTotal: 0, pages: 0,
          ordersFetched: 0, requests: 0, requestsPer100Orders: null, throttledRequests: 0, quarantinedOrders: 0,
          // No run of ours, yet done: the original backend finished this tenant's history.
          coverage: done ? 1 : 0, ordersPerMinute: null, requestsPerMinute: null, estimatedSecondsRemaining: null,
          historySource: null, historyReason: null, reports: null
        })
      }
      const r = run.value
      const span = Math.max(1, r.rangeEnd.getTime() - r.rangeStart.getTime())
      const covered = windows.reduce((sum, w) => {
        const end = w.status === "done" ? w.endAt : w.resumeAfter
        return sum + (end ? Math.max(0, end.getTime() - w.startAt.getTime()) : 0)
      }, 0) + reports.reduce((sum, w) => sum + (w.status === "done" ? w.endAt.getTime() - w.startAt.getTime() : 0), 0)
      const coverage = done ? 1 : Math.min(1, covered / span)
      const reportsOpen = reports.filter((w) => w.status === "pending" || w.status === "requested").length
      const windowsDone = windows.filter((w) => w.status === "done").length + reports.filter((w) => w.status !== "pending" && w.status !== "requested").length
      const windowsKnown = windows.length + reports.length
      const minutes = r.activeMillis / 60_000
      const remainingOrders = coverage > 0 ? (r.ordersFetched * (1 - coverage)) / coverage : null
      return new BackfillProgress({
        rangeStart: iso(r.rangeStart),
        rangeEnd: iso(r.rangeEnd),
        startedAt: iso(r.startedAt),
        windowsDone,
        windowsTotal: done || remainingOrders === null || reportsOpen > 0
          ? windowsKnown
          : Math.max(windowsKnown, windowsDone + Math.ceil(remainingOrders / config.windowOrders)),
        pages: r.pages,
        ordersFetched: r.ordersFetched,
        requests: r.requests,
        requestsPer100Orders: r.ordersFetched > 0 ? round((r.requests * 100) / r.ordersFetched) : null,
        throttledRequests: r.throttled,
        quarantinedOrders: r.quarantined,
        coverage: round(coverage, 4),
        ordersPerMinute: minutes > 0 ? round(r.ordersFetched / minutes, 1) : null,
        requestsPerMinute: minutes > 0 ? round(r.requests / minutes, 2) : null,
        // A report's wait is Amazon's processing, not ours: no estimate from our pace while reports are open.
        estimatedSecondsRemaining: done ? 0 : reportsOpen === 0 && coverage > 0 ? Math.round((r.activeMillis / 1000) * (1 - coverage) / coverage) : null,
        historySource: r.historySource,
        historyReason: r.historyReason,
        reports: reportsProgress(reports, rule)
      })
    }

    // The per-tenant gauge only when asked for (ORDERSYNC_METRICS_PER_TENANT): by default /metrics names no tenant, and
    // the fleet's coverage comes from the database (FleetMetrics).
    /** Sets the progress gauge to a coverage already known (a page commit reads it in its own statement). */
    const setProgress = (tenantId: string, coverage: number) =>
      metrics.perTenant ? Metric.set(Metric.tagged(backfillProgress, "tenant", tenantId), coverage) : Effect.void

    /** Sets the progress gauge from the checkpoints: after every committed chunk of a backfill, not only when asked. */
    const publishProgress = (tenantId: string) =>
      metrics.perTenant ? Effect.flatMap(repo.coverage(tenantId), (coverage) => setProgress(tenantId, coverage)) : Effect.void

    const getBackfillStatus = (tenantId: string) =>
      Effect.gen(function*() {
        yield* tenants.summaryOf(tenantId)
        const [state, run, windows, reports, summary, holder, rule] = yield* Effect.all([
          repo.state(tenantId),
          repo.run(tenantId),
          repo.windows(tenantId),
          reportWindows.list(tenantId),
          orderRepo.summary(tenantId),
          leases.holder(tenantId),
          tenants.totalRule(tenantId)
        ])
        const s = Option.getOrNull(state)
        const done = s?.initialBackfillStatus === "success"
        const progress = progressOf(run, windows, reports, done, rule)
        yield* setProgress(tenantId, progress.coverage)
        return new BackfillStatus({
          tenantId,
          initialBackfillDays: s?.initialBackfillDays ?? null,
          initialBackfillDoneAt: iso(s?.initialBackfillDoneAt),
          initialBackfillStatus: s?.initialBackfillStatus ?? null,
          ordersCount: summary.ordersCount,
          itemsCount: summary.itemsCount,
          oldestOrderDate: iso(summary.oldestOrderDate),
          lastError: s?.lastError ?? null,
          lastSyncAt: iso(s?.lastSyncAt),
          cursor: iso(s?.cursor),
          leaseHolder: Option.getOrNull(Option.map(holder, (h) => h.owner)),
          progress: new BackfillProgress({ ...progress, quarantinedOrders: Math.max(progress.quarantinedOrders, summary.quarantined) })
        })
      })

    return { publishProgress, setProgress, getBackfillStatus } as const
  })
}) {}
