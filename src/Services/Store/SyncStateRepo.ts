import * as SqlClient from "@effect/sql/SqlClient"
import type { Fragment } from "@effect/sql/Statement"
import { Effect, Option, Schema } from "effect"
import { StoredTime } from "../../Domain/StoredTime.js"
import { MARKETPLACE } from "./OrderRepo.js"
import { Count, decodeRows } from "./Rows.js"
import { SharedColumns } from "./SharedColumns.js"

const BackfillStatusValue = Schema.Literal("in_progress", "success", "failed", "paused")
export type BackfillStatusValue = typeof BackfillStatusValue.Type

/** The original backend's "MarketplaceSyncState" row; its times may be held as text (see SharedColumns). */
const SyncStateRow = Schema.Struct({
  cursor: Schema.NullOr(StoredTime),
  lastSyncAt: Schema.NullOr(StoredTime),
  lastError: Schema.NullOr(Schema.String),
  initialBackfillDays: Schema.NullOr(Schema.Int),
  initialBackfillDoneAt: Schema.NullOr(StoredTime),
  initialBackfillStatus: Schema.NullOr(BackfillStatusValue)
})
export interface SyncState extends Schema.Schema.Type<typeof SyncStateRow> {}

/** A backfill run: its range and counters. */
const BackfillRunRow = Schema.Struct({
  days: Schema.Int,
  rangeStart: Schema.ValidDateFromSelf,
  rangeEnd: Schema.ValidDateFromSelf,
  startedAt: Schema.ValidDateFromSelf,
  finishedAt: Schema.NullOr(Schema.ValidDateFromSelf),
  ordersFetched: Count,
  pages: Count,
  requests: Count,
  throttled: Count,
  quarantined: Count,
  activeMillis: Count,
  /** The history path the planner chose (`orders` or `reports`) and why; null until it chose. */
  historySource: Schema.NullOr(Schema.Literal("orders", "reports")),
  historyReason: Schema.NullOr(Schema.String),
  /** Mean processing time of this seller's reports seen so far, in seconds (kept across runs). */
  reportSecondsObserved: Schema.NullOr(Schema.Number)
})
export interface BackfillRun extends Schema.Schema.Type<typeof BackfillRunRow> {}

/** A checkpoint: one time window of a run. */
const WindowRow = Schema.Struct({
  windowIndex: Schema.Int,
  startAt: Schema.ValidDateFromSelf,
  endAt: Schema.ValidDateFromSelf,
  status: Schema.Literal("pending", "done"),
  queryStart: Schema.ValidDateFromSelf,
  pageToken: Schema.NullOr(Schema.String),
  resumeAfter: Schema.NullOr(Schema.ValidDateFromSelf),
  pages: Schema.Int,
  orders: Schema.Int
})
export interface Window extends Schema.Schema.Type<typeof WindowRow> {}

export interface StatePatch {
  readonly status?: BackfillStatusValue | null
  readonly days?: number
  readonly doneAt?: Date | null
  readonly lastError?: string | null
  readonly cursor?: Date
  readonly lastSyncAt?: Date
}

/** Where a window stands after a committed page: the next page's token, the last order's creation time, done. */
export interface WindowCheckpoint {
  readonly pageToken: string | null
  readonly resumeAfter: Date | null
  readonly done: boolean
}

export interface PageProgress {
  readonly orders: number
  readonly requests: number
  readonly throttled: number
  readonly quarantined: number
  readonly activeMillis: number
}

const utc = (date: Date) => date.toISOString()

