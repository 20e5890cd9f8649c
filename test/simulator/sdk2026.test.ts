import { Orders_v2026SpApi } from "@amazon-sp-api-release/amazon-sp-api-sdk-js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, DAY, seller, start } from "./support.js"

/**
 * Amazon's own JS SDK (@amazon-sp-api-release/amazon-sp-api-sdk-js), its Orders 2026-01-01 client, pointed at the
 * simulator. Its LWA client posts to https://api.amazon.com/auth/o2/token whatever the base path (hard-coded in
 * ApiClient.js and helper/LwaAuthClient.mjs), so the access token comes from the simulator's LWA endpoint and is
 * handed to the SDK with applyXAmzAccessTokenToRequest: the SDK then sends it as x-amz-access-token.
 */
describe("Amazon's JS SDK (Orders 2026-01-01) against the simulator", () => {
  let client: Client
  let api: Orders_v2026SpApi.SearchOrdersApi
  const createdAfter = new Date(Date.now() - 400 * DAY)
  beforeAll(async () => {
    client = await start({
      timeFactor: 3600,
      accessTokenLifetimeSeconds: 3600 * 3600,
      sellers: [seller("sdk2026", 600, { usagePlans: { searchOrders: { rate: 1, burst: 1000 } } })]
    })
    const sdk = new Orders_v2026SpApi.ApiClient(client.simulator.url)
    sdk.applyXAmzAccessTokenToRequest(await client.token("Atzr|sdk2026"))
    // The SDK paces searchOrders at Amazon's default plan (0.0056/s); the simulator's bucket is the one under test.
    sdk.disableRateLimiter()
    api = new Orders_v2026SpApi.SearchOrdersApi(sdk)
  })
  afterAll(() => client.simulator.close())

  const searchAll = async (includedData: Array<string> | undefined) => {
    const orders: Array<any> = []
    let paginationToken: string | undefined
    let createdBefore: Date | undefined
    let pages = 0
    do {
      const page = await api.searchOrders({
        createdAfter,
        maxResultsPerPage: 100,
        ...(includedData ? { includedData } : {}),
        ...(paginationToken ? { paginationToken } : {})
      })
      orders.push(...page.orders)
      createdBefore ??= page.createdBefore
      paginationToken = page.pagination?.nextToken
      pages++
    } while (paginationToken)
    return { orders, pages, createdBefore: createdBefore! }
  }

  it("gets the basic shape without includedData: no fulfillment, no proceeds", async () => {
    const { orders, pages } = await searchAll(undefined)
    expect(pages).toBeGreaterThan(1)
    expect(orders.length).toBeGreaterThan(100)
    for (const order of orders) {
      expect(typeof order.orderId).toBe("string")
      expect(order.createdTime).toBeInstanceOf(Date)
      expect(order.salesChannel.marketplaceId).toMatch(/^A/)
      expect(order.orderItems.length).toBeGreaterThan(0)
      expect(order.fulfillment).toBeUndefined()
      expect(order.proceeds).toBeUndefined()
      for (const item of order.orderItems) {
        expect(item.fulfillment).toBeUndefined()
        expect(item.proceeds).toBeUndefined()
      }
    }
  })

  it("gets the full shape with includedData FULFILLMENT,PROCEEDS, equal to the ground truth", async () => {
    const { orders, pages, createdBefore } = await searchAll(["FULFILLMENT", "PROCEEDS"])
    expect(pages).toBeGreaterThan(1)
    const truth = client.simulator.groundTruth("sdk2026", { createdAfter, createdBefore })
    expect(orders.map((order) => order.orderId)).toEqual(truth.map((order) => order.orderId))
    const seen = orders.map((order) => ({
      orderId: order.orderId,
      status: order.fulfillment.fulfillmentStatus,
      fulfillmentChannel: order.fulfillment.fulfilledBy,
      totalAmount: order.proceeds?.grandTotal?.amount ?? null,
      currency: order.proceeds?.grandTotal?.currencyCode ?? null,
      marketplaceId: order.salesChannel.marketplaceId
    }))
    expect(seen).toEqual(truth.map(({ orderId, status, fulfillmentChannel, totalAmount, currency, marketplaceId }) =>
      ({ orderId, status, fulfillmentChannel, totalAmount, currency, marketplaceId })))
    // Both kinds are in the history: priced orders with a total and pending ones without.
    expect(seen.some((order) => order.totalAmount !== null)).toBe(true)
    expect(seen.some((order) => order.status === "PENDING" && order.totalAmount === null)).toBe(true)
  })
})
