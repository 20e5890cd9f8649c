import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { checked, type Client, expectMatchesModel, DAY, isoAgo, modelsDir, modelsPresent, searchAll, seller, start } from "./support.js"

describe(
  "fidelity: answers match the official SP-API models",
  () => {
    // The models are in the repository (test/fixtures/sp-api); a missing one is a failure, not a skip.
    it("has the official models", () => expect(modelsPresent, `the official SP-API models are not in ${modelsDir}`).toBe(true))
    let client: Client
    let token: string
    beforeAll(async () => {
      client = await start({
        timeFactor: 3600,
        accessTokenLifetimeSeconds: 3600 * 3600,
        sellers: [seller("fidelity", 400, { marketplaceIds: ["A1F83G8C2ARO7P", "A1PA6795UKMFR9", "A1VC38T7YXB528"] })]
      })
      token = await client.token("Atzr|fidelity")
    })
    afterAll(() => client.simulator.close())

    it("rejects a body that does not match (the check is live)", () => {
      expect(() => expectMatchesModel("searchOrders", 200, { orders: [{ orderId: 1 }] })).toThrow()
      expect(() => expectMatchesModel("getOrders", 200, { payload: { Orders: [{ AmazonOrderId: "x" }] } })).toThrow()
    })

    it("validates every success and error body of both Orders APIs", async () => {
      const before = checked.count
      const { orders } = await searchAll(client, token, `createdAfter=${isoAgo(800 * DAY)}&maxResultsPerPage=50&includedData=BUYER,RECIPIENT`)
      await searchAll(client, token, `lastUpdatedAfter=${isoAgo(30 * DAY)}`)
      expect(orders.some((order) => order.proceeds === undefined)).toBe(true)
      const id = orders[orders.length - 1].orderId
      expect((await client.get(`/orders/2026-01-01/orders/${id}?includedData=BUYER`, token)).status).toBe(200)
      expect((await client.get(`/orders/v0/orders/${id}`, token)).status).toBe(200)
      expect((await client.get(`/orders/v0/orders/999-0000000-0000000`, token)).status).toBe(404)
      expect((await client.get(`/orders/2026-01-01/orders/999-0000000-0000000`, token)).status).toBe(404)
      const v0 = await client.get(`/orders/v0/orders?MarketplaceIds=A1F83G8C2ARO7P&CreatedAfter=${isoAgo(400 * DAY)}`, token)
      expect(v0.status).toBe(200)
      expect(v0.body.payload.Orders.length).toBeGreaterThan(0)
      expect((await client.get(`/orders/v0/orders?CreatedAfter=${isoAgo(DAY)}`, token)).status).toBe(400)
      expect((await client.get(`/orders/2026-01-01/orders?maxResultsPerPage=0&createdAfter=${isoAgo(DAY)}`, token)).status).toBe(400)
      expect((await client.get(`/orders/2026-01-01/orders?createdAfter=${isoAgo(DAY)}`, "Atza|nope")).status).toBe(403)
      expect((await client.get(`/orders/v0/orders?MarketplaceIds=A1F83G8C2ARO7P&CreatedAfter=${isoAgo(DAY)}`, undefined)).status).toBe(403)
      expect(checked.count - before).toBeGreaterThan(15)
    })
  }
)
