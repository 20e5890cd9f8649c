import { OrdersApi } from "@sp-api-sdk/orders-api-v0"
import axios from "axios"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, DAY, seller, start } from "./support.js"

describe("a third-party client (@sp-api-sdk/orders-api-v0)", () => {
  let client: Client
  beforeAll(async () => {
    client = await start({ timeFactor: 3600,
        accessTokenLifetimeSeconds: 3600 * 3600, sellers: [seller("sdk", 1500)] })
  })
  afterAll(() => client.simulator.close())

  it("lists every order of a seller through pagination and gets the ground truth", async () => {
    const accessToken = await client.token("Atzr|sdk")
    const http = axios.create({ headers: { "x-amz-access-token": accessToken } })
    const api = new OrdersApi(undefined, client.simulator.url, http)
    const createdAfter = new Date(Date.now() - 365 * DAY).toISOString()
    const marketplaceIds = ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
    const ids: Array<string> = []
    let nextToken: string | undefined
    let createdBefore: string | undefined
    let pages = 0
    do {
      const { data } = await api.getOrders(nextToken ? { marketplaceIds, nextToken } : { marketplaceIds, createdAfter })
      ids.push(...data.payload!.Orders.map((order) => order.AmazonOrderId))
      createdBefore ??= data.payload!.CreatedBefore
      nextToken = data.payload!.NextToken
      pages++
    } while (nextToken)

    const truth = client.simulator.groundTruth("sdk", { createdAfter: new Date(createdAfter), createdBefore: new Date(createdBefore!) })
    expect(pages).toBeGreaterThan(3)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual(truth.map((order) => order.orderId))
  })
})
