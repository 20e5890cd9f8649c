import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { decode2026 } from "../../src/Domain/AmazonOrders.js"
import { items2026, proceedsMoney } from "../../src/Domain/ApiItems.js"
import { sumAmounts } from "../../src/Domain/Money.js"
import { decodeReportOrder, reportHeader } from "../../src/Domain/ReportOrders.js"

const money = (amount: string) => ({ amount, currencyCode: "EUR" })

describe("an item's money, net of tax, from each source", () => {
  it("2026-01-01 proceeds: ITEM net (breakdowns sum to the total) is kept; ITEM with the VAT inside (they sum without TAX) has it taken out", () => {
    const net = proceedsMoney({
      proceedsTotal: money("28.79"),
      breakdowns: [
        { type: "ITEM", subtotal: money("20.00") },
        { type: "SHIPPING", subtotal: money("4.99") },
        { type: "TAX", subtotal: money("4.80"), detailedBreakdowns: [{ subtype: "ITEM", value: money("3.80") }, { subtype: "SHIPPING", value: money("1.00") }] },
        { type: "DISCOUNT", subtotal: money("-1.00") }
      ]
    }, "item")
    expect(net).toEqual(Either.right({
      itemPrice: "20.00", itemTax: "3.80", shippingPrice: "4.99", shippingTax: "1.00", giftWrapPrice: "0", giftWrapTax: "0",
      promotionDiscount: "1.00", currency: "EUR"
    }))
    // The same item, Amazon writing ITEM and SHIPPING with the VAT inside: the total is the gross.
    const gross = proceedsMoney({
      proceedsTotal: money("28.79"),
      breakdowns: [
        { type: "ITEM", subtotal: money("23.80") },
        { type: "SHIPPING", subtotal: money("5.99") },
        { type: "TAX", subtotal: money("4.80"), detailedBreakdowns: [{ subtype: "ITEM", value: money("3.80") }, { subtype: "SHIPPING", value: money("1.00") }] },
        // A positive discount: Amazon documents no sign.
        { type: "DISCOUNT", subtotal: money("1.00") }
      ]
    }, "item")
    expect(gross).toEqual(net)
    expect(Either.isLeft(proceedsMoney({ breakdowns: [{ type: "ITEM", subtotal: money("12,50") }] }, "orderItems[0]"))).toBe(true)
  })

  it("2026-01-01 items: status from the order and the fulfilled quantity; a missing or repeated orderItemId fails the order", () => {
    const item = (id: unknown, fulfilled: number) => ({ orderItemId: id, quantityOrdered: 2, product: { sellerSku: "S", asin: "B0", title: "T" }, fulfillment: { quantityFulfilled: fulfilled } })
    const read = items2026({ orderItems: [item("1", 2), item("2", 1)] }, "PARTIALLY_SHIPPED")
    expect(Either.getOrThrow(read).map((i) => [i.orderItemId, i.itemStatus, i.quantityShipped, i.itemPrice])).toEqual([["1", "SHIPPED", 2, null], ["2", "UNSHIPPED", 1, null]])
    expect(Either.getOrThrow(items2026({ orderItems: [item("1", 0)] }, "CANCELLED"))[0]!.itemStatus).toBe("CANCELLED")
    expect(items2026({ orderItems: [item(undefined, 0)] }, "SHIPPED")).toEqual(Either.left("orderItems[0] has no orderItemId"))
    expect(items2026({ orderItems: [item("1", 0), item("1", 0)] }, "SHIPPED")).toEqual(Either.left("orderItems[1]: orderItemId 1 appears twice in the order"))
  })

  it("a report's rows: report-N items; under taxIncluded each price loses its tax and the total does not add it", () => {
    const header = Either.getOrThrow(reportHeader([
      "amazon-order-id", "purchase-date", "last-updated-date", "order-status", "sku", "asin", "product-name", "item-status",
      "quantity", "currency", "item-price", "item-tax", "shipping-price", "shipping-tax", "item-promotion-discount", "ship-promotion-discount"
    ]))
    const row = (sku: string, price: string, tax: string) =>
      ["302-1-1", "2026-03-01T10:00:00+00:00", "2026-03-02T10:00:00+00:00", "Shipped", sku, "B0X", "Größe M", "Shipped", "1", "EUR", price, tax, "5.99", "1.00", "-1.00", ""]
    const rows = [row("A", "23.80", "3.80"), row("A", "11.90", "1.90")]
    const additive = decodeReportOrder(header, "T", rows, 1)
    const included = decodeReportOrder(header, "T", rows, 1, "taxIncluded")
    if (additive._tag !== "Order" || included._tag !== "Order") throw new Error("did not decode")
    expect(additive.order.totalAmount).toBe(sumAmounts([{ amount: "23.80" }, { amount: "3.80" }, { amount: "5.99" }, { amount: "1.00" }, { amount: "-1.00" }, { amount: "11.90" }, { amount: "1.90" }, { amount: "5.99" }, { amount: "1.00" }, { amount: "-1.00" }]))
    expect(included.order.totalAmount).toBe("45.68")
    expect(included.order.items!.map((i) => [i.orderItemId, i.sku, i.itemPrice, i.itemTax, i.shippingPrice, i.shippingTax, i.promotionDiscount, i.title, i.itemStatus])).toEqual([
      ["report-1", "A", "20.00", "3.80", "4.99", "1.00", "1.00", "Größe M", "SHIPPED"],
      ["report-2", "A", "10.00", "1.90", "4.99", "1.00", "1.00", "Größe M", "SHIPPED"]
    ])
    // Each item's parts sum to its share, and the shares to the order's total.
    const share = (i: NonNullable<typeof included.order.items>[number]) =>
      sumAmounts([
        ...[i.itemPrice!, i.itemTax!, i.shippingPrice!, i.shippingTax!, i.giftWrapPrice!, i.giftWrapTax!].map((amount) => ({ amount })),
        { amount: i.promotionDiscount!, subtract: true }
      ])!
    expect(sumAmounts(included.order.items!.map((i) => ({ amount: share(i) })))).toBe("45.68")
    // A Pending order has no prices, as on the Orders API.
    const pending = decodeReportOrder(header, "T", [rows[0]!.map((f, k) => (k === 3 ? "Pending" : f))], 1, "taxIncluded")
    expect(pending._tag === "Order" && pending.order.items![0]!.itemPrice).toBe(null)
  })
})

