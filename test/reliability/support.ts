import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { StoredOrder } from "../support/Engine.js"

/** The backfill's range and the stored orders of one tenant, read from the database the child processes used. */
export const storedRun = (tenantId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [run] = yield* sql<{ rangeStart: Date; rangeEnd: Date }>`SELECT "rangeStart", "rangeEnd" FROM "OrderSyncBackfill" WHERE "tenantId" = ${tenantId}`
    const stored = yield* sql<StoredOrder>`SELECT "externalOrderId", "orderDate", "lastUpdateDate", "orderStatus",
      "totalAmount"::text AS "totalAmount", "currency", "fulfillmentChannel" FROM "Order" WHERE "tenantId" = ${tenantId}`
    return { run: run!, stored }
  })

/** Prints a scenario's figures where the suite's output shows them. */
export const report = (scenario: string, figures: Record<string, unknown>) =>
  console.log(`[${scenario}] ${JSON.stringify(figures)}`)

export const addTenantArgs = (tenantId: string) =>
  ["tenants", "add", "--tenant", tenantId, "--refresh-token", `Atzr|${tenantId}`, "--region", "na", "--marketplace", "ATVPDKIKX0DER"]
