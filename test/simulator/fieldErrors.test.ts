import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { documentedErrors } from "../../src/Simulator/FieldErrors.js"
import { type Client, DAY, isoAgo, seller, start } from "./support.js"

const search = "/orders/2026-01-01/orders"
const v0 = "/orders/v0/orders"
const GENERIC = "The input you have submitted is not valid. Please check your input and try again."
const UNDECODABLE = "We could not decode your NextToken. Possible reasons include: a transmission error, improper quoting or a truncation problem."
const DENIED = { code: "Unauthorized", message: "Access to requested resource is denied.", details: "" }

const sellers = [
  seller("field", 300),
  seller("field-expiry", 300, { faults: { pageTokenLifetimeSeconds: 0.001 } }),
  seller("no-reports", 300, { roles: ["orders"] }),
  seller("no-orders", 300, { roles: ["reports"] })
]
const plans = { searchOrders: { rate: 100, burst: 100 }, getOrders: { rate: 100, burst: 100 }, createReport: { rate: 100, burst: 100 }, getReports: { rate: 100, burst: 100 } }

/** The two refusals of a page token: one that expired, one that never was (garbage). */
const tokenRefusals = async (client: Client) => {
  const token = await client.token("Atzr|field-expiry")
  const after = isoAgo(400 * DAY)
  const first = await client.get(`${search}?createdAfter=${after}&maxResultsPerPage=5`, token)
  await new Promise((resolve) => setTimeout(resolve, 20))
  const expired2026 = await client.get(`${search}?createdAfter=${after}&paginationToken=${encodeURIComponent(first.body.pagination.nextToken)}`, token)
  const firstV0 = await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${after}&MaxResultsPerPage=5`, token)
  // The tokens live a millisecond: a loaded machine could still use one within it.
  await new Promise((resolve) => setTimeout(resolve, 20))
  const expiredV0 = await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER&NextToken=${encodeURIComponent(firstV0.body.payload.NextToken)}`, token)
  const garbage2026 = await client.get(`${search}?createdAfter=${after}&paginationToken=garbage`, token)
  const garbageV0 = await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER&NextToken=AAAA`, token)
  for (const reply of [expired2026, expiredV0, garbage2026, garbageV0]) expect(reply.status).toBe(400)
  return { expired2026, expiredV0, garbage2026, garbageV0 }
}

const tooRecent = async (client: Client) => {
  const token = await client.token("Atzr|field")
  const replies = [
    await client.get(`${search}?lastUpdatedAfter=${isoAgo(DAY)}&lastUpdatedBefore=${isoAgo(60_000)}`, token),
    await client.get(`${v0}?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${isoAgo(DAY)}&CreatedBefore=${isoAgo(1000)}`, token)
  ]
  for (const reply of replies) expect(reply.status).toBe(400)
  return replies.map((reply) => reply.body.errors[0])
}

describe("error answers as the field reports them (the default)", () => {
  let client: Client
  beforeAll(async () => {
    client = await start({ timeFactor: 1, usagePlans: plans, sellers })
  })
  afterAll(() => client.simulator.close())

  it("refuses a *Before within two minutes with Amazon's generic 400 and empty details, in both versions", async () => {
    for (const error of await tooRecent(client)) expect(error).toEqual({ code: "InvalidInput", message: GENERIC, details: "" })
  })

  it("refuses an expired v0 NextToken with a null message and no details; the others in Amazon's undecodable words", async () => {
    const { expired2026, expiredV0, garbage2026, garbageV0 } = await tokenRefusals(client)
    expect(JSON.parse(expiredV0.text)).toEqual({ errors: [{ message: null, code: "InvalidInput" }] })
    for (const reply of [expired2026, garbage2026, garbageV0]) {
      expect(reply.body.errors).toEqual([{ code: "InvalidInput", message: UNDECODABLE, details: "" }])
    }
    expect(client.simulator.stats("field-expiry").rejected.expiredPageTokens).toBe(2)
  })

  it("denies the Reports API to a seller without the reports role, with the empty-details 403, and serves its orders", async () => {
    const token = await client.token("Atzr|no-reports")
    const create = await fetch(`${client.simulator.url}/reports/2021-06-30/reports`, {
      method: "POST",
      headers: { "x-amz-access-token": token, "content-type": "application/json" },
      body: JSON.stringify({ reportType: "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", marketplaceIds: ["ATVPDKIKX0DER"] })
    })
    expect(create.status).toBe(403)
    expect(await create.json()).toEqual({ errors: [DENIED] })
    expect(create.headers.get("x-amzn-ratelimit-limit")).toBeNull()
    const list = await client.get("/reports/2021-06-30/reports?reportTypes=GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", token)
    expect([list.status, list.body]).toEqual([403, { errors: [DENIED] }])
    expect((await client.get(`${search}?createdAfter=${isoAgo(DAY)}`, token)).status).toBe(200)
    expect(client.simulator.stats("no-reports").requests["createReport"]?.["403"]).toBe(1)
  })

  it("denies the Orders API to a seller without the orders role, and serves its reports", async () => {
    const token = await client.token("Atzr|no-orders")
    for (const path of [`${search}?createdAfter=${isoAgo(DAY)}`, `${v0}?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${isoAgo(DAY)}`]) {
      const reply = await client.get(path, token)
      expect([reply.status, reply.body]).toEqual([403, { errors: [DENIED] }])
    }
    expect((await client.get("/reports/2021-06-30/reports?reportTypes=GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", token)).status).toBe(200)
  })
})

describe("error answers as the models and docs read them (fieldErrors all false)", () => {
  let client: Client
  beforeAll(async () => {
    client = await start({ timeFactor: 1, usagePlans: plans, sellers, fieldErrors: documentedErrors })
  })
  afterAll(() => client.simulator.close())

  it("names the two-minute rule", async () => {
    for (const error of await tooRecent(client)) expect(error.details).toMatch(/must be at least two minutes before the time of the request/)
  })

  it("says an expired token has expired, with a string message in v0 too", async () => {
    const { expired2026, expiredV0, garbage2026 } = await tokenRefusals(client)
    for (const reply of [expired2026, expiredV0]) expect(reply.body.errors[0].message).toBe("The NextToken you provided has expired.")
    expect(garbage2026.body.errors[0].details).toMatch(/malformed or altered/)
  })
})
