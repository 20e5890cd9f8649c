import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Schema } from "effect"
import { Count, decodeRows } from "./Rows.js"

/** A window of the reports path: one report of at most 30 days, and how far it got. */
const ReportWindowRow = Schema.Struct({
  windowIndex: Schema.Int,
  startAt: Schema.ValidDateFromSelf,
  endAt: Schema.ValidDateFromSelf,
  status: Schema.Literal("pending", "requested", "done", "fallback"),
  reportId: Schema.NullOr(Schema.String),
  reportStatus: Schema.NullOr(Schema.String),
  reportDocumentId: Schema.NullOr(Schema.String),
  /** createReport calls made for this window (a FATAL report is asked again, a bounded number of times). */
  attempts: Schema.Int,
  requestedAt: Schema.NullOr(Schema.ValidDateFromSelf),
  processingSeconds: Schema.NullOr(Schema.Number),
  rowsDone: Count,
  orders: Count,
  /** Orders of the document that are not the tenant's (another marketplace of the region): counted, not stored. */
  ordersDropped: Count
})
export interface ReportWindow extends Schema.Schema.Type<typeof ReportWindowRow> {}

const utc = (date: Date) => date.toISOString()

/** "OrderSyncReportWindow": the checkpoints of the reports path. Writers run inside their caller's fenced transaction. */
export class ReportWindows extends Effect.Service<ReportWindows>()("ordersync/ReportWindows", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const decodeWindows = decodeRows("OrderSyncReportWindow", ReportWindowRow)

    const list = (tenantId: string): Effect.Effect<ReadonlyArray<ReportWindow>> =>
      sql`SELECT "windowIndex", "startAt", "endAt", "status", "reportId", "reportStatus", "reportDocumentId", "attempts",
          "requestedAt", "processingSeconds", "rowsDone", "orders", "ordersDropped"
        FROM "OrderSyncReportWindow" WHERE "tenantId" = ${tenantId} ORDER BY "windowIndex"`.pipe(
        Effect.orDie,
        Effect.flatMap(decodeWindows)
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
    const advance = (tenantId: string, windowIndex: number, rowsDone: number, orders: number, dropped = 0): Effect.Effect<void> =>
      sql`UPDATE "OrderSyncReportWindow" SET "rowsDone" = ${rowsDone}, "orders" = "orders" + ${orders},
            "ordersDropped" = "ordersDropped" + ${dropped}, "updatedAt" = now()
          WHERE "tenantId" = ${tenantId} AND "windowIndex" = ${windowIndex}`.pipe(Effect.asVoid, Effect.orDie)

    /** The window is finished: stored (or empty), or handed to the Orders API. */
    const finish = (tenantId: string, windowIndex: number, status: "done" | "fallback"): Effect.Effect<void> =>
      sql`UPDATE "OrderSyncReportWindow" SET "status" = ${status}, "updatedAt" = now()
          WHERE "tenantId" = ${tenantId} AND "windowIndex" = ${windowIndex}`.pipe(Effect.asVoid, Effect.orDie)

    return { list, plan, requested, seen, advance, finish } as const
  })
}) {}
