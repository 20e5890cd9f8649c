import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { orderTotal, reportHeader, reportOrderStatus, siteMarketplace } from "../../src/Domain/ReportOrders.js"

const total = (...items: ReadonlyArray<readonly [string, string]>) =>
  orderTotal(items.map(([itemPrice, currency]) => ({ itemPrice, currency })))

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

  it("statuses map to the one vocabulary; an unknown one is kept as written", () => {
    expect(["Pending", "Pending - Waiting for Pick Up", "Unshipped", "Shipping", "Shipped", "Shipped - Out for Delivery",
      "Shipped - Returned to Seller", "Cancelled", "Canceled", "Unfulfillable", "Complete", "Something New"].map(reportOrderStatus))
      .toEqual(["PENDING", "PENDING_AVAILABILITY", "UNSHIPPED", "UNSHIPPED", "SHIPPED", "SHIPPED", "SHIPPED",
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
})
