import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { GroundTruthItem, GroundTruthOrder } from "../../src/Simulator/Listing.js"
import { type Client, DAY, searchAll, seller, start } from "./support.js"
import { awaitReport, BY_ORDER_DATE, createReport, documentOf, parseRows, startWithTokens } from "./reportsSupport.js"

// Order items (issue 27): the ground truth's items are what the Orders API 2026-01-01 (`orderItems` with
// FULFILLMENT,PROCEEDS), the order report's rows and v0 getOrderItems say, for the same seed and time. The ground
// truth's money is net of tax (price + tax − promotion = the item's total); a seller in the VAT Calculation Service
// shows the VAT inside its prices in the tax columns, and its buyers pay what a seller not enrolled is paid.

const US = "ATVPDKIKX0DER"
const CA = "A2EUQ1WTGCTBG2"
const DE = "A1PA6795UKMFR9"
const FR = "A13V1IB3VIYZZH"
const GB = "A1F83G8C2ARO7P"
const VAT_PERCENT: Record<string, number> = { [DE]: 19, [FR]: 20, [GB]: 20 }

const fast = { getOrderItems: { rate: 1000, burst: 1000 } }

/** A decimal string → minor units (every currency here has two decimals); a discount by its absolute value where asked. */
const minor = (value: string | null | undefined): number => {
  expect(value, String(value)).toMatch(/^-?\d+\.\d{2}$/)
  return Math.round(Number(value) * 100)
}
const money = (value: { Amount?: string; amount?: string } | undefined): number => minor(value?.Amount ?? value?.amount)

const itemTotal = (item: GroundTruthItem): number =>
  minor(item.itemPrice) + minor(item.itemTax) + minor(item.shippingPrice) + minor(item.shippingTax) +
  minor(item.giftWrapPrice) + minor(item.giftWrapTax) - minor(item.promotionDiscount)

const reportStatus: Record<GroundTruthItem["itemStatus"], string> = { SHIPPED: "Shipped", UNSHIPPED: "Unshipped", CANCELLED: "Cancelled" }

interface Seen {
  orders: number
  multiItem: number
  sameSkuTwice: number
  cancelled: number
  pending: number
  partiallyShipped: number
  tax: number
  shipping: number
  promotion: number
  giftWrap: number
}

const kinds = (orders: ReadonlyArray<GroundTruthOrder>): Seen => {
  const seen: Seen = { orders: 0, multiItem: 0, sameSkuTwice: 0, cancelled: 0, pending: 0, partiallyShipped: 0, tax: 0, shipping: 0, promotion: 0, giftWrap: 0 }
  for (const order of orders) {
    seen.orders++
    if (order.items.length > 1) seen.multiItem++
    if (new Set(order.items.map((item) => item.sku)).size < order.items.length) seen.sameSkuTwice++
    if (order.status === "CANCELLED") seen.cancelled++
    if (order.status === "PENDING") seen.pending++
    if (order.status === "PARTIALLY_SHIPPED") seen.partiallyShipped++
    for (const item of order.items) {
      if (item.itemPrice === null) continue
      if (minor(item.itemTax) !== 0) seen.tax++
      if (minor(item.shippingPrice) !== 0) seen.shipping++
      if (minor(item.promotionDiscount) !== 0) seen.promotion++
      if (minor(item.giftWrapPrice) !== 0) seen.giftWrap++
    }
  }
  return seen
}

/** The orders of a window worth a getOrderItems each: every kind the test must see, a few of each. */
const sample = (orders: ReadonlyArray<GroundTruthOrder>): ReadonlyArray<GroundTruthOrder> => {
  const counts = new Map<string, number>()
  return orders.filter((order) => {
    const key = [
      order.status,
      order.marketplaceId,
      order.items.length,
      new Set(order.items.map((item) => item.sku)).size < order.items.length,
      order.items.some((item) => item.giftWrapPrice !== null && minor(item.giftWrapPrice) !== 0),
      order.items.some((item) => item.promotionDiscount !== null && minor(item.promotionDiscount) !== 0)
    ].join("|")
    const n = counts.get(key) ?? 0
    counts.set(key, n + 1)
    return n < 3
  })
}

