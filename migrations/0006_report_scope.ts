import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

// An order tracking report holds the seller's whole region: the orders of the tenant's other marketplaces are counted
// per window, not stored (the status shows them).
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE "OrderSyncReportWindow" ADD COLUMN IF NOT EXISTS "ordersDropped" integer NOT NULL DEFAULT 0`
})
