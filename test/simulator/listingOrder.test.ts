import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { siteMarketplace } from "../../src/Domain/ReportOrders.js"
import { findMarketplace, marketplaces, marketplacesOf } from "../../src/Simulator/Marketplaces.js"
import { type Client, DAY, isoAgo, searchAll, seller, start } from "./support.js"

const v0 = "/orders/v0/orders"

/** Follows v0 pagination to the end (a NextToken request carries only the token and the marketplaces). */
const getAll = async (client: Client, accessToken: string, query: string, marketplaceIds: string) => {
  const pages: Array<Array<any>> = []
  let token: string | undefined
  do {
    const reply = await client.get(
      token === undefined ? `${v0}?${query}` : `${v0}?MarketplaceIds=${marketplaceIds}&NextToken=${encodeURIComponent(token)}`,
      accessToken
    )
    expect(reply.status, reply.text).toBe(200)
    pages.push(reply.body.payload.Orders)
    token = reply.body.payload.NextToken
  } while (token)
  return pages
}

const times = (orders: ReadonlyArray<any>, field: string) => orders.map((o) => new Date(o[field]).getTime())
const ascending = (values: ReadonlyArray<number>) => values.every((value, k) => k === 0 || values[k - 1]! <= value)

describe("updatedListingOrder: a listing by lastUpdated out of time order", () => {
  let client: Client
  const tokens: Record<string, string> = {}
  const plans = { searchOrders: { rate: 100, burst: 100 }, getOrders: { rate: 100, burst: 100 } }
  beforeAll(async () => {
    client = await start({
      timeFactor: 1,
      usagePlans: plans,
      sellers: [
        seller("ascending", 3000),
        seller("shuffled", 3000, { updatedListingOrder: "shuffled" })
      ]
    })
    for (const name of ["ascending", "shuffled"]) tokens[name] = await client.token(`Atzr|${name}`)
  })
  afterAll(() => client.simulator.close())

  const query = `lastUpdatedAfter=${isoAgo(60 * DAY)}&lastUpdatedBefore=${isoAgo(DAY)}&maxResultsPerPage=40`

  it("serves every order of the window exactly once, pages and their orders in no time order", async () => {
    const inOrder = await searchAll(client, tokens.ascending!, query)
    const shuffled = await searchAll(client, tokens.shuffled!, query)
    // Same seed, same book: the same orders, each once.
    expect(shuffled.orders.length).toBeGreaterThan(120)
    expect(shuffled.orders.map((o) => o.orderId).sort()).toEqual(inOrder.orders.map((o) => o.orderId).sort())
    expect(new Set(shuffled.orders.map((o) => o.orderId)).size).toBe(shuffled.orders.length)
    expect(ascending(times(inOrder.orders, "lastUpdatedTime"))).toBe(true)
    expect(ascending(times(shuffled.orders, "lastUpdatedTime"))).toBe(false)
    // A later page holds changes older than the newest of an earlier one: a cursor advanced per page would skip them.
    const first = shuffled.orders.slice(0, 40)
    const newestOfFirst = Math.max(...times(first, "lastUpdatedTime"))
    expect(shuffled.orders.slice(40).some((o) => new Date(o.lastUpdatedTime).getTime() < newestOfFirst)).toBe(true)
  })

  it("shuffles v0 getOrders the same way, NextToken pages included", async () => {
    const v0Query = `MarketplaceIds=ATVPDKIKX0DER,A2EUQ1WTGCTBG2&LastUpdatedAfter=${isoAgo(60 * DAY)}&LastUpdatedBefore=${isoAgo(DAY)}&MaxResultsPerPage=40`
    const pages = await getAll(client, tokens.shuffled!, v0Query, "ATVPDKIKX0DER,A2EUQ1WTGCTBG2")
    const all = pages.flat()
    const inOrder = (await getAll(client, tokens.ascending!, v0Query, "ATVPDKIKX0DER,A2EUQ1WTGCTBG2")).flat()
    expect(pages.length).toBeGreaterThan(3)
    expect(all.map((o) => o.AmazonOrderId).sort()).toEqual(inOrder.map((o) => o.AmazonOrderId).sort())
    expect(ascending(times(inOrder, "LastUpdateDate"))).toBe(true)
    expect(pages.some((page) => !ascending(times(page, "LastUpdateDate")))).toBe(true)
  })

  it("leaves listings by createdTime in time order", async () => {
    const created = await searchAll(client, tokens.shuffled!, `createdAfter=${isoAgo(60 * DAY)}&createdBefore=${isoAgo(DAY)}&maxResultsPerPage=40`)
    expect(created.pages).toBeGreaterThan(3)
    expect(ascending(times(created.orders, "createdTime"))).toBe(true)
  })
})

