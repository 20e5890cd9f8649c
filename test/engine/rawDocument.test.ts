import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { clientSettings, scoped as simulator, type SimulatorHandle } from "../../src/Simulator/index.js"
import { addSellers, engineFor, testSeller } from "../support/Engine.js"

/** The orders of one listing as Amazon's answers carry them, fetched page by page without ordersync. */
const amazonsOrders = async (sim: SimulatorHandle, tenantId: string, apiVersion: "2026-01-01" | "v0", after: Date, before: Date) => {
  const env = clientSettings(sim)
  const token = await fetch(env.LWA_ENDPOINT, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: `Atzr|${tenantId}`, client_id: env.LWA_CLIENT_ID, client_secret: env.LWA_CLIENT_SECRET })
  }).then((r) => r.json() as Promise<{ access_token: string }>)
  const orders: Array<Record<string, unknown>> = []
  let next: string | undefined
  do {
    const url = new URL(`${env.SPAPI_ENDPOINT}/orders/${apiVersion === "v0" ? "v0" : "2026-01-01"}/orders`)
    const params: Record<string, string> = apiVersion === "v0"
      ? { CreatedAfter: after.toISOString(), CreatedBefore: before.toISOString(), MarketplaceIds: "ATVPDKIKX0DER", ...(next ? { NextToken: next } : {}) }
      : { createdAfter: after.toISOString(), createdBefore: before.toISOString(), includedData: "FULFILLMENT,PROCEEDS", ...(next ? { paginationToken: next } : {}) }
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
    const response = await fetch(url, { headers: { "x-amz-access-token": token.access_token } })
    expect(response.status).toBe(200)
    const body = await response.json() as { orders?: Array<Record<string, unknown>>; pagination?: { nextToken?: string }; payload?: { Orders: Array<Record<string, unknown>>; NextToken?: string } }
    orders.push(...(body.orders ?? body.payload?.Orders ?? []))
    next = body.pagination?.nextToken ?? body.payload?.NextToken
  } while (next !== undefined)
  return orders
}

// The database takes each order's `raw` out of the answer's text by its position in the page (OrderRepo.upsert):
// every stored row must hold exactly its own order as Amazon sent it, also when orders around it were quarantined.
describe("raw: each order exactly as Amazon sent it", () => {
  for (const apiVersion of ["2026-01-01", "v0"] as const) {
    it.scopedLive(`Orders API ${apiVersion}, with orders quarantined in the middle of pages`, () =>
      Effect.gen(function*() {
        const faults = apiVersion === "v0" ? {} : { datasetsDroppedShare: 0.05 }
        const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("raw", 900, 77, { faults })] })
        yield* Effect.gen(function*() {
          yield* addSellers(sim)
          const status = yield* (yield* Backfill).runInitialBackfill("raw", 365)
          expect(status.initialBackfillStatus).toBe("success")
          const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run("raw"))
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ externalOrderId: string; raw: Record<string, unknown> }>`
            SELECT "externalOrderId", "raw" FROM "Order" WHERE "tenantId" = 'raw'`
          const quarantined = yield* sql<{ externalOrderId: string }>`SELECT "externalOrderId" FROM "OrderSyncQuarantine" WHERE "tenantId" = 'raw'`
          if (apiVersion !== "v0") expect(quarantined.length).toBeGreaterThan(0)
          const sent = yield* Effect.promise(() => amazonsOrders(sim, "raw", apiVersion, run.rangeStart, run.rangeEnd))
          const idField = apiVersion === "v0" ? "AmazonOrderId" : "orderId"
          const skipped = new Set(quarantined.map((q) => q.externalOrderId))
          const expected = new Map(sent.filter((o) => !skipped.has(o[idField] as string)).map((o) => [o[idField] as string, o]))
          expect(rows.length).toBe(expected.size)
          for (const row of rows) expect(row.raw).toEqual(expected.get(row.externalOrderId))
        }).pipe(Effect.provide(engineFor(sim, { ORDERS_API: apiVersion })))
      }))
  }
})
