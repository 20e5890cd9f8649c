import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeSellerConfig } from "../../src/Simulator/Config.js"
import { buildOrderBook, HORIZON_MS, orderIdOf } from "../../src/Simulator/OrderBook.js"
import { type Client, DAY, eventually, isoAgo, searchAll, seller, start } from "./support.js"

describe("order data", () => {
  it("is deterministic per seed and has unique Amazon-format ids", () => {
    const config = decodeSellerConfig(seller("d", 5000))
    const a = buildOrderBook(config, Date.UTC(2026, 0, 10), 1)
    const b = buildOrderBook(config, Date.UTC(2026, 3, 1), 1)
    const c = buildOrderBook({ ...config, seed: 8 }, Date.UTC(2026, 0, 10), 1)
    const ids = (book: typeof a) => Array.from({ length: book.size }, (_, i) => orderIdOf(book, i))
    expect(ids(a)).toEqual(ids(b))
    expect(ids(a)).not.toEqual(ids(c))
    expect(new Set(ids(a)).size).toBe(a.size)
    for (const id of ids(a)) expect(id).toMatch(/^\d{3}-\d{7}-\d{7}$/)
  })

  it("spreads orders over more than two years with weekend and Q4 peaks", () => {
    const anchor = Date.UTC(2026, 5, 1)
    const book = buildOrderBook(decodeSellerConfig(seller("shape", 100_000)), anchor, 1)
    expect(book.created[0]!).toBeLessThan(anchor - HORIZON_MS)
    let weekend = 0
    let december = 0
    let june = 0
    for (const created of book.created) {
      const date = new Date(created)
      if (date.getUTCDay() === 0 || date.getUTCDay() === 6) weekend++
      if (date.getUTCMonth() === 11) december++
      if (date.getUTCMonth() === 5) june++
    }
    expect(weekend / book.size).toBeGreaterThan(2 / 7 + 0.03)
    expect(december).toBeGreaterThan(june * 1.3)
  })

  describe("served through the API", () => {
    let client: Client
    let token: string
    beforeAll(async () => {
      client = await start({
        timeFactor: 3600,
        accessTokenLifetimeSeconds: 3600 * 3600,
        sellers: [
          seller("served", 20_000, {
            usagePlans: { searchOrders: { rate: 1, burst: 1000 } },
            marketplaceIds: ["A1F83G8C2ARO7P", "A1PA6795UKMFR9"],
            // Changes within 1 h and new orders within 1 h of Amazon time: one real second.
            changes: { share: 0.05, horizonSeconds: 3600 },
            late: { share: 0.02, horizonSeconds: 3600, maxDelaySeconds: 1800 }
          })
        ]
      })
      token = await client.token("Atzr|served")
    })
    afterAll(() => client.simulator.close())

    it("never returns an order older than two years and matches the ground truth", async () => {
      const { orders, before } = await searchAll(client, token, `createdAfter=${isoAgo(1000 * DAY)}&includedData=FULFILLMENT,PROCEEDS`)
      const oldest = Date.now() - HORIZON_MS
      for (const order of orders) expect(Date.parse(order.createdTime)).toBeGreaterThanOrEqual(oldest - 1000)
      const truth = client.simulator.groundTruth("served", { createdBefore: new Date(before) })
      expect(orders.map((order) => order.orderId)).toEqual(truth.map((order) => order.orderId))
      const currencies = new Set(orders.map((order) => order.proceeds?.grandTotal.currencyCode).filter(Boolean))
      expect(currencies).toEqual(new Set(["GBP", "EUR"]))
      expect(new Set(orders.map((order) => order.fulfillment.fulfilledBy))).toEqual(new Set(["AMAZON", "MERCHANT"]))
    })

    it("sends only basic information without includedData, and each dataset only when asked for", async () => {
      const after = `createdAfter=${isoAgo(1000 * DAY)}`
      const basic = (await searchAll(client, token, after)).orders
      const withFulfillment = (await searchAll(client, token, `${after}&includedData=FULFILLMENT`)).orders
      const withProceeds = (await searchAll(client, token, `${after}&includedData=PROCEEDS`)).orders
      const both = (await searchAll(client, token, `${after}&includedData=PROCEEDS,FULFILLMENT`)).orders
      expect(basic.length).toBeGreaterThan(0)
      for (const order of basic) {
        expect(Object.keys(order).sort()).toEqual(["createdTime", "lastUpdatedTime", "orderId", "orderItems", "programs", "salesChannel"])
        for (const item of order.orderItems) expect(Object.keys(item).sort()).toEqual(["orderItemId", "product", "quantityOrdered"])
      }
      expect(withFulfillment.every((order) => order.fulfillment !== undefined && order.proceeds === undefined)).toBe(true)
      expect(withFulfillment.every((order) => order.orderItems.every((item: any) => item.fulfillment !== undefined && item.proceeds === undefined))).toBe(true)
      expect(withProceeds.every((order) => order.fulfillment === undefined)).toBe(true)
      const truth = new Map(client.simulator.groundTruth("served").map((order) => [order.orderId, order]))
      for (const order of both) {
        const expected = truth.get(order.orderId)!
        expect(order.fulfillment.fulfillmentStatus).toBe(expected.status)
        expect(order.proceeds?.grandTotal.amount ?? null).toBe(expected.totalAmount)
      }
      expect(both.filter((order) => order.proceeds !== undefined).length).toBe(withProceeds.filter((order) => order.proceeds !== undefined).length)
      const id = both[both.length - 1].orderId
      const single = (query: string) => client.get(`/orders/2026-01-01/orders/${id}${query}`, token)
      expect((await single("")).body.order.fulfillment).toBeUndefined()
      expect((await single("?includedData=FULFILLMENT")).body.order.fulfillment.fulfillmentStatus).toBe(truth.get(id)!.status)
      expect((await single("?includedData=NOPE")).status).toBe(400)
    })

    it("sends pending orders without a total and without item prices", async () => {
      const { orders } = await searchAll(client, token, `createdAfter=${isoAgo(3 * DAY)}&fulfillmentStatuses=PENDING&includedData=FULFILLMENT,PROCEEDS`)
      expect(orders.length).toBeGreaterThan(0)
      for (const order of orders) {
        expect(order.fulfillment.fulfillmentStatus).toBe("PENDING")
        expect(order.proceeds).toBeUndefined()
        for (const item of order.orderItems) expect(item.product.price).toBeUndefined()
      }
      const pendingTruth = client.simulator.groundTruth("served").filter((order) => order.status === "PENDING")
      for (const order of pendingTruth) expect(order.totalAmount).toBeNull()
    })

    it("shows status changes and late orders in lastUpdated listings after their time", async () => {
      const startedAt = new Date(Date.parse(client.simulator.sellers()[0]!.anchorTime))
      const at = (time: Date) => client.simulator.groundTruth("served", { asOf: time })
      // Every change and arrival falls within 1.5 real seconds of the start (time factor 3600).
      await eventually(() => (Date.now() > startedAt.getTime() + 1700 ? true : undefined))
      const before = new Map(at(startedAt).map((order) => [order.orderId, order]))
      const moved = at(new Date()).filter((order) => before.get(order.orderId)?.status !== order.status)
      const { orders: listed } = await searchAll(client, token, `lastUpdatedAfter=${startedAt.toISOString()}&includedData=FULFILLMENT`)
      const byId = new Map(listed.map((order) => [order.orderId, order]))
      const truthNow = new Map(client.simulator.groundTruth("served").map((order) => [order.orderId, order]))
      for (const order of listed) {
        expect(Date.parse(order.lastUpdatedTime)).toBeGreaterThanOrEqual(startedAt.getTime())
        expect(order.fulfillment.fulfillmentStatus).toBe(truthNow.get(order.orderId)!.status)
      }
      const late = moved.filter((order) => Date.parse(order.createdTime) > startedAt.getTime())
      const changed = moved.filter((order) => Date.parse(order.createdTime) <= startedAt.getTime())
      expect(late.length).toBeGreaterThan(0)
      expect(changed.length).toBeGreaterThan(0)
      for (const order of moved) expect(byId.get(order.orderId)?.lastUpdatedTime).toBe(order.lastUpdatedTime)
      // Before its change an order is listed with its old time, not after the start.
      const early = await searchAll(client, token, `lastUpdatedAfter=${new Date(startedAt.getTime() - 30 * DAY).toISOString()}&lastUpdatedBefore=${startedAt.toISOString()}`)
      const earlyIds = new Set(early.orders.map((order) => order.orderId))
      for (const order of changed) expect(earlyIds.has(order.orderId)).toBe(false)
    })
  })
})
