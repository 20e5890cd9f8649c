import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AnswerCheck, type Client, DAY, isoAgo, searchAll, seller, start } from "../simulator/support.js"
import { checked, expectMatchesModel, modelPath, ORDERS_2026, ORDERS_V0 } from "./models.js"

/**
 * The one body the field shows Amazon sending outside the models, which the simulator serves by default: v0 getOrders
 * refusing a NextToken with `{"errors":[{"message":null,"code":"InvalidInput"}]}` (the Error schema requires a string
 * message; test/FIDELITY.md rows 12 and 35). It is allowed in exactly that shape, and everything else of it must still
 * match the model with the message a string; every other body must match as it is.
 */
const NULL_MESSAGE = JSON.stringify({ errors: [{ message: null, code: "InvalidInput" }] })
const deviations = { count: 0 }
const expectModelOrFieldDeviation: AnswerCheck = (operation, status, body) => {
  if (operation === "getOrders" && status === 400 && JSON.stringify(body) === NULL_MESSAGE) {
    deviations.count++
    return expectMatchesModel(operation, status, { errors: [{ message: "", code: "InvalidInput" }] })
  }
  expectMatchesModel(operation, status, body)
}

const allDatasets = "BUYER,RECIPIENT,PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES,TAX,PAYMENT,FULFILLMENT_ORDERS"

