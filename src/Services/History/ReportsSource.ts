import { Clock, Deferred, Duration, Effect, Fiber, Option, Ref, Schedule, type Scope, Stream } from "effect"
import type { ReportDateRangeExceeded, ReportDocumentError } from "../../Domain/ReportErrors.js"
import { ReportsConfig } from "./BackfillConfig.js"
import type { DecodedOrder, Order } from "../../Domain/Order.js"
import { type ReportHeader, type ReportRaw, type ReportTotalRule, tenantReportScope } from "../../Domain/ReportOrders.js"
import { carriesTax, decideTotalRule, ReportTotalsUntrusted, rowsMoney } from "../../Domain/TotalRule.js"
import { documentOrders, redecode } from "./ReportDocument.js"
import { Sink, stage, type StagedChunk } from "./Sink.js"
import { Orders } from "../Orders.js"
import { DownloadFailed, ORDERS_REPORT, type Report, Reports } from "../Reports.js"
import type { SellerAuth, SpApiResponse } from "../SpApi/SpApiClient.js"
import type { Lease } from "../Store/Leases.js"
import { type ReportWindow, ReportWindows } from "../Store/ReportWindows.js"
import { SyncStateRepo } from "../Store/SyncStateRepo.js"
import { Tenants } from "../Store/Tenants.js"
import { TotalRules } from "../Store/TotalRules.js"

/** Amazon serves an order report for at most 30 days ("Date range exceeded"). */
export const REPORT_MAX_DAYS = 30
/**
 * ordersync's report windows: a day short of the limit, which is known only from its error text ("upto 30 days"),
 * so a limit counted in the seller's calendar days or with both bounds included still passes (finding F10). A year
 * is 13 reports either way.
 */
export const REPORT_WINDOW_DAYS = REPORT_MAX_DAYS - 1
/** createReport takes at most 25 `marketplaceIds` (reports_2021-06-30.json, CreateReportSpecification). */
export const REPORT_MAX_MARKETPLACES = 25
const DAY = 86_400_000

/** Splits [start, end] into consecutive windows of at most 29 days, oldest first. */
export const reportRanges = (start: Date, end: Date): ReadonlyArray<{ readonly startAt: Date; readonly endAt: Date }> => {
  const ranges: Array<{ startAt: Date; endAt: Date }> = []
  for (let from = start.getTime(); from < end.getTime(); from += REPORT_WINDOW_DAYS * DAY) {
    ranges.push({ startAt: new Date(from), endAt: new Date(Math.min(end.getTime(), from + REPORT_WINDOW_DAYS * DAY)) })
  }
  return ranges
}

/** Fresh document URLs tried for one window before the run fails (each resumes after the last chunk handed on). */
const DOWNLOAD_ATTEMPTS = 5

const TERMINAL = new Set(["DONE", "CANCELLED", "FATAL"])

/** Amazon answered 404: the report (or its document) is gone, e.g. past the 30 days Amazon keeps order reports. It is asked again, like a FATAL one. */
const gone = (error: { readonly _tag: string }) => error._tag === "AmazonRejected" && (error as { readonly status?: number }).status === 404

interface Outcome {
  readonly status: "DONE" | "CANCELLED" | "FATAL"
  readonly documentId: string | null
  readonly processingSeconds: number | null
  /** Amazon began processing it (`processingStartTime`): a CANCELLED report without it was cancelled on request. */
  readonly started: boolean
}

const FORGOTTEN: Outcome = { status: "FATAL", documentId: null, processingSeconds: null, started: false }

const secondsBetween = (from: string | undefined, to: string | undefined) =>
  from === undefined || to === undefined ? null : Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000)

/** Requests and report processing times a run has seen and not yet written. */
interface Tally {
  requests: number
  throttled: number
  reportSeconds: Array<number>
}

/**
 * A chunk as it reaches the sink: encoded for COPY with the tenant's rule, or decoded before the rule was known (its
 * orders are decoded again with the rule once known, or decide it: see `ruled`).
 */
type Prepared =
  | { readonly _tag: "Staged"; readonly chunk: StagedChunk; readonly rule: ReportTotalRule; readonly orders: ReadonlyArray<DecodedOrder>; readonly header: ReportHeader }
  | { readonly _tag: "Unruled"; readonly orders: ReadonlyArray<DecodedOrder>; readonly header: ReportHeader }

