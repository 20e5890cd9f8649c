import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import type { DecodedOrder } from "../../src/Domain/Order.js"
import {
  decodeReportOrder,
  orderTotal,
  reportHeader,
  reportOrderStatus,
  type RowMoney,
  siteMarketplace,
  tenantReportScope
} from "../../src/Domain/ReportOrders.js"

const total = (...items: ReadonlyArray<readonly [string, string]>) =>
  orderTotal(items.map(([itemPrice, currency]) => ({ itemPrice, currency })))

const totalOf = (...rows: ReadonlyArray<RowMoney>) => orderTotal(rows)

describe("report order rows", () => {
  it("the order total is the exact sum of item-price, with the inputs' decimals", () => {
    expect(total(["0.10", "USD"], ["0.20", "USD"])).toEqual(Either.right({ totalAmount: "0.30", currency: "USD" }))
    expect(total(["9.99", "EUR"], ["10.5", "EUR"])).toEqual(Either.right({ totalAmount: "20.49", currency: "EUR" }))
    expect(total(["1200", "JPY"], ["980", "JPY"])).toEqual(Either.right({ totalAmount: "2180", currency: "JPY" }))
    expect(total(["99999999999999999.99", "USD"], ["0.01", "USD"]))
      .toEqual(Either.right({ totalAmount: "100000000000000000.00", currency: "USD" }))
    expect(total(["5.00", "USD"], ["-7.25", "USD"])).toEqual(Either.right({ totalAmount: "-2.25", currency: "USD" }))
    expect(total(["", ""], ["", ""])).toEqual(Either.right({ totalAmount: null, currency: null }))
    expect(total(["", ""], ["3.00", "GBP"])).toEqual(Either.right({ totalAmount: "3.00", currency: "GBP" }))
    expect(total(["1e3", "USD"])).toEqual(Either.left(`item-price "1e3" is not a decimal number`))
    expect(total(["3.00", ""])).toEqual(Either.left(`item-price "3.00" has no currency`))
    expect(total(["1.00", "USD"], ["1.00", "CAD"])).toEqual(Either.left(`rows in different currencies ("USD" and "CAD")`))
  })

  it("the order total adds every charge and takes off every discount, over all rows, exactly", () => {
    // 2 rows: 19.98 + 1.65 tax + 4.99 shipping + 0.41 tax + 3.99 gift wrap + 0.33 tax − 2.00 − 4.99, and 5.50 + 0.45.
    expect(totalOf(
      {
        currency: "USD", itemPrice: "19.98", itemTax: "1.65", shippingPrice: "4.99", shippingTax: "0.41",
        giftWrapPrice: "3.99", giftWrapTax: "0.33", itemPromotionDiscount: "-2.00", shipPromotionDiscount: "-4.99"
      },
      { currency: "USD", itemPrice: "5.50", itemTax: "0.45", shippingPrice: "0.00", itemPromotionDiscount: "0.00" }
    )).toEqual(Either.right({ totalAmount: "30.31", currency: "USD" }))
    // JPY has no decimals, and a sum of many small parts stays exact (no float drift: 0.1 + 0.2).
    expect(totalOf({ currency: "JPY", itemPrice: "1200", itemTax: "120", shippingPrice: "450", shipPromotionDiscount: "-450" }))
      .toEqual(Either.right({ totalAmount: "1320", currency: "JPY" }))
    expect(totalOf({ currency: "EUR", itemPrice: "0.1", itemTax: "0.2" })).toEqual(Either.right({ totalAmount: "0.3", currency: "EUR" }))
  })

  it("a discount is subtracted by its absolute value, whichever sign the file writes (Amazon documents none)", () => {
    const parts = { currency: "GBP", itemPrice: "20.00", itemTax: "3.60", shippingPrice: "2.99", shippingTax: "0.60" }
    const negative = totalOf({ ...parts, itemPromotionDiscount: "-2.00", shipPromotionDiscount: "-2.99" })
    const positive = totalOf({ ...parts, itemPromotionDiscount: "2.00", shipPromotionDiscount: "2.99" })
    expect(negative).toEqual(Either.right({ totalAmount: "22.20", currency: "GBP" }))
    expect(positive).toEqual(negative)
  })

  it("a missing or empty money column reads as 0; an order with no money at all has no total", () => {
    expect(totalOf({ currency: "USD", itemPrice: "10.00" })).toEqual(Either.right({ totalAmount: "10.00", currency: "USD" }))
    expect(totalOf({ currency: "USD", itemPrice: "10.00", itemTax: "", shippingPrice: "", itemPromotionDiscount: "" }))
      .toEqual(Either.right({ totalAmount: "10.00", currency: "USD" }))
    expect(totalOf({ currency: "", itemPrice: "", itemTax: "", shippingPrice: "", shipPromotionDiscount: "" }))
      .toEqual(Either.right({ totalAmount: null, currency: null }))
    // An empty item-price with a tax still prices the order.
    expect(totalOf({ currency: "CAD", itemPrice: "", itemTax: "1.30" })).toEqual(Either.right({ totalAmount: "1.30", currency: "CAD" }))
  })

  it("a money value that is not a decimal fails the order, naming its column", () => {
    const ok = { currency: "USD", itemPrice: "10.00" }
    expect(totalOf({ ...ok, itemTax: "0,80" })).toEqual(Either.left(`item-tax "0,80" is not a decimal number`))
    expect(totalOf({ ...ok, shippingPrice: "free" })).toEqual(Either.left(`shipping-price "free" is not a decimal number`))
    expect(totalOf({ ...ok, shippingTax: "1e2" })).toEqual(Either.left(`shipping-tax "1e2" is not a decimal number`))
    expect(totalOf({ ...ok, giftWrapPrice: "$3.99" })).toEqual(Either.left(`gift-wrap-price "$3.99" is not a decimal number`))
    expect(totalOf({ ...ok, giftWrapTax: "--1" })).toEqual(Either.left(`gift-wrap-tax "--1" is not a decimal number`))
    expect(totalOf({ ...ok, itemPromotionDiscount: "(2.00)" }))
      .toEqual(Either.left(`item-promotion-discount "(2.00)" is not a decimal number`))
    expect(totalOf({ ...ok, shipPromotionDiscount: "-" })).toEqual(Either.left(`ship-promotion-discount "-" is not a decimal number`))
    expect(totalOf({ currency: "", itemPrice: "", itemTax: "0.80" })).toEqual(Either.left(`item-tax "0.80" has no currency`))
  })

  it("a report order's total follows the rule from the columns by name; a bad money column quarantines it", () => {
    const columns = [
      "amazon-order-id", "purchase-date", "last-updated-date", "order-status", "quantity", "currency", "item-price",
      "ship-promotion-discount", "item-tax", "shipping-price", "item-promotion-discount"
    ]
    const header = Either.getOrThrow(reportHeader(columns))
    const line = (values: Record<string, string>) => columns.map((column) => values[column] ?? "")
    const base = { "amazon-order-id": "111-1", "purchase-date": "2026-05-08T23:36:26+00:00", "last-updated-date": "2026-05-09T10:00:00+00:00", "order-status": "Shipped", "quantity": "1", "currency": "USD" }
    const decoded = decodeReportOrder(header, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", [
      line({ ...base, "item-price": "12.00", "item-tax": "0.99", "shipping-price": "3.99", "ship-promotion-discount": "-3.99" }),
      line({ ...base, "item-price": "8.00", "item-tax": "0.56", "item-promotion-discount": "-0.80" })
    ], 1)
    expect(decoded._tag === "Order" && [decoded.order.totalAmount, decoded.order.currency]).toEqual(["20.75", "USD"])
    const bad = decodeReportOrder(header, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", [
      line({ ...base, "item-price": "12.00", "item-tax": "n/a" })
    ], 1)
    expect(bad._tag === "Quarantined" && bad.quarantined).toMatchObject({ externalOrderId: "111-1", error: `item-tax "n/a" is not a decimal number` })
  })

  it("statuses map to the one vocabulary; an unknown one is kept as written", () => {
    expect(["Pending", "Pending - Waiting for Pick Up", "Unshipped", "Shipping", "Shipped", "Shipped - Out for Delivery",
      "Shipped - Returned to Seller", "Cancelled", "Canceled", "Unfulfillable", "Complete", "Something New"].map(reportOrderStatus))
      .toEqual(["PENDING", "PENDING", "UNSHIPPED", "UNSHIPPED", "SHIPPED", "SHIPPED", "SHIPPED",
        "CANCELLED", "CANCELLED", "UNFULFILLABLE", "SHIPPED", "Something New"])
  })

  it("site names map to marketplace ids; an unknown site has none", () => {
    expect(siteMarketplace("Amazon.co.uk")).toBe("A1F83G8C2ARO7P")
    expect(siteMarketplace("amazon.com.be")).toBe("AMEN7PMS3EDWL")
    expect(siteMarketplace("Non-Amazon")).toBeNull()
  })

  it("a repeated column name keeps both values in raw, the first one is read", () => {
    const header = Either.getOrThrow(reportHeader([
      "amazon-order-id", "purchase-date", "last-updated-date", "order-status", "quantity", "currency", "item-price", "sku", "sku"
    ]))
    expect(header.keys.slice(-2)).toEqual(["sku", "sku#2"])
    expect(header.rawRow(["1", "", "", "", "", "", "", "A", "B"])).toMatchObject({ "sku": "A", "sku#2": "B" })
  })
  it("a report's orders are the tenant's by sales-channel: its marketplaces; Non-Amazon only with a non-Amazon marketplace", () => {
    const order = (salesChannel: string | null): DecodedOrder => ({
      _tag: "Order",
      order: {
        externalOrderId: "1", marketplaceId: salesChannel === null ? null : siteMarketplace(salesChannel), orderDate: new Date(0),
        lastUpdateDate: new Date(0), orderStatus: "SHIPPED", fulfillmentChannel: "AMAZON", salesChannel, totalAmount: "1.00",
        currency: "EUR", itemsCount: 1, raw: null
      }
    })
    const quarantined = (site: string): DecodedOrder => ({
      _tag: "Quarantined",
      quarantined: { externalOrderId: "2", error: "bad", raw: { source: "report", reportType: "T", rows: [{ "sales-channel": site }] } }
    })
    const deFr = tenantReportScope(["A1PA6795UKMFR9", "A13V1IB3VIYZZH"])
    expect([order("Amazon.de"), order("Amazon.fr"), order("Amazon.co.uk"), order("Amazon.it"), order("Non-Amazon"), order(null)].map(deFr))
      .toEqual([true, true, false, false, false, true])
    expect([quarantined("Amazon.de"), quarantined("Amazon.co.uk"), quarantined("Non-Amazon")].map(deFr)).toEqual([true, false, false])
    // A tenant set up with a marketplace that is not an Amazon site (a Non-Amazon one): the Orders API lists its MCF orders.
    expect([order("Non-Amazon"), order("Amazon.co.uk")].map(tenantReportScope(["A1PA6795UKMFR9", "A1ZFFQZ3HTUKT9"]))).toEqual([true, false])
  })
})