describe("marketplaces of Amazon's table", () => {
  const added = [
    ["A28R8C7NBKEWEA", "Amazon.ie", "EUR", "IE"],
    ["AMEN7PMS3EDWL", "Amazon.com.be", "EUR", "BE"],
    ["AE08WJ6YKNBMC", "Amazon.co.za", "ZAR", "ZA"],
    ["ARBP9OOSHTCHU", "Amazon.eg", "EGP", "EG"],
    ["A17E79C6D8DWNP", "Amazon.sa", "SAR", "SA"],
    ["A2VIGQ35RCS4UG", "Amazon.ae", "AED", "AE"]
  ] as const
  let client: Client
  let token: string
  beforeAll(async () => {
    client = await start({
      timeFactor: 1,
      usagePlans: { searchOrders: { rate: 100, burst: 100 }, getOrders: { rate: 100, burst: 100 } },
      sellers: [seller("emea", 1200, { marketplaceIds: added.map(([id]) => id) })]
    })
    token = await client.token("Atzr|emea")
  })
  afterAll(() => client.simulator.close())

  it("knows Ireland, Belgium, South Africa, Egypt, Saudi Arabia and the UAE, all in the EU region", () => {
    for (const [id, name, currency, country] of added) {
      expect(findMarketplace(id)).toMatchObject({ name, currency, countryCode: country, region: "eu" })
    }
    // Amazon's page lists 16 marketplaces for Europe, India and the Middle East included.
    expect(marketplacesOf("eu").length).toBe(16)
    expect(marketplacesOf("na").map((m) => m.countryCode).sort()).toEqual(["BR", "CA", "MX", "US"])
    expect(marketplacesOf("fe").map((m) => m.countryCode).sort()).toEqual(["AU", "JP", "SG"])
  })

  it("writes only site names the client reads back to their marketplace (South Africa's Amazon.co.za included)", () => {
    for (const marketplace of marketplaces) expect(siteMarketplace(marketplace.name), marketplace.name).toBe(marketplace.id)
  })

  it("serves their orders with the site name and currency of each, and EU order ids", async () => {
    const ids = added.map(([id]) => id).join(",")
    const pages = await getAll(client, token, `MarketplaceIds=${ids}&CreatedAfter=${isoAgo(400 * DAY)}&MaxResultsPerPage=100`, ids)
    const orders = pages.flat()
    expect(orders.length).toBeGreaterThan(100)
    for (const [id, name, currency] of added) {
      const some = orders.filter((o) => o.MarketplaceId === id)
      expect(some.length, name).toBeGreaterThan(0)
      expect(new Set(some.map((o) => o.SalesChannel))).toEqual(new Set([name]))
      expect(new Set(some.filter((o) => o.OrderTotal).map((o) => o.OrderTotal.CurrencyCode))).toEqual(new Set([currency]))
    }
    const euPrefixes = new Set(["202", "203", "204", "205", "206", "026", "028", "302", "303"])
    expect(orders.every((o) => euPrefixes.has(o.AmazonOrderId.slice(0, 3)))).toBe(true)
  })
})
