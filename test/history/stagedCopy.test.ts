import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { Order } from "../../src/Domain/Order.js"
import { OrderRepo, stageOrders } from "../../src/Services/Store/OrderRepo.js"
import { TestSql } from "../support/Database.js"

// A report's chunks reach "Order" through COPY (text format) into a staging table, the Orders API's pages through
// one statement of JSON rows (jsonb_to_recordset). Both must store the same rows, whatever the text holds.
const HOSTILE = ["back\\slash", "tab\there", "line\nbreak", "carriage\rreturn", "\\N", "\\.", "\"quoted\"", "comma, semi;", "naïve – 日本語 🚀", ""]

const order = (id: string, updated: string, text: string, overrides: Partial<Order> = {}) =>
  ({
    externalOrderId: id,
    marketplaceId: "A13V1IB3VIYZZH",
    orderDate: new Date("2026-03-01T10:00:00.123Z"),
    lastUpdateDate: new Date(updated),
    orderStatus: "SHIPPED",
    fulfillmentChannel: "AMAZON",
    salesChannel: "Amazon.fr",
    totalAmount: "20.49",
    currency: "EUR",
    itemsCount: 2,
    raw: { source: "report", reportType: "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", rows: [{ "product-name": text, "sku": text }] },
    ...overrides
  })

const rows = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<Record<string, unknown>>`
      SELECT "externalOrderId", "marketplaceId", "orderDate", "lastUpdateDate", "orderStatus", "fulfillmentChannel",
        "salesChannel", "totalAmount"::text AS "totalAmount", "currency", "itemsCount", "raw"
      FROM "Order" WHERE "tenantId" = ${tenantId} ORDER BY "externalOrderId"`)

describe("report chunks staged for COPY", () => {
  it.layer(Layer.provideMerge(OrderRepo.Default, TestSql))((it) => {
    it.effect("store exactly what the one-statement upsert stores: escapes, NULLs, unicode; a repeated id keeps its newest version", () =>
      Effect.gen(function*() {
        const repo = yield* OrderRepo
        const sql = yield* SqlClient.SqlClient
        const orders = [
          ...HOSTILE.map((text, i) => order(`ORDER-${i}`, "2026-03-02T00:00:00Z", text)),
          // Text in every text column, and every nullable column null.
          order("ORDER-text", "2026-03-02T00:00:00Z", "x", { orderStatus: "Shipped\t\\N", salesChannel: "a\\b\nc" }),
          order("ORDER-nulls", "2026-03-02T00:00:00Z", "y", {
            marketplaceId: null,
            fulfillmentChannel: null,
            salesChannel: null,
            totalAmount: null,
            currency: null,
            itemsCount: null
          }),
          // The same id twice in one chunk: the newer version wins, in either order.
          order("ORDER-twice", "2026-03-05T00:00:00Z", "newer"),
          order("ORDER-twice", "2026-03-04T00:00:00Z", "older")
        ]
        yield* repo.upsert("by-unnest", orders, "report")
        const staged = stageOrders(orders)
        expect(staged.orders).toBe(orders.length - 1)
        const first = yield* sql.withTransaction(repo.upsertStaged("by-copy", staged, "report"))
        expect(first).toEqual({ inserted: orders.length - 1, updated: 0 })

        const expected = yield* rows("by-unnest")
        expect(yield* rows("by-copy")).toEqual(expected)
        expect(expected.find((r) => r.externalOrderId === "ORDER-twice")!.raw).toMatchObject({ rows: [{ "product-name": "newer" }] })
        // ORDER-0 … ORDER-9 sort first: each holds its hostile text as written.
        expect(expected.slice(0, HOSTILE.length).map((r) => (r.raw as { rows: Array<Record<string, string>> }).rows[0]!["sku"])).toEqual(HOSTILE)

        // Again: nothing changes. A newer version replaces, an older one never does.
        expect(yield* sql.withTransaction(repo.upsertStaged("by-copy", staged, "report"))).toEqual({ inserted: 0, updated: 0 })
        const later = stageOrders([order("ORDER-0", "2026-03-09T00:00:00Z", "changed"), order("ORDER-1", "2026-03-01T12:00:00Z", "stale")])
        expect(yield* sql.withTransaction(repo.upsertStaged("by-copy", later, "report"))).toEqual({ inserted: 0, updated: 1 })
        const after = yield* rows("by-copy")
        expect(after.find((r) => r.externalOrderId === "ORDER-0")!.raw).toMatchObject({ rows: [{ sku: "changed" }] })
        expect(after.find((r) => r.externalOrderId === "ORDER-1")).toEqual(expected.find((r) => r.externalOrderId === "ORDER-1"))
      }))
  })
})
