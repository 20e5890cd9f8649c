import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { GroundTruthOrder } from "../../src/Simulator/index.js"

/** How the original backend's schema may type the delta cursor: a Prisma `String?`, a `DateTime?`, or timestamptz. */
export type CursorType = "TEXT" | "TIMESTAMP(3)" | "TIMESTAMPTZ"

/**
 * The original backend's two tables as its Prisma migrations made them: `id TEXT` keys and `"updatedAt"` without
 * defaults, `DECIMAL(65,30)` totals, NOT NULL order dates and status, and the cursor typed as given.
 */
export const createOriginalTables = (cursor: CursorType) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE "Order" (
      "id" TEXT NOT NULL,
      "tenantId" TEXT NOT NULL,
      "marketplace" TEXT NOT NULL,
      "externalOrderId" TEXT NOT NULL,
      "marketplaceId" TEXT,
      "orderDate" TIMESTAMP(3) NOT NULL,
      "lastUpdateDate" TIMESTAMP(3),
      "orderStatus" TEXT NOT NULL,
      "fulfillmentChannel" TEXT,
      "totalAmount" DECIMAL(65,30),
      "currency" TEXT,
      "raw" JSONB,
      "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
      "updatedAt" TIMESTAMP(3) NOT NULL,
      CONSTRAINT "Order_pkey" PRIMARY KEY ("id"))`
    yield* sql`CREATE UNIQUE INDEX "Order_tenantId_marketplace_externalOrderId_key"
      ON "Order"("tenantId", "marketplace", "externalOrderId")`
    yield* sql`CREATE TABLE "MarketplaceSyncState" (
      "id" TEXT NOT NULL,
      "tenantId" TEXT NOT NULL,
      "marketplace" TEXT NOT NULL,
      "cursor" ${sql.literal(cursor)},
      "lastSyncAt" TIMESTAMP(3),
      "lastError" TEXT,
      "initialBackfillDays" INTEGER,
      "initialBackfillDoneAt" TIMESTAMP(3),
      "initialBackfillStatus" TEXT,
      "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
      "updatedAt" TIMESTAMP(3) NOT NULL,
      CONSTRAINT "MarketplaceSyncState_pkey" PRIMARY KEY ("id"))`
    yield* sql`CREATE UNIQUE INDEX "MarketplaceSyncState_tenantId_marketplace_key"
      ON "MarketplaceSyncState"("tenantId", "marketplace")`
  }).pipe(Effect.orDie)

/** A state row as the original backend wrote it; `cursor` is the column's literal text (cast to its type). */
export interface OriginalState {
  readonly tenantId: string
  readonly status: string | null
  readonly days: number | null
  readonly doneAt: Date | null
  readonly lastSyncAt: Date | null
  readonly cursor: string | null
}

export const insertState = (state: OriginalState, cursorType: CursorType) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`INSERT INTO "MarketplaceSyncState" ("id", "tenantId", "marketplace", "cursor", "lastSyncAt",
        "initialBackfillDays", "initialBackfillDoneAt", "initialBackfillStatus", "updatedAt")
      VALUES (${`old-state-${state.tenantId}`}, ${state.tenantId}, 'amazon',
        ${state.cursor}::text::${sql.literal(cursorType)},
        ${state.lastSyncAt?.toISOString() ?? null}::timestamptz AT TIME ZONE 'UTC', ${state.days},
        ${state.doneAt?.toISOString() ?? null}::timestamptz AT TIME ZONE 'UTC', ${state.status},
        '2026-01-01 00:00:00')`).pipe(Effect.asVoid, Effect.orDie)

/** An order row as the original backend stored it: `version` says which of its fields it knew. */
export interface OriginalOrder {
  readonly tenantId: string
  readonly order: GroundTruthOrder
  /** `current`: as Amazon has it now; `stale`: an earlier version; `noVersion`: stale and no lastUpdateDate. */
  readonly version: "current" | "stale" | "noVersion"
}

/** The original backend's rows (its own ids), in one statement. */
export const insertOrders = (rows: ReadonlyArray<OriginalOrder>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const current = rows.map((r) => r.version === "current")
    return sql`INSERT INTO "Order" ("id", "tenantId", "marketplace", "externalOrderId", "marketplaceId", "orderDate",
        "lastUpdateDate", "orderStatus", "fulfillmentChannel", "totalAmount", "currency", "raw", "updatedAt")
      SELECT u.id, u.tenant, 'amazon', u.order_id, u.mp, u.od AT TIME ZONE 'UTC', u.lu AT TIME ZONE 'UTC', u.st, u.fc,
        u.ta::numeric, u.cur, u.raw::jsonb, '2026-01-01 00:00:00'
      FROM UNNEST(
        ${rows.map((r) => `old-${r.tenantId}-${r.order.orderId}`)}::text[],
        ${rows.map((r) => r.tenantId)}::text[],
        ${rows.map((r) => r.order.orderId)}::text[],
        ${rows.map((r) => r.order.marketplaceId)}::text[],
        ${rows.map((r) => r.order.createdTime)}::timestamptz[],
        ${rows.map((r) => r.version === "current" ? r.order.lastUpdatedTime : r.version === "stale" ? r.order.createdTime : null)}::timestamptz[],
        ${rows.map((r, i) => current[i] ? r.order.status : "Pending")}::text[],
        ${rows.map((r, i) => current[i] ? r.order.fulfillmentChannel : null)}::text[],
        ${rows.map((r, i) => current[i] ? r.order.totalAmount : "0.1")}::text[],
        ${rows.map((r, i) => current[i] ? r.order.currency : null)}::text[],
        ${rows.map((r) => JSON.stringify({ storedBy: "original backend", orderId: r.order.orderId }))}::text[]
      ) AS u(id, tenant, order_id, mp, od, lu, st, fc, ta, cur, raw)`
  }).pipe(Effect.asVoid, Effect.orDie)
