import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { type BackfillStatus } from "../Domain/BackfillStatus.js"
import { BackfillDays, DEFAULT_BACKFILL_DAYS } from "../Domain/Ids.js"
import { Backfill } from "../Services/Backfill.js"
import { EngineLive } from "../Services/Engine.js"
import { formatEta, withProgressBar } from "./Progress.js"
import { jsonOption, printJson, reportFailure, tenantOption } from "./Shared.js"

const days = Options.integer("days").pipe(
  Options.withSchema(BackfillDays),
  Options.withDefault(DEFAULT_BACKFILL_DAYS),
  Options.withDescription("How many days of orders to fetch, 1–730.")
)
const restart = Options.boolean("restart").pipe(
  Options.withDescription("Start over instead of resuming (or re-fetch a finished backfill).")
)

const describe = (s: BackfillStatus) =>
  [
    `tenant            ${s.tenantId}`,
    `status            ${s.initialBackfillStatus ?? "never run"}${s.leaseHolder ? ` (running on ${s.leaseHolder})` : ""}`,
    `days              ${s.initialBackfillDays ?? "-"}`,
    `done at           ${s.initialBackfillDoneAt ?? "-"}`,
    `orders stored     ${s.ordersCount}${s.oldestOrderDate ? ` (oldest ${s.oldestOrderDate})` : ""}, ${s.itemsCount} items`,
    `history path      ${s.progress.historySource === null ? "-" : `${s.progress.historySource === "reports" ? "order reports" : "Orders API"}: ${s.progress.historyReason}`}`,
    ...(s.progress.reports
      ? [`reports           ${s.progress.reports.done}/${s.progress.reports.windows} done, ${s.progress.reports.queued} queued, ${s.progress.reports.processing} processing, ${s.progress.reports.fallback} to the Orders API; ${s.progress.reports.rowsStored} rows stored, ${s.progress.reports.ordersDropped} orders of other marketplaces left out, ${s.progress.reports.processingSeconds} s of Amazon processing`,
        ...(s.progress.reports.totalRule === null ? [] : [`report totals     ${s.progress.reports.totalRule}${s.progress.reports.totalRuleReason ? `: ${s.progress.reports.totalRuleReason}` : ""}`])]
      : []),
    `windows           ${s.progress.windowsDone}/${s.progress.windowsTotal} (${(s.progress.coverage * 100).toFixed(1)}% of the range)`,
    `pages / requests  ${s.progress.pages} / ${s.progress.requests} (${s.progress.requestsPer100Orders ?? "-"} per 100 orders, ${s.progress.throttledRequests} throttled)`,
    `quarantined       ${s.progress.quarantinedOrders}`,
    `rate              ${s.progress.ordersPerMinute ?? "-"} orders/min, ${s.progress.requestsPerMinute ?? "-"} requests/min`,
    `remaining         ${formatEta(s.progress.estimatedSecondsRemaining, s.initialBackfillStatus === "success")}`,
    `delta cursor      ${s.cursor ?? "-"} (last sync ${s.lastSyncAt ?? "-"})`,
    ...(s.lastError ? [`last error        ${s.lastError}`] : [])
  ].join("\n")

const show = (json: boolean) => (status: BackfillStatus) => json ? printJson(status) : Console.log(describe(status))

const run = Command.make("run", { tenant: tenantOption, days, restart, json: jsonOption }, (o) =>
  Effect.gen(function*() {
    const backfill = yield* Backfill
    const status = yield* withProgressBar(
      backfill.runInitialBackfill(o.tenant, o.days, { restart: o.restart, pauseOnInterrupt: true, waitForLease: true }),
      backfill.getBackfillStatus(o.tenant)
    ).pipe(
      Effect.onInterrupt(() =>
        Effect.zipRight(
          Effect.sync(() => {
            process.exitCode = 130
            process.stderr.write(`\nordersync: paused; run the same command again to resume\n`)
          }),
          // --json promises one document on stdout, paused or not: the status as the pause left it.
          o.json ? backfill.getBackfillStatus(o.tenant).pipe(Effect.flatMap(printJson), Effect.ignore) : Effect.void
        )
      )
    )
    yield* show(o.json)(status)
  }).pipe(reportFailure, Effect.provide(EngineLive))).pipe(
    Command.withDescription(
      "Backfill a tenant's orders of the last --days days, through the Orders API or Amazon's order reports " +
        "(ORDERSYNC_HISTORY_SOURCE=auto|orders|reports; auto picks the faster for this seller and says why). " +
        "Resumes where a previous run stopped; Ctrl-C commits the chunk in flight and pauses."
    )
  )

const status = Command.make("status", { tenant: tenantOption, json: jsonOption }, (o) =>
  Effect.flatMap(Backfill, (b) => b.getBackfillStatus(o.tenant)).pipe(
    Effect.flatMap(show(o.json)),
    reportFailure,
    Effect.provide(EngineLive)
  )).pipe(Command.withDescription("Show a tenant's backfill status and progress."))

const pause = Command.make("pause", { tenant: tenantOption, json: jsonOption }, (o) =>
  Effect.flatMap(Backfill, (b) => b.pause(o.tenant)).pipe(Effect.flatMap(show(o.json)), reportFailure, Effect.provide(EngineLive))
).pipe(Command.withDescription("Ask a running backfill (on any process) to stop at its next page."))

const resume = Command.make("resume", { tenant: tenantOption, json: jsonOption }, (o) =>
  Effect.flatMap(Backfill, (b) => b.resume(o.tenant)).pipe(Effect.flatMap(show(o.json)), reportFailure, Effect.provide(EngineLive))
).pipe(Command.withDescription("Let a paused (or parked) tenant be picked up again by the daemon or the next run."))

export const backfillCommand = Command.make("backfill").pipe(
  Command.withDescription("Initial backfill of a tenant's Amazon orders."),
  Command.withSubcommands([run, status, pause, resume])
)

export const syncCommand = Command.make("sync", { tenant: tenantOption, json: jsonOption }, (o) =>
  Effect.flatMap(Backfill, (b) => b.runOrdersDeltaSync(o.tenant, { waitForLease: true })).pipe(
    Effect.flatMap((result) =>
      o.json
        ? printJson(result)
        : Console.log(`delta sync of ${result.tenantId}: ${result.orders} orders changed between ${result.after} and ${result.before} (${result.pages} pages, ${result.requests} requests)`)
    ),
    reportFailure,
    Effect.provide(EngineLive)
  )).pipe(Command.withDescription("Run one delta sync: the orders Amazon changed since the tenant's cursor."))
