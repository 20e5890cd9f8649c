import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { Order, OrderItem } from "../../src/Domain/Order.js"
import { OrderItems } from "../../src/Services/Store/OrderItems.js"
import { OrderRepo, stageOrders, unstorable } from "../../src/Services/Store/OrderRepo.js"
import { TestSql } from "../support/Database.js"

// "OrderItem" is written by the statement that writes the order: both upsert paths (one statement of JSON rows for
// the Orders API's pages, COPY into staging tables for a report's chunks) must store the same items, follow the
// order's version, and drop the items a newer version no longer has.
const HOSTILE = ["back\\slash", "tab\there", "line\nbreak", "\\N", "\"quoted\"", "naïve – 日本語 🚀", "{braces,comma}"]

const item = (orderItemId: string, overrides: Partial<OrderItem> = {}): OrderItem => ({
  orderItemId,
  sku: `SKU-${orderItemId}`,
  asin: "B0TESTASIN",
  title: "Edelstahl-Trinkflasche Größe M",
  quantity: 2,
  quantityShipped: 1,
  itemPrice: "19.98",
  itemTax: "3.80",
  shippingPrice: "4.99",
  shippingTax: "0.95",
  giftWrapPrice: "0",
  giftWrapTax: "0",
  promotionDiscount: "1.00",
  currency: "EUR",
  itemStatus: "SHIPPED",
  raw: { path: ["orderItems", "0"] },
  ...overrides
})

const order = (id: string, updated: string, items: ReadonlyArray<OrderItem> | undefined, raw: unknown = { orderId: id, orderItems: [{ orderItemId: "first" }, { orderItemId: "second" }] }): Order => ({
  externalOrderId: id,
  marketplaceId: "A1PA6795UKMFR9",
  orderDate: new Date("2026-03-01T10:00:00.123Z"),
  lastUpdateDate: new Date(updated),
  orderStatus: "SHIPPED",
  fulfillmentChannel: "AMAZON",
  salesChannel: "AMAZON",
  totalAmount: "28.72",
  currency: "EUR",
  itemsCount: 2,
  raw,
  ...(items === undefined ? {} : { items })
})

const stored = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<Record<string, unknown>>`
      SELECT i."externalOrderId", i."orderItemId", i."sku", i."asin", i."title", i."quantity", i."quantityShipped",
        i."itemPrice"::text AS "itemPrice", i."itemTax"::text AS "itemTax", i."promotionDiscount"::text AS "promotionDiscount",
        i."currency", i."itemStatus", i."raw", i."lastUpdateDate", o."id" = i."orderId" AS "ofItsOrder"
      FROM "OrderItem" i JOIN "Order" o ON o."tenantId" = i."tenantId" AND o."externalOrderId" = i."externalOrderId"
      WHERE i."tenantId" = ${tenantId} ORDER BY i."externalOrderId", i."orderItemId"`)

const viaJson = (tenantId: string, orders: ReadonlyArray<Order>, source: "api" | "report" = "api") =>
  Effect.flatMap(OrderRepo, (repo) => repo.upsert(tenantId, orders, source))
const viaCopy = (tenantId: string, orders: ReadonlyArray<Order>, source: "api" | "report" = "api") =>
  Effect.flatMap(Effect.zip(OrderRepo, SqlClient.SqlClient), ([repo, sql]) => sql.withTransaction(repo.upsertStaged(tenantId, stageOrders(orders), source)))

