import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

// The second history source: Amazon's order reports. A run says which path it took and why; each report covers one
// window of at most 30 days, checkpointed from the createReport to the last row stored.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE "OrderSyncBackfill"
    ADD COLUMN IF NOT EXISTS "historySource" TEXT,
    ADD COLUMN IF NOT EXISTS "historyReason" TEXT,
    ADD COLUMN IF NOT EXISTS "reportSecondsObserved" DOUBLE PRECISION`
  yield* sql`CREATE TABLE IF NOT EXISTS "OrderSyncReportWindow" (
    "tenantId" TEXT NOT NULL,
    "windowIndex" INTEGER NOT NULL,
    "startAt" TIMESTAMPTZ NOT NULL,
    "endAt" TIMESTAMPTZ NOT NULL,
    -- pending: no report yet; requested: a report exists (reportId); done: stored; fallback: handed to the Orders API.
    "status" TEXT NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'requested', 'done', 'fallback')),
    "reportId" TEXT,
    "reportStatus" TEXT,
    "reportDocumentId" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "requestedAt" TIMESTAMPTZ,
    "processingSeconds" DOUBLE PRECISION,
    -- Data rows of the document committed so far (a resumed download skips them) and the orders they held.
    "rowsDone" BIGINT NOT NULL DEFAULT 0,
    "orders" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY ("tenantId", "windowIndex")
  )`
})
