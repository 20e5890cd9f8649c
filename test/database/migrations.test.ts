import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { migrate } from "../../src/Services/Store/Database.js"
import { freshDatabaseUrl } from "../support/Database.js"

const onDatabase = (url: string) => Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 2 }))

const columns = (table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns WHERE table_name = ${table}`.pipe(
      Effect.map((rows) => rows.map((r) => r.column_name).sort())
    ))

describe("migrations", () => {
  it.effect("apply on an empty database, and a second run changes nothing", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabaseUrl("empty")
      const first = yield* migrate.pipe(onDatabase(url))
      const second = yield* migrate.pipe(onDatabase(url))
      expect(first.length).toBeGreaterThan(0)
      expect(second).toEqual([])
      const sql = columns("Order").pipe(onDatabase(url))
      expect(yield* sql).toEqual(expect.arrayContaining(["tenantId", "externalOrderId", "raw", "totalAmount"]))
    }))

  it.effect("apply on top of the seed backend's existing Order and MarketplaceSyncState tables", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabaseUrl("seeded")
      // The seed's Prisma tables, with a row that must survive.
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE "Order" (
          "id" TEXT PRIMARY KEY, "tenantId" TEXT NOT NULL, "marketplace" TEXT NOT NULL,
          "externalOrderId" TEXT NOT NULL, "orderDate" TIMESTAMP(3), "orderStatus" TEXT, "totalAmount" DECIMAL(65,30),
          "currency" TEXT, "raw" JSONB, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
          "updatedAt" TIMESTAMP(3) NOT NULL)`
        yield* sql`CREATE UNIQUE INDEX "Order_tenantId_marketplace_externalOrderId_key"
          ON "Order"("tenantId", "marketplace", "externalOrderId")`
        yield* sql`CREATE TABLE "MarketplaceSyncState" (
          "id" TEXT PRIMARY KEY, "tenantId" TEXT NOT NULL, "marketplace" TEXT NOT NULL, "cursor" TIMESTAMP(3),
          "lastSyncAt" TIMESTAMP(3), "lastError" TEXT, "initialBackfillDays" INTEGER,
          "initialBackfillDoneAt" TIMESTAMP(3), "initialBackfillStatus" TEXT,
          "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL)`
        yield* sql`CREATE UNIQUE INDEX "MarketplaceSyncState_tenantId_marketplace_key"
          ON "MarketplaceSyncState"("tenantId", "marketplace")`
        yield* sql`INSERT INTO "Order" ("id", "tenantId", "marketplace", "externalOrderId", "updatedAt")
          VALUES ('o1', 'ecomlg-001', 'amazon', '111-1111111-1111111', now())`
      }).pipe(onDatabase(url))

      yield* migrate.pipe(onDatabase(url))
      expect(yield* migrate.pipe(onDatabase(url))).toEqual([])

      const rows = yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT "id" FROM "Order"`).pipe(onDatabase(url))
      expect(rows).toEqual([{ id: "o1" }])
      const orderColumns = yield* columns("Order").pipe(onDatabase(url))
      expect(orderColumns).toEqual(expect.arrayContaining(["itemsCount", "lastUpdateDate", "fulfillmentChannel"]))
      const tables = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql<{ t: string }>`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`).pipe(onDatabase(url))
      expect(tables.map((r) => r.t)).toEqual(expect.arrayContaining(["OrderSyncLease", "OrderSyncWindow", "OrderSyncTenant"]))
    }))
})
