import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

// The seed backend's two tables (Prisma names: quoted PascalCase tables, camelCase columns). Every statement is
// IF NOT EXISTS so this applies both to an empty database and to the seed backend's existing one.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS "Order" (
    "id" TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
    "tenantId" TEXT NOT NULL,
    "marketplace" TEXT NOT NULL DEFAULT 'amazon',
    "externalOrderId" TEXT NOT NULL
  )`
  for (const column of [
    `"marketplaceId" TEXT`,
    `"orderDate" TIMESTAMP(3)`,
    `"lastUpdateDate" TIMESTAMP(3)`,
    `"orderStatus" TEXT`,
    `"fulfillmentChannel" TEXT`,
    `"salesChannel" TEXT`,
    `"totalAmount" NUMERIC(18, 2)`,
    `"currency" TEXT`,
    `"itemsCount" INTEGER`,
    `"raw" JSONB`,
    `"createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP`,
    `"updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP`
  ]) {
    yield* sql.unsafe(`ALTER TABLE "Order" ADD COLUMN IF NOT EXISTS ${column}`)
  }
  yield* sql.unsafe(`DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'Order_tenantId_marketplace_externalOrderId_key')
       AND NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'Order_tenantId_marketplace_externalOrderId_key') THEN
      ALTER TABLE "Order" ADD CONSTRAINT "Order_tenantId_marketplace_externalOrderId_key"
        UNIQUE ("tenantId", "marketplace", "externalOrderId");
    END IF;
  END $$`)
  yield* sql`CREATE INDEX IF NOT EXISTS "Order_tenantId_externalOrderId_idx" ON "Order" ("tenantId", "externalOrderId")`
  yield* sql`CREATE INDEX IF NOT EXISTS "Order_tenantId_orderDate_desc_idx" ON "Order" ("tenantId", "orderDate" DESC)`
  yield* sql`CREATE INDEX IF NOT EXISTS "Order_tenantId_orderDate_idx" ON "Order" ("tenantId", "orderDate")`
  yield* sql`CREATE INDEX IF NOT EXISTS "Order_tenantId_orderStatus_idx" ON "Order" ("tenantId", "orderStatus")`

  yield* sql`CREATE TABLE IF NOT EXISTS "MarketplaceSyncState" (
    "id" TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
    "tenantId" TEXT NOT NULL,
    "marketplace" TEXT NOT NULL DEFAULT 'amazon'
  )`
  for (const column of [
    `"cursor" TIMESTAMP(3)`,
    `"lastSyncAt" TIMESTAMP(3)`,
    `"lastError" TEXT`,
    `"initialBackfillDays" INTEGER`,
    `"initialBackfillDoneAt" TIMESTAMP(3)`,
    `"initialBackfillStatus" TEXT`,
    `"createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP`,
    `"updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP`
  ]) {
    yield* sql.unsafe(`ALTER TABLE "MarketplaceSyncState" ADD COLUMN IF NOT EXISTS ${column}`)
  }
  yield* sql`CREATE UNIQUE INDEX IF NOT EXISTS "MarketplaceSyncState_tenantId_marketplace_key"
    ON "MarketplaceSyncState" ("tenantId", "marketplace")`
})
