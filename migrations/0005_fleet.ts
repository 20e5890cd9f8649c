import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

// The claim loop of a large fleet reads only the free leases, through this index, never the whole tenant table; so
// every tenant needs its lease row (`tenants add` makes one; tenants registered before this migration get theirs).
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE INDEX IF NOT EXISTS "OrderSyncLease_expiresAt_idx" ON "OrderSyncLease" ("expiresAt")`
  yield* sql`INSERT INTO "OrderSyncLease" ("tenantId") SELECT "tenantId" FROM "OrderSyncTenant" ON CONFLICT DO NOTHING`
})