/** What the sink is handed, in order: a chunk of a document, a window all stored, or a barrier to drain. */
type Step =
  | {
    readonly _tag: "Chunk"
    readonly window: ReportWindow
    readonly prepared: Prepared
    readonly rowsThrough: number
    /** Orders of the chunk that are not the tenant's (another marketplace of the seller's region). */
    readonly dropped: number
    /** When the download of a document's first chunk began: active time does not count the wait before it. */
    readonly startedAt: number
  }
  | { readonly _tag: "Stored"; readonly window: ReportWindow }
  | { readonly _tag: "Barrier"; readonly drained: Deferred.Deferred<void> }

/**
 * Amazon's order reports as a history source. Each window of at most 30 days is one report: created once (a restart
 * or a takeover resumes polling the stored report id, or fetches a fresh document URL), polled on a backing-off
 * schedule, then its document streamed into the sink chunk by chunk, the rows stored being the checkpoint; the
 * document's orders of marketplaces that are not the tenant's are counted, not stored (Amazon writes the region's).
 * FATAL: asked again after the report type's cool-down, a bounded number of times, then the window goes to the
 * Orders API. CANCELLED after processing (no data, Amazon says): the Orders API checks the window, so no window is
 * taken as empty on Amazon's word alone; CANCELLED before processing (on request): asked again, as FATAL.
 * Stuck past the deadline: cancelled, then as FATAL.
 */