describe("fidelity: answers match the official SP-API models", () => {
  // The models are not in the repository (SPAPI_MODELS_DIR): a missing one is a failure, not a skip.
  it("has the official models", () => {
    expect(modelPath(ORDERS_2026)).toMatch(/orders_2026-01-01\.json$/)
    expect(modelPath(ORDERS_V0)).toMatch(/ordersV0\.json$/)
  })
  let client: Client
  let token: string
  beforeAll(async () => {
    client = await start({
      timeFactor: 3600,
      accessTokenLifetimeSeconds: 3600 * 3600,
      sellers: [
        seller("fidelity", 400, { marketplaceIds: ["A1F83G8C2ARO7P", "A1PA6795UKMFR9", "A1VC38T7YXB528"] }),
        seller("faulty", 50, { usagePlans: { searchOrders: { rate: 100, burst: 1000 }, getOrders: { rate: 100, burst: 1000 } } }),
        seller("no-orders-role", 50, { roles: ["reports"] }),
        seller("items-vcs", 20_000, {
          marketplaceIds: ["A1PA6795UKMFR9", "A13V1IB3VIYZZH", "A1F83G8C2ARO7P", "ATVPDKIKX0DER"],
          vatCalculationService: true,
          usagePlans: { getOrderItems: { rate: 1000, burst: 1000 } }
        })
      ]
    }, expectModelOrFieldDeviation)
    token = await client.token("Atzr|fidelity")
  })
  afterAll(() => client.simulator.close())

  it("rejects a body that does not match (the check is live)", () => {
    expect(() => expectMatchesModel("searchOrders", 200, { orders: [{ orderId: 1 }] })).toThrow(/body matches the model/)
    expect(() => expectMatchesModel("getOrders", 200, { payload: { Orders: [{ AmazonOrderId: "x" }] } })).toThrow(/body matches the model/)
    expect(() => expectMatchesModel("getOrderItems", 200, { payload: { AmazonOrderId: "x", OrderItems: [{ ASIN: "B0" }] } })).toThrow(/body matches the model/)
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

  it("validates the shapes ordersync asks for (FULFILLMENT,PROCEEDS) and every dataset at once", async () => {
    const before = checked.count
    const asked = await searchAll(client, token, `createdAfter=${isoAgo(800 * DAY)}&includedData=FULFILLMENT,PROCEEDS`)
    expect(asked.orders.every((order) => order.fulfillment !== undefined)).toBe(true)
    expect(asked.orders.some((order) => order.proceeds !== undefined)).toBe(true)
    const all = await searchAll(client, token, `lastUpdatedAfter=${isoAgo(800 * DAY)}&includedData=${allDatasets}`)
    expect(all.orders.length).toBeGreaterThan(0)
    const v0 = await client.get(`/orders/v0/orders?MarketplaceIds=A1F83G8C2ARO7P,A1PA6795UKMFR9&LastUpdatedAfter=${isoAgo(800 * DAY)}`, token)
    expect(v0.status).toBe(200)
    expect(checked.count - before).toBeGreaterThan(asked.pages + all.pages)
  })

  it("validates getOrderItems (v0): priced, Pending, cancelled, gift-wrapped, VAT Calculation Service, 404 and a NextToken", async () => {
    const before = checked.count
    const vcs = await client.token("Atzr|items-vcs")
    const truth = client.simulator.groundTruth("items-vcs", { createdAfter: new Date(Date.now() - 30 * DAY) })
    // Every status there is, and every marketplace, a few orders each.
    const picked = new Map<string, number>()
    const orders = truth.filter((order) => {
      const key = `${order.status}|${order.marketplaceId}`
      const seen = picked.get(key) ?? 0
      picked.set(key, seen + 1)
      return seen < 4 || order.items.some((item) => item.giftWrapPrice !== null && item.giftWrapPrice !== "0.00")
    }).slice(0, 300)
    expect(new Set(orders.map((order) => order.status))).toEqual(new Set(["PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED"]))
    for (const order of orders) {
      const reply = await client.get(`/orders/v0/orders/${order.orderId}/orderItems`, vcs)
      expect(reply.status, reply.text).toBe(200)
      expect(reply.body.payload.OrderItems).toHaveLength(order.items.length)
    }
    expect((await client.get(`/orders/v0/orders/999-0000000-0000000/orderItems`, vcs)).status).toBe(404)
    expect((await client.get(`/orders/v0/orders/${orders[0]!.orderId}/orderItems?NextToken=AAAA`, vcs)).status).toBe(400)
    expect((await client.get(`/orders/v0/orders/${orders[0]!.orderId}/orderItems`, "Atza|nope")).status).toBe(403)
    expect(checked.count - before).toBe(orders.length + 3)
  })

  it("allows the field's null message only where documented, and validates the field's other error bodies as they are", async () => {
    expect(() => expectModelOrFieldDeviation("searchOrders", 400, JSON.parse(NULL_MESSAGE))).toThrow(/body matches the model/)
    expect(() => expectModelOrFieldDeviation("getOrders", 400, { errors: [{ message: null, code: "InvalidInput", details: null }] })).toThrow(/body matches the model/)
    const before = { checked: checked.count, deviations: deviations.count }
    const after = isoAgo(400 * DAY)
    // Amazon's undecodable wording with empty details, the generic two-minute rule (a bound a minute ahead: the
    // suite runs 3600 times Amazon's speed), the missing role's 403.
    expect((await client.get(`/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&NextToken=AAAA`, token)).status).toBe(400)
    expect((await client.get(`/orders/2026-01-01/orders?createdAfter=${after}&paginationToken=garbage`, token)).status).toBe(400)
    expect((await client.get(`/orders/2026-01-01/orders?createdAfter=${isoAgo(DAY)}&createdBefore=${isoAgo(-60_000)}`, token)).status).toBe(400)
    expect((await client.get(`/orders/v0/orders?MarketplaceIds=A1F83G8C2ARO7P&CreatedAfter=${isoAgo(DAY)}&CreatedBefore=${isoAgo(-60_000)}`, token)).status).toBe(400)
    const roleless = await client.token("Atzr|no-orders-role")
    expect((await client.get(`/orders/2026-01-01/orders?createdAfter=${isoAgo(DAY)}`, roleless)).status).toBe(403)
    expect((await client.get(`/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${isoAgo(DAY)}`, roleless)).status).toBe(403)
    expect(deviations.count - before.deviations).toBe(0)
    // v0 refusing an expired NextToken: the one deviation.
    const faulty = await client.token("Atzr|faulty")
    client.simulator.setFaults("faulty", { pageTokenLifetimeSeconds: 0.001 })
    const first = await client.get(`/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${after}&MaxResultsPerPage=5`, faulty)
    expect(first.status).toBe(200)
    const expired = await client.get(`/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&NextToken=${encodeURIComponent(first.body.payload.NextToken)}`, faulty)
    client.simulator.setFaults("faulty", {})
    expect(expired.text).toBe(NULL_MESSAGE)
    expect(deviations.count - before.deviations).toBe(1)
    expect(checked.count - before.checked).toBe(8)
  })

  it("validates the error bodies of 429, 500 and 503", async () => {
    const faulty = await client.token("Atzr|faulty")
    const path = `/orders/2026-01-01/orders?createdAfter=${isoAgo(DAY)}`
    const pathV0 = `/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=${isoAgo(DAY)}`
    const pathItems = `/orders/v0/orders/${client.simulator.groundTruth("faulty")[0]!.orderId}/orderItems`
    for (const [faults, status] of [[{ extra429Probability: 1 }, 429], [{ error500Probability: 1 }, 500], [{ error503Probability: 1 }, 503]] as const) {
      client.simulator.setFaults("faulty", faults)
      expect((await client.get(path, faulty)).status).toBe(status)
      expect((await client.get(pathV0, faulty)).status).toBe(status)
      expect((await client.get(pathItems, faulty)).status).toBe(status)
    }
    client.simulator.setFaults("faulty", {})
  })
})