describe("order items in the store", () => {
  it.layer(Layer.provideMerge(Layer.merge(OrderRepo.Default, OrderItems.Default), TestSql))((it) => {
    it.effect("both upsert paths store the same items: hostile text, nulls, raw from the order's or the item's own", () =>
      Effect.gen(function*() {
        const orders = [
          ...HOSTILE.map((text, i) => order(`O-${i}`, "2026-03-02T00:00:00Z", [item("first", { title: text, sku: text }), item("second", { raw: { path: ["orderItems", "1"] } })])),
          order("O-nulls", "2026-03-02T00:00:00Z", [item("first", {
            sku: null, asin: null, title: null, quantityShipped: null, itemPrice: null, itemTax: null, shippingPrice: null,
            shippingTax: null, giftWrapPrice: null, giftWrapTax: null, promotionDiscount: null, currency: null, itemStatus: null,
            raw: { value: { OrderItemId: "first", Title: "v0's own item" } }
          })])
        ]
        yield* viaJson("items-json", orders)
        yield* viaCopy("items-copy", orders)
        const json = yield* stored("items-json")
        expect(json.length).toBe(HOSTILE.length * 2 + 1)
        expect(yield* stored("items-copy")).toEqual(json)
        expect(json.every((row) => row.ofItsOrder === true)).toBe(true)
        expect(json.filter((row) => row.orderItemId === "first" && row.externalOrderId !== "O-nulls").map((row) => row.title)).toEqual(HOSTILE)
        expect(json.find((row) => row.externalOrderId === "O-0" && row.orderItemId === "second")!.raw).toEqual({ orderItemId: "second" })
        expect(json.find((row) => row.externalOrderId === "O-nulls")!.raw).toEqual({ OrderItemId: "first", Title: "v0's own item" })
        expect(json[0]).toMatchObject({ itemPrice: "19.98", itemTax: "3.80", promotionDiscount: "1.00", quantity: 2, quantityShipped: 1, currency: "EUR" })
        expect((json[0]!.lastUpdateDate as Date).toISOString()).toBe("2026-03-02T00:00:00.000Z")
      }))

    for (const [name, write] of [["one statement", viaJson], ["COPY", viaCopy]] as const) {
      it.effect(`${name}: a newer version replaces the items and drops the ones it lost; an older one changes nothing`, () =>
        Effect.gen(function*() {
          const tenant = `items-versions-${name === "COPY" ? "copy" : "json"}`
          yield* write(tenant, [order("O-1", "2026-03-02T00:00:00Z", [item("first"), item("second"), item("third")])])
          expect((yield* stored(tenant)).map((row) => row.orderItemId)).toEqual(["first", "second", "third"])
          // Newer: one item gone, one changed.
          yield* write(tenant, [order("O-1", "2026-03-03T00:00:00Z", [item("first", { quantity: 1, itemStatus: "CANCELLED" }), item("third")])])
          const after = yield* stored(tenant)
          expect(after.map((row) => row.orderItemId)).toEqual(["first", "third"])
          expect(after[0]).toMatchObject({ quantity: 1, itemStatus: "CANCELLED" })
          // Older: nothing happens, the item it still had stays gone.
          yield* write(tenant, [order("O-1", "2026-03-02T12:00:00Z", [item("first"), item("second"), item("third")])])
          expect(yield* stored(tenant)).toEqual(after)
          // An empty list: the order has no items any more.
          yield* write(tenant, [order("O-1", "2026-03-04T00:00:00Z", [])])
          expect(yield* stored(tenant)).toEqual([])
          yield* write(tenant, [order("O-1", "2026-03-05T00:00:00Z", [item("first")])])
          // A version from a source without items (v0 without ORDERSYNC_V0_ITEMS): the older version's items go too,
          // as they may no longer be true; the same version again with its items fills them.
          yield* write(tenant, [order("O-1", "2026-03-06T00:00:00Z", undefined)])
          expect(yield* stored(tenant)).toEqual([])
          yield* write(tenant, [order("O-1", "2026-03-06T00:00:00Z", [item("first"), item("second")])])
          expect((yield* stored(tenant)).map((row) => row.orderItemId)).toEqual(["first", "second"])
          // Once they are there, the same version again changes nothing.
          yield* write(tenant, [order("O-1", "2026-03-06T00:00:00Z", [item("first", { quantity: 9 })])])
          expect((yield* stored(tenant)).map((row) => row.orderItemId)).toEqual(["first", "second"])
        }))
    }

    it.effect("a report's items (report-1, report-2) give way to the Orders API's own when the API's version is newer, and not when it is the same", () =>
      Effect.gen(function*() {
        const reportRaw = { source: "report", reportType: "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", rows: [{ sku: "A" }, { sku: "A" }] }
        const fromReport = order("O-r", "2026-03-02T00:00:00Z", [
          item("report-1", { raw: { path: ["rows", "0"] }, sku: "A", quantityShipped: null }),
          item("report-2", { raw: { path: ["rows", "1"] }, sku: "A", quantityShipped: null })
        ], reportRaw)
        yield* viaCopy("items-report", [fromReport], "report")
        const first = yield* stored("items-report")
        expect(first.map((row) => [row.orderItemId, row.raw])).toEqual([["report-1", { sku: "A" }], ["report-2", { sku: "A" }]])
        // The same version again from a report: nothing changes; from the API: the API's row replaces it.
        yield* viaJson("items-report", [order("O-r", "2026-03-03T00:00:00Z", [item("12345678901234", { sku: "A", quantity: 4 })])])
        const after = yield* stored("items-report")
        expect(after.map((row) => [row.orderItemId, row.sku, row.quantity])).toEqual([["12345678901234", "A", 4]])
        // A report's older or equal version never replaces the API's.
        yield* viaCopy("items-report", [{ ...fromReport, lastUpdateDate: new Date("2026-03-03T00:00:00Z") }], "report")
        expect(yield* stored("items-report")).toEqual(after)
      }))

    it.effect("orders stored before items were kept get them from a rerun of the same version; a report's same version with another total replaces its row", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const reportRaw = { source: "report", reportType: "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", rows: [{ sku: "A" }] }
        const api = order("O-api", "2026-03-02T00:00:00Z", [item("first")])
        const report = { ...order("O-rep", "2026-03-02T00:00:00Z", [item("report-1", { raw: { path: ["rows", "0"] } })], reportRaw), totalAmount: "33.48" }
        yield* viaJson("items-upgrade", [api])
        yield* viaCopy("items-upgrade", [report], "report")
        // As an earlier ordersync left them: no items.
        yield* sql`DELETE FROM "OrderItem" WHERE "tenantId" = 'items-upgrade'`
        expect(yield* viaJson("items-upgrade", [api])).toEqual({ inserted: 0, updated: 1 })
        yield* viaCopy("items-upgrade", [report], "report")
        expect((yield* stored("items-upgrade")).map((row) => `${row.externalOrderId} ${row.orderItemId}`)).toEqual(["O-api first", "O-rep report-1"])
        // A rerun with everything in place writes nothing.
        expect(yield* viaJson("items-upgrade", [api])).toEqual({ inserted: 0, updated: 0 })
        // The tenant's report total rule chosen since: the same report version with its new total replaces the old one.
        yield* viaCopy("items-upgrade", [{ ...report, totalAmount: "28.72" }], "report")
        const [row] = yield* sql<{ total: string }>`SELECT "totalAmount"::text AS total FROM "Order" WHERE "externalOrderId" = 'O-rep'`
        expect(row!.total).toBe("28.72")
      }))

    it.effect("an item the columns would refuse keeps its whole order out (unstorable names it)", () =>
      Effect.sync(() => {
        expect(unstorable(order("O-bad", "2026-03-02T00:00:00Z", [item("first"), item("second", { title: "nul\0here" })]))).toMatch(/item 2's title holds a NUL/)
        expect(unstorable(order("O-bad", "2026-03-02T00:00:00Z", [item("first", { quantity: 2 ** 31 })]))).toMatch(/item 1's quantity/)
        expect(unstorable(order("O-bad", "2026-03-02T00:00:00Z", [item("first", { itemPrice: "12345678901234567.00" })]))).toMatch(/itemPrice/)
        expect(unstorable(order("O-ok", "2026-03-02T00:00:00Z", [item("first")]))).toBeUndefined()
      }))

    it.effect("OrderItems.of and count read them back", () =>
      Effect.gen(function*() {
        const items = yield* OrderItems
        yield* viaJson("items-read", [order("O-1", "2026-03-02T00:00:00Z", [item("b"), item("a")]), order("O-2", "2026-03-02T00:00:00Z", [item("c")])])
        expect(yield* items.count("items-read", "amazon")).toBe(3)
        const read = yield* items.of("items-read", "amazon", ["O-1"])
        expect(read.map((i) => i.orderItemId)).toEqual(["a", "b"])
        expect(read[0]).toMatchObject({ itemPrice: "19.98", giftWrapPrice: "0.00", currency: "EUR" })
      }))
  })
})
