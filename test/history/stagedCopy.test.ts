import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Option, Schedule, TestServices } from "effect"
import type { Order } from "../../src/Domain/Order.js"
import { OrderRepo, stageOrders, unstorable } from "../../src/Services/Store/OrderRepo.js"
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
        expect(first).toEqual({ inserted: orders.length - 1, updated: 0, refused: [] })

        const expected = yield* rows("by-unnest")
        expect(yield* rows("by-copy")).toEqual(expected)
        expect(expected.find((r) => r.externalOrderId === "ORDER-twice")!.raw).toMatchObject({ rows: [{ "product-name": "newer" }] })
        // ORDER-0 … ORDER-9 sort first: each holds its hostile text as written.
        expect(expected.slice(0, HOSTILE.length).map((r) => (r.raw as { rows: Array<Record<string, string>> }).rows[0]!["sku"])).toEqual(HOSTILE)

        // Again: nothing changes. A newer version replaces, an older one never does.
        expect(yield* sql.withTransaction(repo.upsertStaged("by-copy", staged, "report"))).toEqual({ inserted: 0, updated: 0, refused: [] })
        const later = stageOrders([order("ORDER-0", "2026-03-09T00:00:00Z", "changed"), order("ORDER-1", "2026-03-01T12:00:00Z", "stale")])
        expect(yield* sql.withTransaction(repo.upsertStaged("by-copy", later, "report"))).toEqual({ inserted: 0, updated: 1, refused: [] })
        const after = yield* rows("by-copy")
        expect(after.find((r) => r.externalOrderId === "ORDER-0")!.raw).toMatchObject({ rows: [{ sku: "changed" }] })
        expect(after.find((r) => r.externalOrderId === "ORDER-1")).toEqual(expected.find((r) => r.externalOrderId === "ORDER-1"))
      }))
  })

  // Rows PostgreSQL refuses: the COPY (a NUL byte, a quantity past INTEGER) or the INSERT (past NUMERIC(18, 2)) fails.
  // They bypass `unstorable` here (stageOrders takes any order), as a value it does not foresee would.
  const refusedChunk = (prefix: string, good: number) => [
    ...Array.from({ length: good }, (_, i) => order(`${prefix}-${String(i).padStart(4, "0")}`, "2026-03-02T00:00:00Z", `fine ${i}`)),
    order(`${prefix}-nul-raw`, "2026-03-02T00:00:00Z", "Widget\u0000 blue"),
    order(`${prefix}-nul-status`, "2026-03-02T00:00:00Z", "status", { orderStatus: "Ship\u0000ped" }),
    order(`${prefix}-quantity`, "2026-03-02T00:00:00Z", "quantity", { itemsCount: 2 ** 31 }),
    order(`${prefix}-amount`, "2026-03-02T00:00:00Z", "amount", { totalAmount: "12345678901234567.00" })
  ]

  it.layer(Layer.provideMerge(OrderRepo.Default, TestSql))((it) => {
    it.effect("rows PostgreSQL refuses are answered with its reason; the rest of the chunk is stored; the transaction goes on", () =>
      Effect.gen(function*() {
        const repo = yield* OrderRepo
        const sql = yield* SqlClient.SqlClient
        const chunk = refusedChunk("R", 20)
        expect(chunk.slice(20).map((o) => unstorable(o) !== undefined)).toEqual([false, true, true, true])
        const result = yield* sql.withTransaction(Effect.gen(function*() {
          const upserted = yield* repo.upsertStaged("refused", stageOrders(chunk), "report")
          // The transaction is usable after the refusals: the quarantine is written in it.
          const kept = yield* repo.quarantine("refused", upserted.refused)
          return { ...upserted, kept }
        }))
        expect({ inserted: result.inserted, updated: result.updated, kept: result.kept }).toEqual({ inserted: 20, updated: 0, kept: 4 })
        const reasons = Object.fromEntries(result.refused.map((q) => [q.externalOrderId, q.error]))
        expect(Object.keys(reasons).sort()).toEqual(["R-amount", "R-nul-raw", "R-nul-status", "R-quantity"])
        expect(reasons["R-nul-raw"]).toBe("PostgreSQL refused the order: unsupported Unicode escape sequence (SQLSTATE 22P05)")
        expect(reasons["R-nul-status"]).toMatch(/0x00.*SQLSTATE 22021/)
        expect(reasons["R-quantity"]).toMatch(/out of range for type integer.*SQLSTATE 22003/)
        expect(reasons["R-amount"]).toMatch(/numeric field overflow.*SQLSTATE 22003/)
        expect((yield* rows("refused")).map((r) => r.externalOrderId)).toEqual(chunk.slice(0, 20).map((o) => o.externalOrderId))
        // The quarantine keeps the order as it was, its NUL shown as U+FFFD (JSONB cannot hold one).
        const kept = yield* sql<{ externalOrderId: string; sku: string }>`
          SELECT "externalOrderId", "raw"->'rows'->0->>'sku' AS sku FROM "OrderSyncQuarantine" WHERE "tenantId" = 'refused' ORDER BY 1`
        expect(kept).toContainEqual({ externalOrderId: "R-nul-raw", sku: "Widget\uFFFD blue" })
      }))

    it.effect("interrupting a chunk whose COPY PostgreSQL refuses returns within a second", () =>
      Effect.gen(function*() {
        const repo = yield* OrderRepo
        const sql = yield* SqlClient.SqlClient
        return yield* TestServices.provideLive(Effect.gen(function*() {
        const copies = sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE query LIKE 'COPY "OrderStaging"%' AND pid <> pg_backend_pid()`
        // As the sink runs it: one transaction an interruption cannot cut in half.
        const fiber = yield* sql.withTransaction(repo.upsertStaged("interrupted", stageOrders(refusedChunk("I", 2000)), "report")).pipe(
          Effect.uninterruptible,
          Effect.fork
        )
        // Interrupted once its COPY has been sent (or it is already done).
        yield* Effect.flatMap(Effect.zip(Fiber.poll(fiber), copies), ([done, [copy]]) => Effect.succeed(Option.isSome(done) || copy!.n > 0)).pipe(
          Effect.repeat({ until: (ready) => ready, schedule: Schedule.spaced("5 millis") }),
          Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("the COPY was never seen") })
        )
        const interrupted = yield* Fiber.interrupt(fiber).pipe(Effect.timeout(Duration.seconds(1)), Effect.option)
        expect(Option.isSome(interrupted)).toBe(true)
        // The pool's connection came back usable.
        expect(yield* sql<{ one: number }>`SELECT 1 AS one`).toEqual([{ one: 1 }])
        }))
      }))
  })
})