describe("money the sources leave open", () => {
  it("USD proceeds that sum only without their TAX are not read as prices with the tax inside (a facilitator's tax)", () => {
    const usd = (amount: string) => ({ amount, currencyCode: "USD" })
    const read = proceedsMoney({
      proceedsTotal: usd("20.00"),
      breakdowns: [{ type: "ITEM", subtotal: usd("20.00") }, { type: "TAX", subtotal: usd("1.65") }]
    }, "item")
    expect(Either.getOrThrow(read)).toMatchObject({ itemPrice: "20.00", itemTax: "1.65" })
  })

  it("a 2026 order without a total has items without money, even with proceeds that carry no breakdowns", () => {
    const order = {
      orderId: "111-1", createdTime: "2026-03-01T00:00:00Z", lastUpdatedTime: "2026-03-01T00:00:00Z",
      salesChannel: { channelName: "AMAZON", marketplaceId: "ATVPDKIKX0DER" },
      fulfillment: { fulfillmentStatus: "PENDING", fulfilledBy: "MERCHANT" },
      orderItems: [{ orderItemId: "1", quantityOrdered: 1, product: { sellerSku: "S" }, proceeds: {} }]
    }
    const decoded = decode2026(order)
    expect(decoded._tag === "Order" && decoded.order.totalAmount).toBe(null)
    expect(decoded._tag === "Order" && decoded.order.items![0]).toMatchObject({ itemPrice: null, promotionDiscount: null, currency: null })
  })
})
