import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

// Order items, one row per item of a stored order, named like the seed backend's Prisma tables (quoted PascalCase,
// camelCase columns, TIMESTAMP(3) in UTC), keyed like "Order" plus Amazon's item id. "orderId" is the order's
// "Order"."id", for joins; no foreign key: with it, a uuid "id" and a SKU index, writing the items took 5.8 ms per
// page of 100 orders where the key alone takes 1.3 ms.
// The report total rule of a tenant (see ReportOrders.ts `ReportTotalRule`) is kept with the tenant.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS "OrderItem" (
    "orderId" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "marketplace" TEXT NOT NULL DEFAULT 'amazon',
    "externalOrderId" TEXT NOT NULL,
    "orderItemId" TEXT NOT NULL,
    "sku" TEXT,
    "asin" TEXT,
    "title" TEXT,
    "quantity" INTEGER NOT NULL,
    "quantityShipped" INTEGER,
    "itemPrice" NUMERIC(18, 2),
    "itemTax" NUMERIC(18, 2),
    "shippingPrice" NUMERIC(18, 2),
    "shippingTax" NUMERIC(18, 2),
    "giftWrapPrice" NUMERIC(18, 2),
    "giftWrapTax" NUMERIC(18, 2),
    "promotionDiscount" NUMERIC(18, 2),
    "currency" TEXT,
    "itemStatus" TEXT,
    "raw" JSONB,
    "lastUpdateDate" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "OrderItem_pkey" PRIMARY KEY ("tenantId", "marketplace", "externalOrderId", "orderItemId")
  )`

  // NULL: not decided yet. 'none': no rule made the report's totals equal the Orders API's (the reason is kept).
  yield* sql`ALTER TABLE "OrderSyncTenant" ADD COLUMN IF NOT EXISTS "reportTotalRule" TEXT
    CHECK ("reportTotalRule" IN ('additive', 'taxIncluded', 'none'))`
  yield* sql`ALTER TABLE "OrderSyncTenant" ADD COLUMN IF NOT EXISTS "reportTotalRuleReason" TEXT`
})