/** MarketplaceSyncState, backfill runs and their windows. Writers run inside their caller's fenced transaction. */
export class SyncStateRepo extends Effect.Service<SyncStateRepo>()("ordersync/SyncStateRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const shared = yield* SharedColumns
    const types = shared.syncState
    const decodeState = decodeRows("MarketplaceSyncState", SyncStateRow)
    const decodeRun = decodeRows("OrderSyncBackfill", BackfillRunRow)
    const decodeWindows = decodeRows("OrderSyncWindow", WindowRow)
    const updatedNow = shared.timeNow(types.updatedAt)

    const state = (tenantId: string): Effect.Effect<Option.Option<SyncState>> =>
      sql`SELECT "cursor", "lastSyncAt", "lastError", "initialBackfillDays", "initialBackfillDoneAt",
          "initialBackfillStatus" FROM "MarketplaceSyncState"
        WHERE "tenantId" = ${tenantId} AND "marketplace" = ${MARKETPLACE}`.pipe(
        Effect.orDie,
        Effect.flatMap(decodeState),
        Effect.map((rows) => Option.fromNullable(rows[0]))
      )

    /** Upserts the seed row, changing only the fields given, each written in its column's type. One statement. */
    const patchState = (tenantId: string, patch: StatePatch): Effect.Effect<void> => {
      const has = (key: keyof StatePatch) => key in patch && patch[key] !== undefined
      const fields: Array<readonly [string, Fragment]> = [
        ...(has("status") || "status" in patch ? [["initialBackfillStatus", sql`${patch.status ?? null}`] as const] : []),
        ...(has("days") ? [["initialBackfillDays", sql`${patch.days ?? null}::int`] as const] : []),
        ...("doneAt" in patch ? [["initialBackfillDoneAt", shared.timeValue(types.initialBackfillDoneAt, patch.doneAt)] as const] : []),
        ...("lastError" in patch ? [["lastError", sql`${patch.lastError ?? null}`] as const] : []),
        ...(has("cursor") ? [["cursor", shared.timeValue(types.cursor, patch.cursor)] as const] : []),
        ...(has("lastSyncAt") ? [["lastSyncAt", shared.timeValue(types.lastSyncAt, patch.lastSyncAt)] as const] : [])
      ]
      const concat = sql.join("", false, "")
      const columns = concat(fields.map(([column]) => sql`, ${sql(column)}`))
      const values = concat(fields.map(([, value]) => sql`, ${value}`))
      const updates = concat(fields.map(([column]) => sql`${sql(column)} = EXCLUDED.${sql(column)}, `))
      return sql`
        INSERT INTO "MarketplaceSyncState" ("id", "tenantId", "marketplace", "createdAt", "updatedAt"${columns})
        VALUES (gen_random_uuid()::text, ${tenantId}, ${MARKETPLACE}, ${shared.timeNow(types.createdAt)}, ${updatedNow}${values})
        ON CONFLICT ("tenantId", "marketplace") DO UPDATE SET ${updates}"updatedAt" = EXCLUDED."updatedAt"`.pipe(
        Effect.asVoid,
        Effect.orDie
      )
    }

    const run = (tenantId: string): Effect.Effect<Option.Option<BackfillRun>> =>
      sql`SELECT "days", "rangeStart", "rangeEnd", "startedAt", "finishedAt", "ordersFetched", "pages", "requests",
          "throttled", "quarantined", "activeMillis", "historySource", "historyReason", "reportSecondsObserved"
        FROM "OrderSyncBackfill" WHERE "tenantId" = ${tenantId}`.pipe(
        Effect.orDie,
        Effect.flatMap(decodeRun),
        Effect.map((rows) => Option.fromNullable(rows[0]))
      )

    /**
     * A new run replaces any previous one: its range, and one window over all of it (split as it fills). One
     * statement: window 0 is written over, never deleted and inserted, since the parts of a statement run in no set order.
     */
    const startRun = (tenantId: string, days: number, rangeStart: Date, rangeEnd: Date): Effect.Effect<void> =>
      sql`WITH "windows" AS (DELETE FROM "OrderSyncWindow" WHERE "tenantId" = ${tenantId} AND "windowIndex" > 0),
          "reports" AS (DELETE FROM "OrderSyncReportWindow" WHERE "tenantId" = ${tenantId}),
          "run" AS (
            INSERT INTO "OrderSyncBackfill" ("tenantId", "days", "rangeStart", "rangeEnd")
            VALUES (${tenantId}, ${days}, ${utc(rangeStart)}, ${utc(rangeEnd)})
            ON CONFLICT ("tenantId") DO UPDATE SET "days" = EXCLUDED."days", "rangeStart" = EXCLUDED."rangeStart",
              "rangeEnd" = EXCLUDED."rangeEnd", "startedAt" = now(), "finishedAt" = NULL, "ordersFetched" = 0,
              "pages" = 0, "requests" = 0, "throttled" = 0, "quarantined" = 0, "activeMillis" = 0,
              "historySource" = NULL, "historyReason" = NULL)
          INSERT INTO "OrderSyncWindow" ("tenantId", "windowIndex", "startAt", "endAt", "queryStart")
          VALUES (${tenantId}, 0, ${utc(rangeStart)}, ${utc(rangeEnd)}, ${utc(rangeStart)})
          ON CONFLICT ("tenantId", "windowIndex") DO UPDATE SET "startAt" = EXCLUDED."startAt", "endAt" = EXCLUDED."endAt",
            "queryStart" = EXCLUDED."queryStart", "status" = 'pending', "pageToken" = NULL, "resumeAfter" = NULL,
            "pages" = 0, "orders" = 0, "updatedAt" = now()`.pipe(Effect.asVoid, Effect.orDie)

    const finishRun = (tenantId: string) =>
      sql`UPDATE "OrderSyncBackfill" SET "finishedAt" = now() WHERE "tenantId" = ${tenantId}`.pipe(Effect.asVoid, Effect.orDie)

    const windows = (tenantId: string): Effect.Effect<ReadonlyArray<Window>> =>
      sql`SELECT "windowIndex", "startAt", "endAt", "status", "queryStart", "pageToken", "resumeAfter", "pages", "orders"
        FROM "OrderSyncWindow" WHERE "tenantId" = ${tenantId} ORDER BY "windowIndex"`.pipe(Effect.orDie, Effect.flatMap(decodeWindows))

    /** Records a committed page: where the pagination stands and the counters. */
    const advance = (
      tenantId: string,
      window: number,
      checkpoint: WindowCheckpoint,
      progress: PageProgress
    ): Effect.Effect<void> =>
      // One statement for the window and the run's counters: a page of a paced backfill costs as few round trips
      // as it can (B3 runs ten thousand of them at once).
      sql`WITH ${advanceParts(tenantId, window, checkpoint, progress)} SELECT 1`.pipe(Effect.asVoid, Effect.orDie)

    /** `advance` as parts of a statement (`"window" AS (…), "run" AS (…)`), writing only where `gate` holds. */
    const advanceParts = (
      tenantId: string,
      window: number,
      checkpoint: WindowCheckpoint,
      progress: PageProgress,
      gate: Fragment = sql`TRUE`
    ): Fragment =>
      sql`"window" AS (
            UPDATE "OrderSyncWindow" SET "pageToken" = ${checkpoint.pageToken},
              "resumeAfter" = COALESCE(${checkpoint.resumeAfter ? utc(checkpoint.resumeAfter) : null}::timestamptz, "resumeAfter"),
              "status" = ${checkpoint.done ? "done" : "pending"}, "pages" = "pages" + 1,
              "orders" = "orders" + ${progress.orders}, "updatedAt" = now()
            WHERE "tenantId" = ${tenantId} AND "windowIndex" = ${window} AND ${gate}
            RETURNING "status", "startAt", "endAt", "resumeAfter"
          ), "run" AS (${countChunkStatement(tenantId, progress, gate)})`

    const countChunkStatement = (tenantId: string, progress: PageProgress, gate: Fragment = sql`TRUE`) =>
      sql`UPDATE "OrderSyncBackfill" SET "pages" = "pages" + 1, "ordersFetched" = "ordersFetched" + ${progress.orders},
            "requests" = "requests" + ${progress.requests}, "throttled" = "throttled" + ${progress.throttled},
            "quarantined" = "quarantined" + ${progress.quarantined}, "activeMillis" = "activeMillis" + ${progress.activeMillis}
          WHERE "tenantId" = ${tenantId} AND ${gate}`

    /** Adds a stored chunk (a page, or a part of a report document) to the run's counters. */
    const countChunk = (tenantId: string, progress: PageProgress): Effect.Effect<void> =>
      countChunkStatement(tenantId, progress).pipe(Effect.asVoid, Effect.orDie)

    /**
     * Closes a full window at `at` and opens the next one from there, carrying the same pagination on: windows
     * follow the volume of orders without costing a request. Answers the new window's index.
     */
    const split = (tenantId: string, window: Window, at: Date): Effect.Effect<number> =>
      sql`UPDATE "OrderSyncWindow" SET "status" = 'done', "endAt" = ${utc(at)}, "pageToken" = NULL, "updatedAt" = now()
          WHERE "tenantId" = ${tenantId} AND "windowIndex" = ${window.windowIndex}`.pipe(
        // The next index after every window of the run (the reports path appends windows of its own).
        Effect.zipRight(sql<{ windowIndex: number }>`
          INSERT INTO "OrderSyncWindow" ("tenantId", "windowIndex", "startAt", "endAt", "queryStart", "pageToken", "resumeAfter")
          SELECT ${tenantId}, max("windowIndex") + 1, ${utc(at)}, ${utc(window.endAt)}, ${utc(window.queryStart)},
            ${window.pageToken}, ${utc(at)}
          FROM "OrderSyncWindow" WHERE "tenantId" = ${tenantId}
          RETURNING "windowIndex"`),
        Effect.map((rows) => rows[0]!.windowIndex),
        Effect.orDie
      )

    /**
     * The window's page token was refused: restart its listing from its last committed order. With `endBefore`
     * (Amazon refused the upper bound as too recent), the window, and the run's range if it is the last, end there.
     */
    const restartWindow = (tenantId: string, window: Window, endBefore?: Date): Effect.Effect<Window> => {
      const queryStart = window.resumeAfter ?? window.startAt
      const endAt = endBefore !== undefined && endBefore < window.endAt ? endBefore : window.endAt
      return Effect.all([
        sql`UPDATE "OrderSyncWindow" SET "queryStart" = ${utc(queryStart)}, "pageToken" = NULL, "endAt" = ${utc(endAt)},
              "updatedAt" = now()
            WHERE "tenantId" = ${tenantId} AND "windowIndex" = ${window.windowIndex}`,
        sql`UPDATE "OrderSyncBackfill" SET "rangeEnd" = ${utc(endAt)}
            WHERE "tenantId" = ${tenantId} AND "rangeEnd" = ${utc(window.endAt)}`
      ], { discard: true }).pipe(
        Effect.as({ ...window, queryStart, endAt, pageToken: null }),
        Effect.orDie
      )
    }

    /** Asks a running backfill to stop at its next chunk: its state says `paused`, which the sink checks. */
    const pause = (tenantId: string): Effect.Effect<void> =>
      sql`UPDATE "MarketplaceSyncState" SET "initialBackfillStatus" = 'paused', "updatedAt" = ${updatedNow}
          WHERE "tenantId" = ${tenantId} AND "initialBackfillStatus" IN ('in_progress', 'failed')`.pipe(Effect.asVoid, Effect.orDie)

    /** A paused backfill may run again. */
    const resume = (tenantId: string): Effect.Effect<void> =>
      sql`UPDATE "MarketplaceSyncState" SET "initialBackfillStatus" = 'in_progress', "updatedAt" = ${updatedNow}
          WHERE "tenantId" = ${tenantId} AND "initialBackfillStatus" = 'paused'`.pipe(Effect.asVoid, Effect.orDie)

    /** The planner's choice, said once per run. */
    const chooseSource = (tenantId: string, source: "orders" | "reports", reason: string): Effect.Effect<void> =>
      sql`UPDATE "OrderSyncBackfill" SET "historySource" = ${source}, "historyReason" = ${reason} WHERE "tenantId" = ${tenantId}`.pipe(
        Effect.asVoid,
        Effect.orDie
      )

    /** A report of this seller took `seconds` to process: folded into the seller's mean (the planner's estimate). */
    const observeReportSeconds = (tenantId: string, seconds: number): Effect.Effect<void> =>
      sql`UPDATE "OrderSyncBackfill" SET "reportSecondsObserved" =
            CASE WHEN "reportSecondsObserved" IS NULL THEN ${seconds} ELSE 0.7 * "reportSecondsObserved" + 0.3 * ${seconds} END
          WHERE "tenantId" = ${tenantId}`.pipe(Effect.asVoid, Effect.orDie)

    /** Closes a window at `at` (the last order of its first page) without opening another: the reports go on from there. */
    const closeWindow = (tenantId: string, windowIndex: number, at: Date): Effect.Effect<void> =>
      sql`UPDATE "OrderSyncWindow" SET "status" = 'done', "endAt" = ${utc(at)}, "pageToken" = NULL, "updatedAt" = now()
          WHERE "tenantId" = ${tenantId} AND "windowIndex" = ${windowIndex}`.pipe(Effect.asVoid, Effect.orDie)

    /** Appends an Orders API window over [startAt, endAt] (the reports' tail, or a report that failed for good). */
    const addWindow = (tenantId: string, startAt: Date, endAt: Date): Effect.Effect<void> =>
      sql`INSERT INTO "OrderSyncWindow" ("tenantId", "windowIndex", "startAt", "endAt", "queryStart")
          SELECT ${tenantId}, COALESCE(max("windowIndex") + 1, 0), ${utc(startAt)}, ${utc(endAt)}, ${utc(startAt)}
          FROM "OrderSyncWindow" WHERE "tenantId" = ${tenantId}`.pipe(Effect.asVoid, Effect.orDie)

    /**
     * How much of the run's range is stored, 0 to 1 (the share `Status` reports as `coverage`, computed the same way:
     * done windows whole, the pending ones up to their last order, done report windows whole; 1 once the backfill
     * succeeded). One statement, because the progress gauge follows every committed page.
     */
    /**
     * The run's coverage (0–1, text with 4 decimals) as a scalar subquery, from `windows`: a relation of the tenant's
     * windows with "status", "startAt", "endAt" and "resumeAfter" (the table, or the table with a window just
     * updated in the same statement: see PageCommits).
     */
    const coverageOf = (tenantId: string, windows: Fragment): Fragment =>
      sql`(SELECT CASE WHEN s."initialBackfillStatus" = 'success' THEN 1 ELSE round(LEAST(1,
          (COALESCE((SELECT sum(GREATEST(0, extract(epoch FROM
                      (CASE WHEN w."status" = 'done' THEN w."endAt" ELSE w."resumeAfter" END) - w."startAt")))
                    FROM ${windows} w), 0)
           + COALESCE((SELECT sum(extract(epoch FROM rw."endAt" - rw."startAt"))
                    FROM "OrderSyncReportWindow" rw WHERE rw."tenantId" = r."tenantId" AND rw."status" = 'done'), 0))
          / GREATEST(0.001, extract(epoch FROM r."rangeEnd" - r."rangeStart")))::numeric, 4) END::text
        FROM "OrderSyncBackfill" r
        LEFT JOIN "MarketplaceSyncState" s ON s."tenantId" = r."tenantId" AND s."marketplace" = ${MARKETPLACE}
        WHERE r."tenantId" = ${tenantId})`

    /**
     * The coverage in the statement of `advanceParts`, with its window as that statement leaves it: the statement's
     * parts all read the snapshot it started from, so the updated window comes from its `RETURNING` (PageCommits).
     */
    const coverageAfterAdvance = (tenantId: string, window: number): Fragment =>
      coverageOf(tenantId, sql`(SELECT "status", "startAt", "endAt", "resumeAfter" FROM "OrderSyncWindow"
          WHERE "tenantId" = ${tenantId} AND "windowIndex" <> ${window}
        UNION ALL SELECT "status", "startAt", "endAt", "resumeAfter" FROM "window")`)

    /** The run's coverage now, for the progress gauge (see Status.publishProgress). */
    const coverage = (tenantId: string): Effect.Effect<number> =>
      sql<{ coverage: string | null }>`
        SELECT ${coverageOf(tenantId, sql`(SELECT * FROM "OrderSyncWindow" WHERE "tenantId" = ${tenantId})`)} AS "coverage"`.pipe(
        Effect.map((rows) => Number(rows[0]?.coverage ?? 0)),
        Effect.orDie
      )

    /** Counts requests that brought no page (throttled ones) into the run. */
    const countRequests = (tenantId: string, counts: { readonly requests: number; readonly throttled: number }) =>
      sql`UPDATE "OrderSyncBackfill" SET "throttled" = "throttled" + ${counts.throttled}, "requests" = "requests" + ${counts.requests}
          WHERE "tenantId" = ${tenantId}`.pipe(Effect.asVoid, Effect.orDie)

    return {
      state, patchState, run, startRun, finishRun, windows, advance, advanceParts, split, restartWindow, countRequests,
      chooseSource, observeReportSeconds, closeWindow, addWindow, countChunk, coverage, coverageAfterAdvance, pause, resume
    } as const
  }),
  dependencies: [SharedColumns.Default]
}) {}
