import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

// The daemon's coordination tables: triggers that any replica accepts and the lease holder executes, and the
// live replicas (so each one claims only its fair share of the tenants).
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // A pending trigger per tenant and kind; a later one of the same kind replaces it (a restart is never dropped).
  yield* sql`CREATE TABLE IF NOT EXISTS "OrderSyncRequest" (
    "tenantId" TEXT NOT NULL REFERENCES "OrderSyncTenant" ("tenantId") ON DELETE CASCADE,
    "kind" TEXT NOT NULL CHECK ("kind" IN ('backfill', 'delta')),
    "days" INTEGER CHECK ("days" BETWEEN 1 AND 730),
    "restart" BOOLEAN NOT NULL DEFAULT false,
    "requestedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY ("tenantId", "kind")
  )`
  // Every running `ordersync serve`, renewed by its claim loop; an expired row is a dead replica.
  yield* sql`CREATE TABLE IF NOT EXISTS "OrderSyncReplica" (
    "owner" TEXT PRIMARY KEY,
    "startedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "expiresAt" TIMESTAMPTZ NOT NULL
  )`
})