export class ReportsSource extends Effect.Service<ReportsSource>()("ordersync/ReportsSource", {
  effect: Effect.gen(function*() {
    const reports = yield* Reports
    const windows = yield* ReportWindows
    const repo = yield* SyncStateRepo
    const sink = yield* Sink
    const config = yield* ReportsConfig
    const tenantsRepo = yield* Tenants
    const totalRules = yield* TotalRules
    const orders = yield* Orders

    // The report total rule of each running tenant (null until decided); the parser reads it as each chunk starts.
    const rules = new Map<string, { rule: ReportTotalRule | null }>()

    // What a run has seen but not written yet, per tenant: the sink writes it with its next transaction. Written
    // apart, it would wait for the "OrderSyncBackfill" row that the chunk committing meanwhile holds.
    const tallies = new Map<string, Tally>()

    /** Requests that brought no orders still count in the run (the status shows requests per 100 orders). */
    const counted = <A>(lease: Lease, response: SpApiResponse<A>) =>
      Effect.sync(() => {
        const tally = tallies.get(lease.tenantId)
        if (tally === undefined) return Effect.as(sink.fenced(lease, repo.countRequests(lease.tenantId, { requests: response.attempts, throttled: response.throttled })), response.body)
        tally.requests += response.attempts
        tally.throttled += response.throttled
        return Effect.succeed(response.body)
      }).pipe(Effect.flatten)

    /** Hands over the tally so far, to be written in the caller's transaction (one statement per report time seen). */
    const untallied = (lease: Lease) => {
      const tally = tallies.get(lease.tenantId)
      if (tally === undefined) return { requests: 0, throttled: 0, write: Effect.void }
      const { requests, reportSeconds, throttled } = tally
      tally.requests = 0
      tally.throttled = 0
      tally.reportSeconds = []
      return {
        requests,
        throttled,
        write: Effect.forEach(reportSeconds, (seconds) => repo.observeReportSeconds(lease.tenantId, seconds), { discard: true })
      }
    }
    const writeTally = (lease: Lease) => {
      const { requests, throttled, write } = untallied(lease)
      return Effect.zipRight(write, requests + throttled > 0 ? repo.countRequests(lease.tenantId, { requests, throttled }) : Effect.void)
    }

    const request = (lease: Lease, seller: SellerAuth, marketplaceIds: ReadonlyArray<string>, window: ReportWindow) =>
      Effect.gen(function*() {
        const { reportId } = yield* Effect.flatMap(
          // The report holds the region whatever is asked: 25 of the tenant's marketplaces name it (F9).
          reports.createReport(seller, { startAt: window.startAt, endAt: window.endAt, marketplaceIds: marketplaceIds.slice(0, REPORT_MAX_MARKETPLACES) }),
          (response) => counted(lease, response)
        )
        const at = new Date(yield* Clock.currentTimeMillis)
        yield* sink.fenced(lease, windows.requested(lease.tenantId, window.windowIndex, reportId, at))
        yield* Effect.logInfo(`report ${reportId} requested for window ${window.windowIndex} (${window.startAt.toISOString()} – ${window.endAt.toISOString()})`)
        return { ...window, status: "requested" as const, reportId, reportStatus: "IN_QUEUE", reportDocumentId: null, attempts: window.attempts + 1, requestedAt: at, rowsDone: 0 }
      })

    /** getReport backs off from ORDERSYNC_REPORT_POLL_SECONDS by half each time, up to eight times that. */
    const polls = Schedule.exponential(config.poll, 1.5).pipe(
      Schedule.modifyDelay((delay) => Duration.min(delay, Duration.times(config.poll, 8)))
    )

    /** Polls until the report ends, or its deadline passes (then it is cancelled and counts as FATAL). */
    const poll = (lease: Lease, seller: SellerAuth, window: ReportWindow) =>
      Effect.gen(function*() {
        const reportId = window.reportId!
        let last = window.reportStatus
        const check = Effect.gen(function*() {
          const report: Report = yield* Effect.flatMap(reports.getReport(seller, reportId), (response) => counted(lease, response))
          const processingSeconds = secondsBetween(report.processingStartTime, report.processingEndTime)
          if (report.processingStatus !== last) {
            last = report.processingStatus
            yield* sink.fenced(lease, windows.seen(lease.tenantId, window.windowIndex, {
              status: report.processingStatus,
              documentId: report.reportDocumentId ?? null,
              processingSeconds
            }))
          }
          if (TERMINAL.has(report.processingStatus)) {
            return Option.some<Outcome>({
              status: report.processingStatus as Outcome["status"],
              documentId: report.reportDocumentId ?? null,
              processingSeconds,
              started: report.processingStartTime !== undefined
            })
          }
          const now = yield* Clock.currentTimeMillis
          if (window.requestedAt !== null && now - window.requestedAt.getTime() > Duration.toMillis(config.deadline)) {
            yield* Effect.logWarning(`report ${reportId} is still ${report.processingStatus} past its deadline: cancelling it`)
            yield* Effect.ignore(reports.cancelReport(seller, reportId))
            return Option.some<Outcome>({ status: "FATAL", documentId: null, processingSeconds: null, started: false })
          }
          return Option.none<Outcome>()
        })
        const untilDone = polls.pipe(Schedule.whileInput((outcome: Option.Option<Outcome>) => Option.isNone(outcome)), Schedule.passthrough)
        return Option.getOrThrow(yield* Effect.repeat(check, untilDone))
      })

    type WindowError =
      | Effect.Effect.Error<ReturnType<typeof request>>
      | Effect.Effect.Error<ReturnType<typeof poll>>
      | DownloadFailed
      | ReportDocumentError
      | ReportTotalsUntrusted

    /**
     * A DONE report's document as steps for the sink, from the rows already stored; its download is opened at once,
     * the rows are read as the stream is. An expired URL or a cut download fetches a fresh URL and resumes after the
     * last chunk handed on (the chunks before it are stored in order).
     */
    const documentSteps = (lease: Lease, seller: SellerAuth, marketplaceIds: ReadonlyArray<string>, window: ReportWindow, documentId: string) => {
      const tenants = tenantReportScope(marketplaceIds)
      let handedOn = window.rowsDone
      const retry = (n: number, error: WindowError | ReportDateRangeExceeded): Stream.Stream<Step, WindowError> => {
        if (error._tag === "ReportDateRangeExceeded") {
          return Stream.dieMessage(`report windows are at most ${REPORT_MAX_DAYS} days, yet Amazon answered: ${error.message}`)
        }
        // A cut download can also surface as a gzip stream that ends early.
        const transient = error instanceof DownloadFailed ||
          (error._tag === "ReportDocumentError" && error.reason.startsWith("gunzip failed"))
        if (!transient || n >= DOWNLOAD_ATTEMPTS) return Stream.fail(error)
        return Stream.concat(
          Stream.execute(Effect.logWarning(`${error.message}; fetching a fresh document URL, resuming after row ${handedOn}`)),
          Stream.unwrap(open(n + 1))
        )
      }
      const open = (n: number): Effect.Effect<Stream.Stream<Step, WindowError>> =>
        Effect.gen(function*() {
          let startedAt = yield* Clock.currentTimeMillis
          const document = yield* Effect.flatMap(reports.getReportDocument(seller, documentId), (response) => counted(lease, response))
          const download = yield* reports.download(document.url)
          return documentOrders(download.body, {
            contentType: download.contentType,
            compressed: document.compressionAlgorithm === "GZIP",
            reportType: ORDERS_REPORT,
            skipRows: handedOn,
            chunkOrders: config.chunkOrders,
            maxBytes: download.maxBytes,
            rule: () => rules.get(lease.tenantId)?.rule ?? null
          }).pipe(
            // Encoded for COPY here, before its transaction: the sink commits one chunk while the next is prepared.
            Stream.map((chunk): Step => {
              handedOn = chunk.rowsThrough
              const own = chunk.orders.filter(tenants)
              const step: Step = {
                _tag: "Chunk",
                window,
                prepared: chunk.rule === null
                  ? { _tag: "Unruled", orders: own, header: chunk.header }
                  : { _tag: "Staged", chunk: stage(own), rule: chunk.rule, orders: own, header: chunk.header },
                rowsThrough: chunk.rowsThrough,
                dropped: chunk.orders.length - own.length,
                startedAt
              }
              startedAt = 0
              return step
            }),
            Stream.catchAll((error) => retry(n, error))
          )
        }).pipe(Effect.catchAll((error) => Effect.succeed(retry(n, error))))
      return open(1)
    }

    /**
     * A chunk ready to commit under the tenant's rule, and the rule it decided, if it did. Once known, the rule is
     * checked against the chunk's orders the Orders API priced in the same version, if any. While it is not known,
     * the chunk's orders already stored from the Orders API in the same version (one query by ids: the planner's
     * sample, in the first report) are compared (Domain/TotalRule.ts): a rule that gives every one's total is decided
     * and the chunk decoded again with it; no rule fits: the report path stops (`ReportTotalsUntrusted`). A chunk
     * without tax in any order's rows is the same under either rule, so it is stored as it is. One with tax and none
     * that tells (no sample: ORDERSYNC_HISTORY_SOURCE=reports, or the first window's report failed) asks the Orders
     * API for one page from its first taxed order on, compared and not stored; still none that tells: it stops.
     */
    const ruled = (lease: Lease, seller: SellerAuth, marketplaceIds: ReadonlyArray<string>, prepared: Prepared) =>
      Effect.gen(function*() {
        const { header } = prepared
        const chunk = prepared.orders
        const withRule = (rule: ReportTotalRule) => stage(rule === "additive" ? chunk : chunk.map((o) => redecode(header, o, rule)))
        const known = prepared._tag === "Staged" ? prepared.rule : rules.get(lease.tenantId)?.rule ?? null
        const priced = chunk.flatMap((o) => o._tag === "Order" && o.order.totalAmount !== null ? [o.order] : [])
        const byId = new Map(priced.map((o) => [o.externalOrderId, o]))
        const money = (id: string) => rowsMoney(header, (byId.get(id)!.raw as ReportRaw).rows)
        const pairs = (api: ReadonlyArray<{ readonly externalOrderId: string; readonly totalAmount: string; readonly currency: string | null }>) =>
          api.map((a) => ({ externalOrderId: a.externalOrderId, apiTotal: a.totalAmount, apiCurrency: a.currency, rows: money(a.externalOrderId) }))
        const stored = yield* totalRules.pricedByApi(lease.tenantId, priced)
        if (known !== null) {
          // Decided once, checked on every chunk that holds orders the Orders API priced too: a tenant whose
          // marketplaces count tax differently (one rule per tenant) shows it there, and the report path stops.
          const check = decideTotalRule(pairs(stored))
          if (check._tag === "NoneFits") return yield* new ReportTotalsUntrusted({ decided: "none", reason: check.reason })
          if (check._tag === "Decided" && check.rule !== known) {
            const odd = pairs(stored).find((pair) => {
              const alone = decideTotalRule([pair])
              return alone._tag === "Decided" && alone.rule !== known
            })!
            return yield* new ReportTotalsUntrusted({
              decided: "none",
              reason: `order ${odd.externalOrderId} totals ${odd.apiTotal}${odd.apiCurrency === null ? "" : ` ${odd.apiCurrency}`} in the ` +
                `Orders API, which only ${check.rule} gives from the report's rows, where this tenant's rule was ${known}`
            })
          }
          return { chunk: prepared._tag === "Staged" ? prepared.chunk : withRule(known), decided: undefined }
        }
        let decision = decideTotalRule(pairs(stored))
        const taxed = decision._tag === "Undecided" ? priced.filter((o) => carriesTax(money(o.externalOrderId))) : []
        if (taxed.length > 0) {
          const probed = yield* probe(lease, seller, marketplaceIds, taxed, byId)
          const seen = new Set(stored.map((a) => a.externalOrderId))
          decision = decideTotalRule(pairs([...stored, ...probed.filter((a) => !seen.has(a.externalOrderId))]))
        }
        switch (decision._tag) {
          case "Decided":
            return { chunk: withRule(decision.rule), decided: decision }
          case "NoneFits":
            return yield* new ReportTotalsUntrusted({ decided: "none", reason: decision.reason })
          case "Undecided": {
            if (taxed.length === 0) return { chunk: withRule("additive"), decided: undefined }
            return yield* new ReportTotalsUntrusted({
              decided: null,
              reason: `order ${taxed[0]!.externalOrderId}'s report rows carry tax, and ${decision.reason}`
            })
          }
        }
      })

    /**
     * The Orders API's totals of the chunk's orders on one page created from its first order with tax on (2026 lists
     * by creation, oldest first, as the report does), in the same version; its requests count in the run.
     */
    const probe = (
      lease: Lease,
      seller: SellerAuth,
      marketplaceIds: ReadonlyArray<string>,
      taxed: ReadonlyArray<Order>,
      byId: ReadonlyMap<string, Order>
    ) =>
      Effect.gen(function*() {
        const after = taxed.reduce((min, o) => (o.orderDate < min ? o.orderDate : min), taxed[0]!.orderDate)
        const before = new Date([...byId.values()].reduce((max, o) => Math.max(max, o.orderDate.getTime()), after.getTime()) + 1000)
        const [decoded] = yield* orders.page(seller, { family: "created", after, before, marketplaceIds, token: Option.none() }, (page) =>
          Effect.sync(() => {
            const tally = tallies.get(lease.tenantId)
            if (tally !== undefined) {
              tally.requests += page.attempts
              tally.throttled += page.throttled
            }
            return page.take().decoded
          }))
        yield* Effect.logInfo(`report totals: no order of the chunk was priced by the Orders API; asked it for one page from ${after.toISOString()}`)
        return decoded.flatMap((d) => {
          const report = d._tag === "Order" ? byId.get(d.order.externalOrderId) : undefined
          return d._tag === "Order" && report !== undefined && d.order.totalAmount !== null &&
              d.order.lastUpdateDate.getTime() === report.lastUpdateDate.getTime()
            ? [{ externalOrderId: d.order.externalOrderId, totalAmount: d.order.totalAmount, currency: d.order.currency }]
            : []
        })
      }).pipe(Effect.catchTag("QuotaWait", Effect.die))

    /** Waits until the sink has stored every step handed on before: window state written after it cannot be overtaken. */
    const barrier: Stream.Stream<Step> = Stream.unwrap(Effect.map(Deferred.make<void>(), (drained) =>
      Stream.concat(Stream.succeed<Step>({ _tag: "Barrier", drained }), Stream.execute(Deferred.await(drained)))))

    /**
     * Makes a window ready to store, from wherever its checkpoint stands: its report requested and polled until it
     * ends, and a DONE report's download opened. Its steps then store it, find it empty, or hand it to the Orders API.
     */
    const prepareWindow = (
      lease: Lease,
      seller: SellerAuth,
      marketplaceIds: ReadonlyArray<string>,
      start: ReportWindow
    ): Effect.Effect<Stream.Stream<Step, WindowError>, WindowError> =>
      Effect.gen(function*() {
        const window = start.status === "pending" ? yield* request(lease, seller, marketplaceIds, start) : start
        const outcome = yield* poll(lease, seller, window).pipe(
          Effect.catchIf(gone, () =>
            Effect.as(Effect.logWarning(`report ${window.reportId} is no longer known to Amazon (it keeps order reports 30 days)`), FORGOTTEN))
        )
        // Only a report that delivered tells the planner how long this seller's reports take (and that they work).
        if (outcome.status === "DONE" && outcome.processingSeconds !== null) tallies.get(lease.tenantId)?.reportSeconds.push(outcome.processingSeconds)
        if (outcome.status === "DONE" && outcome.documentId !== null) {
          const steps = yield* documentSteps(lease, seller, marketplaceIds, window, outcome.documentId)
          return Stream.concat(steps, Stream.succeed<Step>({ _tag: "Stored", window })).pipe(
            Stream.catchAll((error) =>
              gone(error)
                ? Stream.concat(
                  barrier,
                  Stream.unwrap(Effect.as(
                    Effect.logWarning(`the document of report ${window.reportId} is no longer known to Amazon`),
                    afterFailure(lease, seller, marketplaceIds, window, outcome)
                  ))
                )
                : Stream.fail(error))
          )
        }
        if (outcome.status === "CANCELLED" && outcome.started) {
          // "No data", Amazon says; a window is never taken as empty on that alone (a report of the wrong region, or
          // cancelled by someone else, reads the same): the Orders API lists it, one request when it is empty.
          yield* Effect.logWarning(`report ${window.reportId} ended CANCELLED (no data): the Orders API checks window ${window.windowIndex}`)
          yield* toOrdersApi(lease, window)
          return Stream.empty
        }
        return afterFailure(lease, seller, marketplaceIds, window, outcome)
      }).pipe(Effect.annotateLogs("reportWindow", start.windowIndex))

    /** A FATAL (or forgotten) report: asked again a bounded number of times, then the window goes to the Orders API. */
    const afterFailure = (
      lease: Lease,
      seller: SellerAuth,
      marketplaceIds: ReadonlyArray<string>,
      window: ReportWindow,
      outcome: Outcome
    ): Stream.Stream<Step, WindowError> =>
      Stream.unwrap(Effect.gen(function*() {
        const ended = outcome.status === "CANCELLED" ? "CANCELLED before processing (cancelled on request)" : outcome.status
        if (window.attempts < config.attempts) {
          // A report Amazon processed and ended FATAL: its type cools down first (a stuck or forgotten one: at once).
          const wait = outcome.status === "FATAL" && outcome.started ? config.fatalWait : Duration.zero
          yield* Effect.logWarning(
            `report ${window.reportId} ended ${ended}: asking again${Duration.toMillis(wait) > 0 ? ` in ${Duration.format(wait)}` : ""} (${window.attempts}/${config.attempts})`
          )
          yield* Effect.sleep(wait)
          return Stream.unwrap(prepareWindow(lease, seller, marketplaceIds, { ...window, status: "pending" }))
        }
        yield* Effect.logWarning(`report ${window.reportId} ended ${ended} ${window.attempts} times: window ${window.windowIndex} goes to the Orders API`)
        yield* toOrdersApi(lease, window)
        return Stream.empty
      }).pipe(Effect.annotateLogs("reportWindow", window.windowIndex)))

    /** The window goes to the Orders API (appended to the run's windows). */
    const toOrdersApi = (lease: Lease, window: ReportWindow) =>
      sink.fenced(lease, Effect.zipRight(
        repo.addWindow(lease.tenantId, window.startAt, window.endAt),
        windows.finish(lease.tenantId, window.windowIndex, "fallback")
      ))

    /**
     * Every report window of the run. All missing reports are requested first (a year is 13, within createReport's
     * burst of 15), so Amazon processes the next while this one is stored. The windows' steps make one stream into
     * the sink: the next window is polled and its download opened while this one is stored, and its first chunk is
     * parsed while the last chunk of this one commits.
     */
    const run = (lease: Lease, seller: SellerAuth, marketplaceIds: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const open = (yield* windows.list(lease.tenantId)).filter((w) => w.status === "pending" || w.status === "requested")
        const stored = yield* tenantsRepo.totalRule(lease.tenantId)
        if (stored.rule === "none") return yield* new ReportTotalsUntrusted({ decided: "none", reason: stored.reason ?? "no rule fits" })
        rules.set(lease.tenantId, { rule: stored.rule })
        tallies.set(lease.tenantId, { requests: 0, throttled: 0, reportSeconds: [] })
        // Requested before any download: a report being created never waits behind a document being served.
        const requested: Array<ReportWindow> = []
        for (const window of open) {
          requested.push(window.status === "pending" ? yield* request(lease, seller, marketplaceIds, window) : window)
        }
        // Active time runs from a document's start through its chunks' commits; waiting for Amazon is not counted.
        const lastCommit = yield* Ref.make(0)
        const prepare = (i: number) => Effect.forkScoped(prepareWindow(lease, seller, marketplaceIds, requested[i]!))
        // Window i's steps; as they start, window i + 1 is made ready (polled, its download opened) meanwhile.
        const from = (i: number, ready: Fiber.Fiber<Stream.Stream<Step, WindowError>, WindowError>): Stream.Stream<Step, WindowError, Scope.Scope> =>
          Stream.unwrap(Effect.gen(function*() {
            const steps = yield* Fiber.join(ready)
            return i + 1 < requested.length ? Stream.concat(steps, from(i + 1, yield* prepare(i + 1))) : steps
          }))
        yield* (requested.length === 0 ? Stream.empty : Stream.unwrap(Effect.map(prepare(0), (first) => from(0, first)))).pipe(
          // Two steps ahead, no more in memory: a window's last chunk and its "Stored" leave room for the next
          // document's first chunk, prepared while that last chunk commits.
          Stream.buffer({ capacity: 2 }),
          Stream.runForEach((step) => {
            switch (step._tag) {
              case "Barrier":
                return Deferred.succeed(step.drained, undefined)
              case "Stored":
                return sink.fenced(lease, Effect.zipRight(writeTally(lease), windows.finish(lease.tenantId, step.window.windowIndex, "done")))
              case "Chunk":
                return Effect.gen(function*() {
                  const { chunk, decided } = yield* ruled(lease, seller, marketplaceIds, step.prepared)
                  const at = yield* Clock.currentTimeMillis
                  const activeMillis = at - Math.max(yield* Ref.getAndSet(lastCommit, at), step.startedAt)
                  const tally = untallied(lease)
                  yield* sink.commitStaged(lease, chunk, { source: "report", backfill: true }, (stored) =>
                    Effect.all([
                      // The rule is stored with the first chunk it decided, in the chunk's transaction.
                      decided === undefined ? Effect.void : tenantsRepo.setTotalRule(lease.tenantId, decided.rule, decided.reason),
                      tally.write,
                      windows.advance(lease.tenantId, step.window.windowIndex, step.rowsThrough, stored.orders, step.dropped),
                      repo.countChunk(lease.tenantId, {
                        orders: stored.orders,
                        requests: tally.requests,
                        throttled: tally.throttled,
                        quarantined: stored.quarantined,
                        activeMillis
                      })
                    ], { discard: true }))
                  if (decided !== undefined) {
                    rules.set(lease.tenantId, { rule: decided.rule })
                    yield* Effect.logInfo(`report totals: ${decided.rule} (${decided.reason})`)
                  }
                })
            }
          }),
          Effect.zipRight(sink.fenced(lease, writeTally(lease))),
          Effect.ensuring(Effect.sync(() => {
            tallies.delete(lease.tenantId)
            rules.delete(lease.tenantId)
          }))
        )
      }).pipe(Effect.scoped, Effect.withSpan("backfill.reports", { attributes: { tenantId: lease.tenantId, source: "reports" }, captureStackTrace: false }))

    /** Plans the report windows of [start, end] (replacing any). */
    const plan = (tenantId: string, start: Date, end: Date) => windows.plan(tenantId, reportRanges(start, end))

    /** The earliest a report of this run could describe: changes after it are for the delta sync to list. */
    const snapshotFloor = (tenantId: string) =>
      Effect.map(windows.list(tenantId), (list) =>
        Option.fromNullable(
          list.reduce<number | null>((min, w) =>
            w.status === "done" && w.requestedAt !== null && (min === null || w.requestedAt.getTime() < min) ? w.requestedAt.getTime() : min, null)
        ).pipe(Option.map((requested) => new Date(requested - Duration.toMillis(config.lag)))))

    /**
     * Every window not finished goes to the Orders API (the reports path cannot go on for this tenant); with `done`,
     * the stored ones too (their totals cannot be trusted either: the Orders API's replace them, version for version).
     */
    const handOver = (lease: Lease, options: { readonly done?: boolean } = {}) =>
      Effect.flatMap(windows.list(lease.tenantId), (list) =>
        Effect.forEach(
          list.filter((w) => w.status === "pending" || w.status === "requested" || (options.done === true && w.status === "done")),
          (w) => toOrdersApi(lease, w),
          { discard: true }
        ))

    return { run, plan, snapshotFloor, handOver, lag: config.lag } as const
  }),
  dependencies: [TotalRules.Default]
}) {}
