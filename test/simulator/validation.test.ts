import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, DAY, isoAgo, seller, start } from "./support.js"

const search = "/orders/2026-01-01/orders"
const v0 = "/orders/v0/orders"

describe("request validation (400 InvalidInput)", () => {
  let client: Client
  let token: string
  beforeAll(async () => {
    client = await start({ timeFactor: 1, usagePlans: { searchOrders: { rate: 100, burst: 100 }, getOrders: { rate: 100, burst: 100 } }, sellers: [seller("v", 300), seller("expiry", 300, { faults: { pageTokenLifetimeSeconds: 0.001 } })] })
    token = await client.token("Atzr|v")
  })
  afterAll(() => client.simulator.close())

  const expectInvalid = async (pathAndQuery: string, detail: RegExp, accessToken = token) => {
    const reply = await client.get(pathAndQuery, accessToken)
    expect(reply.status, reply.text).toBe(400)
    expect(reply.body.errors[0].code).toBe("InvalidInput")
    expect(`${reply.body.errors[0].message} ${reply.body.errors[0].details}`).toMatch(detail)
    expect(reply.headers.get("x-amzn-ratelimit-limit")).not.toBeNull()
  }

  it("rejects mixing the created and lastUpdated families", () =>
    expectInvalid(`${search}?createdAfter=${isoAgo(DAY)}&lastUpdatedBefore=${isoAgo(DAY / 2)}`, /cannot be combined/))

  it("rejects a request without any After date", async () => {
    await expectInvalid(search, /Exactly one of createdAfter and lastUpdatedAfter/)
    await expectInvalid(`${v0}?MarketplaceIds=ATVPDKIKX0DER`, /CreatedAfter and LastUpdatedAfter/)
  })

  it("rejects After later than Before", () =>
    expectInvalid(`${search}?createdAfter=${isoAgo(DAY)}&createdBefore=${isoAgo(2 * DAY)}`, /must be equal to or after createdAfter/))

  it("applies the two-minute rule to Before", async () => {
    // In Amazon's generic words, as the field quotes them (FieldErrors.genericTwoMinuteRule; test/simulator/fieldErrors.test.ts).
    await expectInvalid(`${search}?lastUpdatedAfter=${isoAgo(DAY)}&lastUpdatedBefore=${isoAgo(60_000)}`, /input you have submitted is not valid/)
    await expectInvalid(`${v0}?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${isoAgo(DAY)}&CreatedBefore=${isoAgo(1000)}`, /input you have submitted is not valid/)
    const ok = await client.get(`${search}?createdAfter=${isoAgo(DAY)}&createdBefore=${isoAgo(180_000)}`, token)
    expect(ok.status).toBe(200)
  })

  it("accepts ISO 8601 only", async () => {
    await expectInvalid(`${search}?createdAfter=yesterday`, /not a valid ISO 8601/)
    await expectInvalid(`${search}?createdAfter=2025-13-45T00:00:00Z`, /not a valid ISO 8601/)
    await expectInvalid(`${search}?createdAfter=${encodeURIComponent("Tue, 01 Jul 2025 00:00:00 GMT")}`, /not a valid ISO 8601/)
  })

  it("accepts page sizes 1 to 100 only", async () => {
    await expectInvalid(`${search}?createdAfter=${isoAgo(DAY)}&maxResultsPerPage=0`, /between 1 and 100/)
    await expectInvalid(`${search}?createdAfter=${isoAgo(DAY)}&maxResultsPerPage=101`, /between 1 and 100/)
    await expectInvalid(`${v0}?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${isoAgo(DAY)}&MaxResultsPerPage=101`, /between 1 and 100/)
  })

  it("requires MarketplaceIds in v0 and known marketplaces in both", async () => {
    await expectInvalid(`${v0}?CreatedAfter=${isoAgo(DAY)}`, /MarketplaceIds/)
    await expectInvalid(`${search}?createdAfter=${isoAgo(DAY)}&marketplaceIds=XYZ`, /marketplaceIds/)
  })

  it("requires the other parameters unchanged with a 2026 page token", async () => {
    const after = isoAgo(400 * DAY)
    const first = await client.get(`${search}?createdAfter=${after}&maxResultsPerPage=5`, token)
    const nextToken: string = first.body.pagination.nextToken
    expect(nextToken).toMatch(/\+/)
    expect(nextToken).toMatch(/\//)
    expect(nextToken).toMatch(/=$/)
    const encoded = encodeURIComponent(nextToken)
    await expectInvalid(`${search}?createdAfter=${isoAgo(300 * DAY)}&paginationToken=${encoded}`, /repeat every parameter/)
    await expectInvalid(`${search}?createdAfter=${after}&fulfilledBy=AMAZON&paginationToken=${encoded}`, /repeat every parameter/)
    const second = await client.get(`${search}?createdAfter=${after}&maxResultsPerPage=7&paginationToken=${encoded}`, token)
    expect(second.status).toBe(200)
    expect(second.body.orders).toHaveLength(7)
    expect(second.body.orders[0].createdTime >= first.body.orders[4].createdTime).toBe(true)
  })

  it("rejects garbage and unencoded tokens as undecodable", async () => {
    const after = isoAgo(400 * DAY)
    await expectInvalid(`${search}?createdAfter=${after}&paginationToken=garbage`, /could not decode your NextToken/)
    const first = await client.get(`${search}?createdAfter=${after}&maxResultsPerPage=5`, token)
    // Sent without URL-encoding, "+" arrives as a space.
    await expectInvalid(`${search}?createdAfter=${after}&paginationToken=${first.body.pagination.nextToken}`, /could not decode your NextToken/)
    await expectInvalid(`${v0}?MarketplaceIds=ATVPDKIKX0DER&NextToken=AAAA`, /could not decode your NextToken/)
  })

  it("rejects an expired page token", async () => {
    const expiryToken = await client.token("Atzr|expiry")
    const after = isoAgo(400 * DAY)
    const first = await client.get(`${search}?createdAfter=${after}&maxResultsPerPage=5`, expiryToken)
    const nextToken = encodeURIComponent(first.body.pagination.nextToken)
    // No "expired" wording is known from the field: Amazon's undecodable wording (FieldErrors.undecodableTokenWording).
    await expectInvalid(`${search}?createdAfter=${after}&paginationToken=${nextToken}`, /could not decode your NextToken/, expiryToken)
    expect(client.simulator.stats("expiry").rejected.expiredPageTokens).toBe(1)
  })
})
