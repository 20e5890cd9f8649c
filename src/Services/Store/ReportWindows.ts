import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/** A window of the reports path: one report of at most 30 days, and how far it got. */
export interface ReportWindow {
  readonly windowIndex: number
  readonly startAt: Date
  readonly endAt: Date
  readonly status: "pending" | "requested" | "done" | "fallback"
  readonly reportId: string | null
  readonly reportStatus: string | null
  readonly reportDocumentId: string | null
  /** createReport calls made for this window (a FATAL report is asked again, a bounded number of times). */
  readonly attempts: number
  readonly requestedAt: Date | null
  readonly processingSeconds: number | null
  readonly rowsDone: number
  readonly orders: number
}

const utc = (date: Date) => date.toISOString()

/** "OrderSyncReportWindow": the checkpoints of the reports path. Writers run inside their caller's fenced transaction. */
export class ReportWindows extends Effect.Service<ReportWindows>()("ordersync/ReportWindows", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const list = (tenantId: string): Effect.Effect<ReadonlyArray<ReportWindow>> =>
      sql<Record<keyof ReportWindow, unknown>>`SELECT * FROM "OrderSyncReportWindow" WHERE "tenantId" = ${tenantId} ORDER BY "windowIndex"`.pipe(
        Effect.map((rows) =>
          rows.map((r): ReportWindow => ({
            windowIndex: Number(r.windowIndex),
            startAt: r.startAt as Date,
            endAt: r.endAt as Date,
            status: r.status as ReportWindow["status"],
            reportId: r.reportId as string | null,
            reportStatus: r.reportStatus as string | null,
            reportDocumentId: r.reportDocumentId as string | null,
            attempts: Number(r.attempts),
            requestedAt: r.requestedAt as Date | null,
            processingSeconds: r.processingSeconds === null ? null : Number(r.processingSeconds),
            rowsDone: Number(r.rowsDone),
            orders: Number(r.orders)
          }))),
        Effect.orDie
      )

    /** Replaces the tenant's report windows by these ranges. */
    const plan = (tenantId: string, ranges: ReadonlyArray<{ readonly startAt: Date; readonly endAt: Date }>): Effect.Effect<void> =>
      sql`DELETE FROM "OrderSyncReportWindow" WHERE "tenantId" = ${tenantId}`.pipe(
        Effect.zipRight(
          ranges.length === 0 ? Effect.void : sql`INSERT INTO "OrderSyncReportWindow" ("tenantId", "windowIndex", "startAt", "endAt")
            SELECT ${tenantId}, u.i, u.s, u.e FROM UNNEST(${ranges.map((_, i) => i)}::int[],
              ${ranges.map((r) => utc(r.startAt))}::timestamptz[], ${ranges.map((r) => utc(r.endAt))}::timestamptz[]) AS u(i, s, e)`
        ),
        Effect.asVoid,
        Effect.orDie
      )

    /** A report was created for the window: everything about the previous one (if any) is forgotten. */
    const requested = (tenantId: string, windowIndex: number, reportId: string, at: Date): Effect.Effect<void> =>
      sql`UPDATE "OrderSyncReportWindow" SET "status" = 'requested', "reportId" = ${reportId}, "reportStatus" = 'IN_QUEUE',
            "reportDocumentId" = NULL, "attempts" = "attempts" + 1, "requestedAt" = ${utc(at)}, "processingSeconds" = NULL,
            "rowsDone" = 0, "updatedAt" = now()
          WHERE "tenantId" = ${tenantId} AND "windowIndex" = ${windowIndex}`.pipe(Effect.asVoid, Effect.orDie)

    /** What the last getReport said. */
    const seen = (
      tenantId: string,
      windowIndex: number,
      report: { readonly status: string; readonly documentId: string | null; readonly processingSeconds: number | null }
    ): Effect.Effect<void> =>
      sql`UPDATE "OrderSyncReportWindow" SET "reportStatus" = ${report.status}, "reportDocumentId" = ${report.documentId},
            "processingSeconds" = ${report.processingSeconds}, "updatedAt" = now()
          WHERE "tenantId" = ${tenantId} AND "windowIndex" = ${windowIndex}`.pipe(Effect.asVoid, Effect.orDie)

    /** A chunk of the document is stored: rows through `rowsDone` are never read again. */
    const advance = (tenantId: string, windowIndex: number, rowsDone: number, orders: number): Effect.Effect<void> =>
      sql`UPDATE "OrderSyncReportWindow" SET "rowsDone" = ${rowsDone}, "orders" = "orders" + ${orders}, "updatedAt" = now()
          WHERE "tenantId" = ${tenantId} AND "windowIndex" = ${windowIndex}`.pipe(Effect.asVoid, Effect.orDie)

    /** The window is finished: stored (or empty), or handed to the Orders API. */
    const finish = (tenantId: string, windowIndex: number, status: "done" | "fallback"): Effect.Effect<void> =>
      sql`UPDATE "OrderSyncReportWindow" SET "status" = ${status}, "updatedAt" = now()
          WHERE "tenantId" = ${tenantId} AND "windowIndex" = ${windowIndex}`.pipe(Effect.asVoid, Effect.orDie)

    return { list, plan, requested, seen, advance, finish } as const
  })
}) {}
