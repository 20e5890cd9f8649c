import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeSimulatorConfig, defaultUsagePlans } from "../../src/Simulator/Config.js"
import { DEFAULT_PLANS } from "../../src/Services/SpApi/TokenBucket.js"
import { type Client, DAY, isoAgo, searchAll, seller, start } from "./support.js"

// One `it` per row (or small group of rows) of test/FIDELITY.md that no other simulator test already covers; the
// names are the rows'. Each asserts on the simulator's answers, so a simulator that drifts from the docs fails here.

const search = "/orders/2026-01-01/orders"
const v0 = "/orders/v0/orders"
const statuses2026 = ["PENDING_AVAILABILITY", "PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED", "UNFULFILLABLE"]
const statusesV0 = ["Pending", "Unshipped", "PartiallyShipped", "Shipped", "Canceled", "Unfulfillable", "InvoiceUnconfirmed", "PendingAvailability"]
const isoUtc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
const decimal = /^-?\d+(\.\d+)?$/
/** What ordersync sends for a date: `Date.toISOString()`, milliseconds included (src/Services/Orders.ts). */
const sent = (ms: number) => new Date(ms).toISOString()

describe("fidelity audit (test/FIDELITY.md)", () => {
  let client: Client
  let token: string
  beforeAll(async () => {
    client = await start({
      timeFactor: 1,
      usagePlans: { searchOrders: { rate: 100, burst: 1000 }, getOrders: { rate: 100, burst: 1000 }, getOrder: { rate: 100, burst: 1000 } },
      sellers: [
        seller("audit", 600, { marketplaceIds: ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"] }),
        // Amazon's default plans, untouched.
        seller("plans", 50, { usagePlans: { ...defaultUsagePlans } }),
        seller("errors", 50)
      ]
    })
    token = await client.token("Atzr|audit")
  })
  afterAll(() => client.simulator.close())

  it("parameters and their names (2026-01-01): the request ordersync sends is accepted as sent", async () => {
    // Orders.ts: createdAfter/createdBefore with milliseconds, marketplaceIds comma-separated, maxResultsPerPage=100,
    // includedData=FULFILLMENT,PROCEEDS.
    const query = `createdAfter=${sent(Date.now() - 400 * DAY)}&createdBefore=${sent(Date.now() - 3 * 60_000)}` +
      `&marketplaceIds=ATVPDKIKX0DER,A2EUQ1WTGCTBG2&maxResultsPerPage=100&includedData=FULFILLMENT,PROCEEDS`
    const reply = await client.get(`${search}?${query}`, token)
    expect(reply.status, reply.text).toBe(200)
    expect(reply.body.orders).toHaveLength(100)
    expect(reply.body.orders.every((order: any) => order.fulfillment !== undefined)).toBe(true)
    // The v0 names are not the 2026 ones: a v0 name is no date at all to searchOrders.
    const wrongNames = await client.get(`${search}?CreatedAfter=${sent(Date.now() - DAY)}`, token)
    expect(wrongNames.status).toBe(400)
  })

  it("parameters and their names (v0): the request ordersync sends is accepted as sent", async () => {
    const query = `CreatedAfter=${sent(Date.now() - 400 * DAY)}&CreatedBefore=${sent(Date.now() - 3 * 60_000)}` +
      `&MarketplaceIds=ATVPDKIKX0DER,A2EUQ1WTGCTBG2&MaxResultsPerPage=100`
    const reply = await client.get(`${v0}?${query}`, token)
    expect(reply.status, reply.text).toBe(200)
    expect(reply.body.payload.Orders).toHaveLength(100)
    expect(typeof reply.body.payload.NextToken).toBe("string")
    const wrongNames = await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER&createdAfter=${sent(Date.now() - DAY)}`, token)
    expect(wrongNames.status).toBe(400)
  })

  it("date families: created* and lastUpdated* never mix (v0)", async () => {
    const reply = await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${isoAgo(2 * DAY)}&LastUpdatedBefore=${isoAgo(DAY)}`, token)
    expect(reply.status).toBe(400)
    expect(reply.body.errors[0].code).toBe("InvalidInput")
    const both = await client.get(`${search}?createdAfter=${isoAgo(2 * DAY)}&lastUpdatedAfter=${isoAgo(2 * DAY)}`, token)
    expect(both.status).toBe(400)
  })

  it("*After <= *Before: equal bounds are accepted, and both bounds are inclusive", async () => {
    const truth = client.simulator.groundTruth("audit", { createdAfter: new Date(Date.now() - 300 * DAY) })
    const order = truth[Math.floor(truth.length / 2)]!
    for (const [family, time] of [["created", order.createdTime], ["lastUpdated", order.lastUpdatedTime]] as const) {
      const reply = await client.get(`${search}?${family}After=${time}&${family}Before=${time}`, token)
      expect(reply.status, reply.text).toBe(200)
      expect(reply.body.orders.map((o: any) => o.orderId)).toContain(order.orderId)
    }
    const v0Reply = await client.get(`${v0}?MarketplaceIds=${order.marketplaceId}&CreatedAfter=${order.createdTime}&CreatedBefore=${order.createdTime}`, token)
    expect(v0Reply.body.payload.Orders.map((o: any) => o.AmazonOrderId)).toContain(order.orderId)
  })

  it("the two-minute rule: a Before just over two minutes ago is accepted in both versions", async () => {
    const justOver = sent(Date.now() - 125_000)
    expect((await client.get(`${search}?createdAfter=${isoAgo(DAY)}&createdBefore=${justOver}`, token)).status).toBe(200)
    expect((await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER&LastUpdatedAfter=${isoAgo(DAY)}&LastUpdatedBefore=${justOver}`, token)).status).toBe(200)
    expect((await client.get(`${search}?lastUpdatedAfter=${isoAgo(DAY)}&lastUpdatedBefore=${sent(Date.now() - 100_000)}`, token)).status).toBe(400)
  })

  it("CreatedBefore/LastUpdatedBefore in the answer: the bound applied, of the family asked, now minus two minutes by default", async () => {
    const before = sent(Date.now() - DAY)
    const given = await client.get(`${search}?createdAfter=${isoAgo(2 * DAY)}&createdBefore=${before}`, token)
    expect(Date.parse(given.body.createdBefore)).toBe(Date.parse(before))
    expect(given.body.lastUpdatedBefore).toBeUndefined()
    const asked = Date.now()
    const defaulted = await client.get(`${search}?lastUpdatedAfter=${isoAgo(2 * DAY)}`, token)
    expect(defaulted.body.createdBefore).toBeUndefined()
    expect(Math.abs(Date.parse(defaulted.body.lastUpdatedBefore) - (asked - 120_000))).toBeLessThan(5_000)
    const v0Reply = await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${isoAgo(2 * DAY)}`, token)
    expect(Math.abs(Date.parse(v0Reply.body.payload.CreatedBefore) - (asked - 120_000))).toBeLessThan(5_000)
    expect(v0Reply.body.payload.LastUpdatedBefore).toBeUndefined()
  })

  it("page size: 100 by default, at most maxResultsPerPage", async () => {
    const first = await client.get(`${search}?createdAfter=${isoAgo(800 * DAY)}`, token)
    expect(first.body.orders).toHaveLength(100)
    expect((await client.get(`${search}?createdAfter=${isoAgo(800 * DAY)}&maxResultsPerPage=1`, token)).body.orders).toHaveLength(1)
    const firstV0 = await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER,A2EUQ1WTGCTBG2&CreatedAfter=${isoAgo(800 * DAY)}`, token)
    expect(firstV0.body.payload.Orders).toHaveLength(100)
  })

  it("pagination: includedData and maxResultsPerPage may change between pages, and each page follows its own call", async () => {
    const after = `createdAfter=${isoAgo(800 * DAY)}`
    const first = await client.get(`${search}?${after}&maxResultsPerPage=10&includedData=FULFILLMENT,PROCEEDS`, token)
    expect(first.body.orders.every((o: any) => o.fulfillment !== undefined)).toBe(true)
    // The token does not remember the datasets: a page asked for without includedData has the basic shape.
    const withoutDatasets = await client.get(`${search}?${after}&maxResultsPerPage=20&paginationToken=${encodeURIComponent(first.body.pagination.nextToken)}`, token)
    expect(withoutDatasets.status, withoutDatasets.text).toBe(200)
    expect(withoutDatasets.body.orders).toHaveLength(20)
    expect(withoutDatasets.body.orders.every((o: any) => o.fulfillment === undefined && o.proceeds === undefined)).toBe(true)
    const again = await client.get(`${search}?${after}&maxResultsPerPage=5&includedData=FULFILLMENT&paginationToken=${encodeURIComponent(withoutDatasets.body.pagination.nextToken)}`, token)
    expect(again.body.orders.every((o: any) => o.fulfillment !== undefined && o.proceeds === undefined)).toBe(true)
    // The pages follow on: no order twice.
    const ids = [...first.body.orders, ...withoutDatasets.body.orders, ...again.body.orders].map((o: any) => o.orderId)
    expect(new Set(ids).size).toBe(35)
  })

  it("pagination: the last page has no pagination field (2026-01-01) and no NextToken (v0)", async () => {
    const { pages } = await searchAll(client, token, `createdAfter=${isoAgo(800 * DAY)}`)
    expect(pages).toBeGreaterThan(1)
    let reply = await client.get(`${search}?createdAfter=${isoAgo(800 * DAY)}`, token)
    while (reply.body.pagination !== undefined) {
      expect(typeof reply.body.pagination.nextToken).toBe("string")
      reply = await client.get(`${search}?createdAfter=${isoAgo(800 * DAY)}&paginationToken=${encodeURIComponent(reply.body.pagination.nextToken)}`, token)
    }
    expect(Object.keys(reply.body)).not.toContain("pagination")
    const small = await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${isoAgo(2 * DAY)}`, token)
    expect(Object.keys(small.body.payload)).not.toContain("NextToken")
  })

  it("pagination: a 2026-01-01 token lives 24 hours by default", () => {
    expect(decodeSimulatorConfig({}).pageTokenLifetimeSeconds).toBe(24 * 3600)
  })

  it("datasets: an includedData value outside the model's enum is refused", async () => {
    const reply = await client.get(`${search}?createdAfter=${isoAgo(DAY)}&includedData=FULFILLMENT,ITEMS`, token)
    expect(reply.status).toBe(400)
    expect(reply.body.errors[0]).toMatchObject({ code: "InvalidInput" })
  })

  it("response fields (2026-01-01): orderId, createdTime, lastUpdatedTime, salesChannel, fulfillment, proceeds, orderItems match the ground truth", async () => {
    const { orders, before } = await searchAll(client, token, `createdAfter=${isoAgo(800 * DAY)}&includedData=FULFILLMENT,PROCEEDS`)
    const truth = new Map(client.simulator.groundTruth("audit", { createdBefore: new Date(before) }).map((o) => [o.orderId, o]))
    expect(orders.length).toBe(truth.size)
    const seenStatuses = new Set<string>()
    for (const order of orders) {
      const expected = truth.get(order.orderId)!
      expect(order.orderId).toMatch(/^\d{3}-\d{7}-\d{7}$/)
      expect(order.createdTime).toMatch(isoUtc)
      expect(order.lastUpdatedTime).toMatch(isoUtc)
      expect(Date.parse(order.lastUpdatedTime)).toBeGreaterThanOrEqual(Date.parse(order.createdTime))
      expect(order.salesChannel.channelName).toBe("AMAZON")
      expect(order.salesChannel.marketplaceId).toBe(expected.marketplaceId)
      expect(statuses2026).toContain(order.fulfillment.fulfillmentStatus)
      expect(order.fulfillment.fulfillmentStatus).toBe(expected.status)
      expect(order.fulfillment.fulfilledBy).toBe(expected.fulfillmentChannel)
      seenStatuses.add(order.fulfillment.fulfillmentStatus)
      if (expected.totalAmount === null) expect(order.proceeds).toBeUndefined()
      else {
        expect(order.proceeds.grandTotal).toEqual({ amount: expected.totalAmount, currencyCode: expected.currency })
        expect(order.proceeds.grandTotal.amount).toMatch(decimal)
        // The total is the items' proceeds.
        const items = order.orderItems.reduce((sum: number, item: any) => sum + Number(item.proceeds.proceedsTotal.amount), 0)
        expect(items).toBeCloseTo(Number(expected.totalAmount), 6)
      }
      expect(order.orderItems.length).toBeGreaterThan(0)
      for (const item of order.orderItems) expect(Number.isInteger(item.quantityOrdered) && item.quantityOrdered > 0).toBe(true)
    }
    expect(seenStatuses.size).toBeGreaterThan(3)
  })

  it("response fields (v0): AmazonOrderId, PurchaseDate, LastUpdateDate, OrderStatus, FulfillmentChannel, SalesChannel, MarketplaceId, OrderTotal, NumberOfItems* match the ground truth", async () => {
    const createdAfter = isoAgo(800 * DAY)
    const orders: Array<any> = []
    let nextToken: string | undefined
    let createdBefore = ""
    do {
      const reply = await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER,A2EUQ1WTGCTBG2&${nextToken ? `NextToken=${encodeURIComponent(nextToken)}` : `CreatedAfter=${createdAfter}`}`, token)
      expect(reply.status, reply.text).toBe(200)
      orders.push(...reply.body.payload.Orders)
      createdBefore ||= reply.body.payload.CreatedBefore
      nextToken = reply.body.payload.NextToken
    } while (nextToken)
    const truth = client.simulator.groundTruth("audit", { createdAfter: new Date(createdAfter), createdBefore: new Date(createdBefore) })
    expect(orders.map((o) => o.AmazonOrderId)).toEqual(truth.map((o) => o.orderId))
    const toV0: Record<string, string> = { PENDING: "Pending", UNSHIPPED: "Unshipped", PARTIALLY_SHIPPED: "PartiallyShipped", SHIPPED: "Shipped", CANCELLED: "Canceled", UNFULFILLABLE: "Unfulfillable", PENDING_AVAILABILITY: "PendingAvailability" }
    orders.forEach((order, n) => {
      const expected = truth[n]!
      expect(order.PurchaseDate).toMatch(isoUtc)
      expect(order.LastUpdateDate).toMatch(isoUtc)
      expect(Date.parse(order.PurchaseDate)).toBe(Date.parse(expected.createdTime))
      expect(statusesV0).toContain(order.OrderStatus)
      expect(order.OrderStatus).toBe(toV0[expected.status])
      expect(order.FulfillmentChannel).toBe(expected.fulfillmentChannel === "AMAZON" ? "AFN" : "MFN")
      expect(order.MarketplaceId).toBe(expected.marketplaceId)
      expect(order.SalesChannel).toBe(expected.marketplaceId === "ATVPDKIKX0DER" ? "Amazon.com" : "Amazon.ca")
      if (expected.totalAmount === null) expect(order.OrderTotal).toBeUndefined()
      else expect(order.OrderTotal).toEqual({ CurrencyCode: expected.currency, Amount: expected.totalAmount })
      expect(Number.isInteger(order.NumberOfItemsShipped) && Number.isInteger(order.NumberOfItemsUnshipped)).toBe(true)
      expect(order.NumberOfItemsShipped + order.NumberOfItemsUnshipped).toBeGreaterThan(0)
      // The items' quantities, shipped as the ground truth's items say (a partially shipped order's first item).
      const quantity = (items: typeof expected.items) => items.reduce((sum, item) => sum + item.quantity, 0)
      expect(order.NumberOfItemsShipped).toBe(quantity(expected.items.filter((item) => item.itemStatus === "SHIPPED")))
      expect(order.NumberOfItemsShipped + order.NumberOfItemsUnshipped).toBe(quantity(expected.items))
      if (order.OrderStatus !== "Shipped" && order.OrderStatus !== "PartiallyShipped") expect(order.NumberOfItemsShipped).toBe(0)
    })
  })

  it("pending orders without totals (v0): a Pending order has no OrderTotal", async () => {
    const reply = await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER,A2EUQ1WTGCTBG2&CreatedAfter=${isoAgo(5 * DAY)}&OrderStatuses=Pending`, token)
    expect(reply.body.payload.Orders.length).toBeGreaterThan(0)
    for (const order of reply.body.payload.Orders) {
      expect(order.OrderStatus).toBe("Pending")
      expect(order.OrderTotal).toBeUndefined()
    }
  })

  it("results oldest first (undocumented; ordersync's window restart relies on it)", async () => {
    const { orders } = await searchAll(client, token, `createdAfter=${isoAgo(800 * DAY)}`)
    const times = orders.map((o) => Date.parse(o.createdTime))
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })

  it("marketplaceIds: at most 50, comma-separated or repeated", async () => {
    const fifty = Array.from({ length: 51 }, () => "ATVPDKIKX0DER").join(",")
    expect((await client.get(`${search}?createdAfter=${isoAgo(DAY)}&marketplaceIds=${fifty}`, token)).status).toBe(400)
    expect((await client.get(`${v0}?CreatedAfter=${isoAgo(DAY)}&MarketplaceIds=${fifty}`, token)).status).toBe(400)
    const comma = await client.get(`${search}?createdAfter=${isoAgo(800 * DAY)}&marketplaceIds=A2EUQ1WTGCTBG2&maxResultsPerPage=100`, token)
    const repeated = await client.get(`${search}?createdAfter=${isoAgo(800 * DAY)}&marketplaceIds=A2EUQ1WTGCTBG2&marketplaceIds=A2EUQ1WTGCTBG2&maxResultsPerPage=100`, token)
    expect(comma.body.orders.length).toBeGreaterThan(0)
    expect(comma.body.orders.every((o: any) => o.salesChannel.marketplaceId === "A2EUQ1WTGCTBG2")).toBe(true)
    expect(repeated.body.orders.map((o: any) => o.orderId)).toEqual(comma.body.orders.map((o: any) => o.orderId))
  })

  it("error bodies and codes: 400/403/404/429/500/503 as {errors:[{code,message}]} with JSON and x-amzn-RequestId", async () => {
    const errorsToken = await client.token("Atzr|errors")
    const listing = `${search}?createdAfter=${isoAgo(DAY)}`
    const seen: Array<[number, any, Headers]> = []
    const note = (reply: { status: number; body: any; headers: Headers }) => seen.push([reply.status, reply.body, reply.headers])
    note(await client.get(`${search}?createdAfter=nope`, errorsToken))
    note(await client.get(listing, "Atza|forged"))
    note(await client.get(`${search}/999-0000000-0000000`, errorsToken))
    for (const faults of [{ extra429Probability: 1 }, { error500Probability: 1 }, { error503Probability: 1 }]) {
      client.simulator.setFaults("errors", faults)
      note(await client.get(listing, errorsToken))
    }
    client.simulator.setFaults("errors", {})
    expect(seen.map(([status, body]) => [status, body.errors[0].code])).toEqual([
      [400, "InvalidInput"], [403, "Unauthorized"], [404, "NotFound"], [429, "QuotaExceeded"], [500, "InternalFailure"], [503, "ServiceUnavailable"]
    ])
    for (const [, body, headers] of seen) {
      expect(body.errors).toHaveLength(1)
      expect(typeof body.errors[0].message).toBe("string")
      expect(headers.get("content-type")).toMatch(/^application\/json/)
      expect(headers.get("x-amzn-requestid")).toBeTruthy()
    }
  })

  it("x-amzn-RateLimit-Limit: on 200, 400 and 404 only, never on 403, 429, 500, 503", async () => {
    const errorsToken = await client.token("Atzr|errors")
    const listing = `${search}?createdAfter=${isoAgo(DAY)}`
    const header = async (path: string, accessToken: string) => {
      const reply = await client.get(path, accessToken)
      return [reply.status, reply.headers.get("x-amzn-ratelimit-limit") !== null] as const
    }
    const found = [
      await header(listing, errorsToken),
      await header(`${v0}?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${isoAgo(DAY)}`, errorsToken),
      await header(`${search}?createdAfter=nope`, errorsToken),
      await header(`${search}/999-0000000-0000000`, errorsToken),
      await header(listing, "Atza|forged")
    ]
    for (const faults of [{ extra429Probability: 1 }, { error500Probability: 1 }, { error503Probability: 1 }]) {
      client.simulator.setFaults("errors", faults)
      found.push(await header(listing, errorsToken))
    }
    client.simulator.setFaults("errors", {})
    expect(found).toEqual([[200, true], [200, true], [400, true], [404, true], [403, false], [429, false], [500, false], [503, false]])
  })

  it("default usage plans: searchOrders 0.0056/s burst 20, getOrders 0.0167/s burst 20, getOrder 0.5/s burst 30, as the client assumes", async () => {
    expect(defaultUsagePlans).toMatchObject({
      searchOrders: { rate: 0.0056, burst: 20 },
      getOrders: { rate: 0.0167, burst: 20 },
      getOrder: { rate: 0.5, burst: 30 },
      getOrderV0: { rate: 0.5, burst: 30 }
    })
    for (const operation of ["searchOrders", "getOrders", "getOrder"] as const) expect(DEFAULT_PLANS[operation]).toEqual(defaultUsagePlans[operation])
    const plansToken = await client.token("Atzr|plans")
    const replies = []
    for (let n = 0; n < 21; n++) replies.push(await client.get(`${search}?createdAfter=${isoAgo(DAY)}`, plansToken))
    expect(replies.slice(0, 20).every((reply) => reply.status === 200)).toBe(true)
    expect(replies[0]!.headers.get("x-amzn-ratelimit-limit")).toBe("0.0056")
    expect(replies[20]!.status).toBe(429)
    const v0Reply = await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${isoAgo(DAY)}`, plansToken)
    expect(v0Reply.headers.get("x-amzn-ratelimit-limit")).toBe("0.0167")
  })
})
