import { Arbitrary, Either, FastCheck as fc, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { decode2026, fields2026, fields2026BySchema, Order2026 } from "../../src/Domain/AmazonOrders.js"

const order = (extra: Record<string, unknown>) => ({
  orderId: "111-0000001-0000001",
  createdTime: "2026-05-01T10:00:00Z",
  lastUpdatedTime: "2026-05-02T10:00:00Z",
  salesChannel: { channelName: "AMAZON", marketplaceId: "ATVPDKIKX0DER" },
  orderItems: [{ orderItemId: "1", quantityOrdered: 2, product: { asin: "B000000001" } }],
  ...extra
})
const shipped = { fulfillmentStatus: "SHIPPED", fulfilledBy: "AMAZON" }
const total = { grandTotal: { amount: "12.50", currencyCode: "USD" } }

describe("decoding an Orders API 2026-01-01 order: no silent defaults", () => {
  it("stores the status, channel, total and currency the datasets carry", () => {
    const decoded = decode2026(order({ fulfillment: shipped, proceeds: total }))
    expect(decoded._tag).toBe("Order")
    if (decoded._tag !== "Order") return
    expect([decoded.order.orderStatus, decoded.order.fulfillmentChannel, decoded.order.totalAmount, decoded.order.currency, decoded.order.itemsCount])
      .toEqual(["SHIPPED", "AMAZON", "12.50", "USD", 2])
  })

  it("a pending order has no total, and that is not an error", () => {
    const decoded = decode2026(order({ fulfillment: { fulfillmentStatus: "PENDING", fulfilledBy: "MERCHANT" } }))
    expect(decoded._tag === "Order" && [decoded.order.orderStatus, decoded.order.totalAmount, decoded.order.currency]).toEqual(["PENDING", null, null])
  })

  it("without the fulfillment dataset: quarantined, naming it", () => {
    const decoded = decode2026(order({ proceeds: total }))
    expect(decoded._tag).toBe("Quarantined")
    expect(decoded._tag === "Quarantined" && decoded.quarantined.error).toMatch(/no fulfillment dataset.*includedData=FULFILLMENT/)
    expect(decoded._tag === "Quarantined" && decoded.quarantined.externalOrderId).toBe("111-0000001-0000001")
  })

  it("a shipped order without the proceeds dataset: quarantined, naming it", () => {
    const decoded = decode2026(order({ fulfillment: shipped }))
    expect(decoded._tag === "Quarantined" && decoded.quarantined.error).toMatch(/SHIPPED order has no proceeds.grandTotal.*includedData=PROCEEDS/)
  })
})

describe("a cancelled order", () => {
  it("may come without a total (users report Amazon sends them so): stored with none, not quarantined", () => {
    const decoded = decode2026(order({ fulfillment: { fulfillmentStatus: "CANCELLED", fulfilledBy: "MERCHANT" } }))
    expect(decoded._tag === "Order" && [decoded.order.orderStatus, decoded.order.totalAmount]).toEqual(["CANCELLED", null])
  })
})

describe("the shortcut that reads a 2026-01-01 order's fields without Schema", () => {
  // What the shortcut accepts, the schema must accept with the same fields: anything else goes to the schema anyway.
  const valid = Arbitrary.make(Order2026).map((order) => Schema.encodeSync(Order2026)(order) as Record<string, unknown>)
  const paths = ["orderId", "createdTime", "lastUpdatedTime", "salesChannel", "salesChannel.channelName", "salesChannel.marketplaceId",
    "fulfillment", "fulfillment.fulfillmentStatus", "fulfillment.fulfilledBy", "proceeds", "proceeds.grandTotal",
    "proceeds.grandTotal.amount", "proceeds.grandTotal.currencyCode", "orderItems", "orderItems.0", "orderItems.0.quantityOrdered"]
  // One field replaced by any JSON value (or removed), the way a malformed answer would differ from the model.
  const damaged = fc.tuple(valid, fc.constantFrom(...paths), fc.option(fc.oneof(fc.jsonValue(), fc.date().map((d) => d.toISOString()), fc.double()), { nil: undefined }))
    .map(([order, path, value]) => {
      const copy = structuredClone(order)
      const keys = path.split(".")
      let at: Record<string, unknown> | undefined = copy
      for (const key of keys.slice(0, -1)) at = typeof at?.[key] === "object" && at[key] !== null ? at[key] as Record<string, unknown> : undefined
      if (at !== undefined) {
        if (value === undefined) delete at[keys.at(-1)!]
        else at[keys.at(-1)!] = value
      }
      return copy
    })

  it("agrees with the schema on valid orders and on orders with one field damaged", () => {
    fc.assert(
      fc.property(fc.oneof(valid, damaged), (raw) => {
        const read = fields2026(raw)
        const bySchema = fields2026BySchema(raw)
        expect(read._tag).toBe(bySchema._tag)
        if (Either.isRight(read) && Either.isRight(bySchema)) expect(read.right).toEqual(bySchema.right)
      }),
      { numRuns: 3000 }
    )
  })

  it("takes the shortcut for a well-formed order (the schema is not asked)", () => {
    const raw = order({ fulfillment: shipped, proceeds: total, orderItems: [{ quantityOrdered: 2 }, { quantityOrdered: 1 }] })
    const read = fields2026(raw)
    expect(Either.isRight(read) && read.right.orderItems).toEqual([{ quantityOrdered: 2 }, { quantityOrdered: 1 }])
    // A field the schema rejects makes the shortcut give way, and the schema says why.
    const bad = fields2026({ ...raw, createdTime: "yesterday" })
    expect(Either.isLeft(bad) && bad.left).toContain("expected an ISO 8601 date-time")
  })
})