describe("order items: the ground truth is what every path says", () => {
  let client: Client
  let tokens: Record<string, string>
  beforeAll(async () => {
    ;({ client, tokens } = await startWithTokens({
      usagePlans: { searchOrders: { rate: 100, burst: 1000 } },
      sellers: [
        seller("na", 20_000, { marketplaceIds: [US, CA], seed: 51, usagePlans: fast }),
        seller("eu", 20_000, { marketplaceIds: [DE, FR, GB], seed: 52, usagePlans: fast }),
        seller("vcs", 20_000, { marketplaceIds: [DE, FR, GB], seed: 52, usagePlans: fast, vatCalculationService: true })
      ]
    }))
  })
  afterAll(() => client.simulator.close())

  it.each([["na", [US, CA]], ["eu", [DE, FR, GB]], ["vcs", [DE, FR, GB]]] as const)(
    "%s: 2026-01-01 orderItems, the report's rows and v0 getOrderItems equal the ground truth's items, whose parts sum to the order's total",
    async (sellerId, marketplaceIds) => {
      const token = tokens[sellerId]!
      const vcs = sellerId === "vcs"
      const end = Date.now() - 1000
      const start = end - 29 * DAY
      const truth = client.simulator.groundTruth(sellerId, { createdAfter: new Date(start), createdBefore: new Date(end) })
      const seen = kinds(truth)
      expect(Math.min(seen.multiItem, seen.sameSkuTwice, seen.cancelled, seen.pending, seen.partiallyShipped, seen.shipping, seen.promotion, seen.giftWrap), JSON.stringify(seen)).toBeGreaterThan(0)
      // Tax on top of the price in US/CA; VAT shown only for a seller in the VAT Calculation Service.
      if (sellerId === "eu") expect(seen.tax).toBe(0)
      else expect(seen.tax, JSON.stringify(seen)).toBeGreaterThan(seen.orders / 2)

      // The ground truth's own rules: the parts sum to the total; Pending orders have no money; statuses.
      for (const order of truth) {
        const priced = order.totalAmount !== null
        expect(priced, order.orderId).toBe(order.status !== "PENDING" && order.status !== "PENDING_AVAILABILITY")
        if (priced) expect(order.items.reduce((sum, item) => sum + itemTotal(item), 0), order.orderId).toBe(minor(order.totalAmount))
        order.items.forEach((item, k) => {
          expect(item.currency).toBe(order.currency)
          if (!priced) expect([item.itemPrice, item.itemTax, item.shippingPrice, item.promotionDiscount, item.currency]).toEqual([null, null, null, null, null])
          const expected = order.status === "CANCELLED" ? "CANCELLED" :
            order.status === "SHIPPED" || (order.status === "PARTIALLY_SHIPPED" && k === 0) ? "SHIPPED" : "UNSHIPPED"
          expect(item.itemStatus, `${order.orderId} item ${k}`).toBe(expected)
          expect(item.quantityShipped).toBe(expected === "SHIPPED" ? item.quantity : 0)
        })
      }

      // Orders API 2026-01-01.
      const window = `createdAfter=${new Date(start).toISOString()}&createdBefore=${new Date(end).toISOString()}&marketplaceIds=${marketplaceIds.join(",")}`
      const api = new Map((await searchAll(client, token, `${window}&includedData=FULFILLMENT,PROCEEDS`)).orders.map((o) => [o.orderId as string, o]))
      expect(api.size).toBe(truth.length)
      for (const order of truth) {
        const rendered = api.get(order.orderId)
        expect(rendered.orderItems).toHaveLength(order.items.length)
        order.items.forEach((item, k) => {
          const at = `${order.orderId} item ${k}`
          const r = rendered.orderItems[k]
          expect([r.orderItemId, r.product.sellerSku, r.product.asin, r.product.title, r.quantityOrdered], at)
            .toEqual([item.orderItemId, item.sku, item.asin, item.title, item.quantity])
          expect(r.fulfillment, at).toEqual({ quantityFulfilled: item.quantityShipped, quantityUnfulfilled: item.quantity - item.quantityShipped })
          if (item.itemPrice === null) return expect(r.proceeds, at).toBeUndefined()
          const part = (type: string) => {
            const found = (r.proceeds.breakdowns as Array<any>).find((b) => b.type === type)
            return found === undefined ? 0 : money(found.subtotal)
          }
          const tax = (subtype: string) => {
            const found = ((r.proceeds.breakdowns as Array<any>).find((b) => b.type === "TAX")?.detailedBreakdowns ?? []).find((d: any) => d.subtype === subtype)
            return found === undefined ? 0 : money(found.value)
          }
          expect([part("ITEM"), part("SHIPPING"), part("GIFT_WRAP"), tax("ITEM"), tax("SHIPPING"), tax("GIFT_WRAP"), Math.abs(part("DISCOUNT"))], at).toEqual([
            minor(item.itemPrice), minor(item.shippingPrice), minor(item.giftWrapPrice),
            minor(item.itemTax), minor(item.shippingTax), minor(item.giftWrapTax), minor(item.promotionDiscount)
          ])
          // The breakdowns sum to proceedsTotal, the item's total (VAT-inclusive for a seller in the VCS as for any).
          expect(money(r.proceeds.proceedsTotal), at).toBe(itemTotal(item))
          expect((r.proceeds.breakdowns as Array<any>).reduce((sum, b) => sum + money(b.subtotal), 0), at).toBe(itemTotal(item))
        })
        if (order.totalAmount !== null) expect(money(rendered.proceeds.grandTotal)).toBe(minor(order.totalAmount))
      }

      // The order report: one row per item, in the items' order.
      const reportId = await createReport(client, token, {
        reportType: BY_ORDER_DATE,
        marketplaceIds,
        dataStartTime: new Date(start).toISOString(),
        dataEndTime: new Date(end).toISOString()
      })
      const { report } = await awaitReport(client, token, reportId)
      expect(report.processingStatus).toBe("DONE")
      const { rows } = parseRows((await documentOf(client, token, report)).text.replace(/^\uFEFF/, ""))
      const byOrder = new Map<string, Array<Record<string, string>>>()
      for (const row of rows) byOrder.set(row["amazon-order-id"]!, [...(byOrder.get(row["amazon-order-id"]!) ?? []), row])
      let compared = 0
      for (const order of truth) {
        const mine = byOrder.get(order.orderId)
        if (mine === undefined) continue
        compared++
        expect(mine).toHaveLength(order.items.length)
        order.items.forEach((item, k) => {
          const at = `${order.orderId} row ${k}`
          const row = mine[k]!
          expect([row.sku, row.asin, row["product-name"], Number(row.quantity), row["item-status"]], at)
            .toEqual([item.sku, item.asin, item.title, item.quantity, reportStatus[item.itemStatus]])
          if (item.itemPrice === null) {
            // A report prices Amazon-fulfilled Pending orders (the Orders API does not); seller-fulfilled ones are empty.
            if (order.fulfillmentChannel === "MERCHANT") expect(row["item-price"], at).toBe("")
            return
          }
          expect(row.currency).toBe(item.currency)
          // A seller in the VCS: the price columns are VAT-inclusive and the tax columns the VAT in them.
          const gross = (net: string | null, tax: string | null) => minor(net) + (vcs ? minor(tax) : 0)
          expect([minor(row["item-price"]), minor(row["item-tax"]), minor(row["shipping-price"]), minor(row["shipping-tax"]), minor(row["gift-wrap-price"]), minor(row["gift-wrap-tax"])], at).toEqual([
            gross(item.itemPrice, item.itemTax), minor(item.itemTax),
            gross(item.shippingPrice, item.shippingTax), minor(item.shippingTax),
            gross(item.giftWrapPrice, item.giftWrapTax), minor(item.giftWrapTax)
          ])
          expect(Math.abs(minor(row["item-promotion-discount"])) + Math.abs(minor(row["ship-promotion-discount"])), at).toBe(minor(item.promotionDiscount))
          if (vcs) {
            // VAT = the charge the buyer pays × r / (1 + r), rounded: the country's standard rate.
            const r = VAT_PERCENT[order.marketplaceId]!
            const vat = (charge: number) => Math.round((charge * r) / (100 + r))
            expect(minor(row["item-tax"]), at).toBe(vat(minor(row["item-price"]) - Math.abs(minor(row["item-promotion-discount"]))))
            expect(minor(row["shipping-tax"]), at).toBe(vat(minor(row["shipping-price"]) - Math.abs(minor(row["ship-promotion-discount"]))))
            expect(minor(row["gift-wrap-tax"]), at).toBe(vat(minor(row["gift-wrap-price"])))
          }
        })
      }
      expect(compared).toBeGreaterThan(truth.length * 0.95)

      // v0 getOrderItems, for a sample holding every kind of order.
      const picked = sample(truth)
      expect(kinds(picked).pending * kinds(picked).sameSkuTwice * kinds(picked).cancelled * kinds(picked).giftWrap).toBeGreaterThan(0)
      for (const order of picked) {
        const reply = await client.get(`/orders/v0/orders/${order.orderId}/orderItems`, token)
        expect(reply.status, reply.text).toBe(200)
        expect(reply.body.payload.AmazonOrderId).toBe(order.orderId)
        expect(reply.body.payload.NextToken).toBeUndefined()
        const items = reply.body.payload.OrderItems as Array<any>
        expect(items).toHaveLength(order.items.length)
        order.items.forEach((item, k) => {
          const at = `${order.orderId} item ${k}`
          const r = items[k]
          expect([r.OrderItemId, r.SellerSKU, r.ASIN, r.Title, r.QuantityOrdered, r.QuantityShipped], at)
            .toEqual([item.orderItemId, item.sku, item.asin, item.title, item.quantity, item.quantityShipped])
          if (item.itemPrice === null) {
            // Pending: no pricing, taxes, shipping charges, gift status or promotions (the operation's description).
            for (const field of ["ItemPrice", "ItemTax", "ShippingPrice", "ShippingTax", "PromotionDiscount", "ShippingDiscount", "IsGift", "BuyerInfo"]) expect(r[field], `${at} ${field}`).toBeUndefined()
            return
          }
          for (const field of ["ItemPrice", "ItemTax", "ShippingPrice", "ShippingTax", "PromotionDiscount", "ShippingDiscount"]) expect(r[field].CurrencyCode).toBe(item.currency)
          const gross = (net: string | null, tax: string | null) => minor(net) + (vcs ? minor(tax) : 0)
          const giftWrap = r.BuyerInfo === undefined ? [0, 0] : [money(r.BuyerInfo.GiftWrapPrice), money(r.BuyerInfo.GiftWrapTax)]
          expect([money(r.ItemPrice), money(r.ItemTax), money(r.ShippingPrice), money(r.ShippingTax), ...giftWrap], at).toEqual([
            gross(item.itemPrice, item.itemTax), minor(item.itemTax),
            gross(item.shippingPrice, item.shippingTax), minor(item.shippingTax),
            gross(item.giftWrapPrice, item.giftWrapTax), minor(item.giftWrapTax)
          ])
          expect(r.IsGift).toBe(minor(item.giftWrapPrice) !== 0 ? "true" : "false")
          expect(money(r.PromotionDiscount) + money(r.ShippingDiscount), at).toBe(minor(item.promotionDiscount))
          expect([money(r.PromotionDiscountTax), money(r.ShippingDiscountTax)]).toEqual([0, 0])
        })
      }
    }
  )

  it("vcs: the buyer pays what a seller not enrolled is paid; only the split between price and tax differs", async () => {
    // "eu" and "vcs" share seed and marketplaces: the same orders, items and charges.
    const range = { createdAfter: new Date(Date.now() - 200 * DAY) }
    const plain = client.simulator.groundTruth("eu", range)
    const enrolled = client.simulator.groundTruth("vcs", range)
    expect(enrolled.map((order) => order.orderId)).toEqual(plain.map((order) => order.orderId))
    let withVat = 0
    enrolled.forEach((order, n) => {
      const other = plain[n]!
      expect(order.totalAmount).toBe(other.totalAmount)
      order.items.forEach((item, k) => {
        const was = other.items[k]!
        expect(minor(was.itemTax ?? "0.00") + minor(was.shippingTax ?? "0.00")).toBe(0)
        if (item.itemPrice === null) return expect(was.itemPrice).toBeNull()
        expect(minor(item.itemPrice) + minor(item.itemTax)).toBe(minor(was.itemPrice))
        expect(minor(item.shippingPrice) + minor(item.shippingTax)).toBe(minor(was.shippingPrice))
        expect(minor(item.giftWrapPrice) + minor(item.giftWrapTax)).toBe(minor(was.giftWrapPrice))
        expect(item.promotionDiscount).toBe(was.promotionDiscount)
        if (minor(item.itemTax) > 0) withVat++
      })
    })
    expect(withVat).toBeGreaterThan(enrolled.length / 2)
    // v0's OrderTotal is that gross too.
    const token = tokens.vcs!
    for (const order of enrolled.filter((o) => o.totalAmount !== null).slice(0, 5)) {
      const reply = await client.get(`/orders/v0/orders/${order.orderId}`, token)
      expect(reply.body.payload.OrderTotal).toEqual({ CurrencyCode: order.currency, Amount: order.totalAmount })
    }
  })

  it("ground truth over HTTP: items by default, none with items=false", async () => {
    const after = new Date(Date.now() - 10 * DAY).toISOString()
    const admin = async (query: string) => (await fetch(`${client.simulator.url}/_simulator/sellers/vcs/ground-truth?createdAfter=${after}${query}`)).json() as Promise<any>
    const inProcess = client.simulator.groundTruth("vcs", { createdAfter: new Date(after) })
    expect((await admin("")).orders).toEqual(inProcess)
    expect(inProcess.every((order) => order.items.length > 0)).toBe(true)
    const bare = (await admin("&items=false")).orders
    expect(bare).toEqual(inProcess.map((order) => ({ ...order, items: [] })))
    expect(client.simulator.groundTruth("vcs", { createdAfter: new Date(after), items: false })).toEqual(bare)
    expect((await fetch(`${client.simulator.url}/_simulator/sellers/vcs/ground-truth?items=maybe`)).status).toBe(400)
  })
})

