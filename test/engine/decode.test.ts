import { describe, expect, it } from "vitest"
import { decode2026 } from "../../src/Domain/AmazonOrders.js"

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