describe("getOrderItems' usage plan: rate 0.5, burst 30, per seller, apart from getOrder's", () => {
  let client: Client
  beforeAll(async () => {
    client = await start({ sellers: [seller("paced", 300, { seed: 53 })] })
  })
  afterAll(() => client.simulator.close())

  it("answers a burst of 30, then 429 QuotaExceeded; each success says x-amzn-RateLimit-Limit 0.5", async () => {
    const token = await client.token("Atzr|paced")
    const orderId = client.simulator.groundTruth("paced")[0]!.orderId
    const replies = []
    for (let n = 0; n < 31; n++) replies.push(await client.get(`/orders/v0/orders/${orderId}/orderItems`, token))
    expect(replies.slice(0, 30).map((reply) => [reply.status, reply.headers.get("x-amzn-RateLimit-Limit")])).toEqual(Array(30).fill([200, "0.5"]))
    const throttled = replies[30]!
    expect(throttled.status).toBe(429)
    expect(throttled.body.errors[0].code).toBe("QuotaExceeded")
    // As the model's 429 of getOrderItems: x-amzn-RequestId, no rate header (test/FIDELITY.md row 38).
    expect(throttled.headers.get("x-amzn-RateLimit-Limit")).toBeNull()
    expect(throttled.headers.get("x-amzn-RequestId")).not.toBeNull()
    // Its own bucket: getOrder (v0) is not held back by it.
    expect((await client.get(`/orders/v0/orders/${orderId}`, token)).status).toBe(200)
    const stats = client.simulator.stats("paced")
    expect(stats.requests.getOrderItems).toEqual({ 200: 30, 429: 1 })
    expect(stats.throttled.quota).toBe(1)
    expect(stats.tokens.getOrderItems!.spent).toBe(30)
    expect(stats.tokens.getOrderItems!.maximum).toBeLessThan(31)
  })

  it("answers 404 in the model's error shape for an unknown order, with the rate header", async () => {
    const other = await start({ sellers: [seller("lookup", 50, { seed: 54 })] })
    try {
      const token = await other.token("Atzr|lookup")
      const reply = await other.get(`/orders/v0/orders/999-0000000-0000000/orderItems`, token)
      expect(reply.status).toBe(404)
      expect(reply.body).toEqual({ errors: [{ code: "NotFound", message: "The requested order was not found.", details: "Order 999-0000000-0000000 was not found." }] })
      expect(reply.headers.get("x-amzn-RateLimit-Limit")).toBe("0.5")
    } finally {
      await other.simulator.close()
    }
  })
})
