import { decode2026 } from "../src/Domain/AmazonOrders.js"
import type { Order } from "../src/Domain/Order.js"
import type { SimulatorHandle } from "../src/Simulator/index.js"

/**
 * A model of the original system's client: requests fired back to back, no pacing; a 429 waits a fixed 5 Amazon
 * seconds (5 s ÷ the time factor) and tries again. Plain fetch, no Effect, no bucket.
 */
export interface NaiveSeller {
  readonly refreshToken: string
  readonly marketplaceIds: ReadonlyArray<string>
}

export interface NaivePage {
  readonly orders: ReadonlyArray<Order>
  readonly quarantined: number
}

export interface NaiveCounters {
  requests: number
  throttled: number
  failed: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const makeNaiveClient = (simulator: SimulatorHandle, seller: NaiveSeller, throttleWaitAmazonSeconds = 5) => {
  const waitMs = (throttleWaitAmazonSeconds * 1000) / simulator.config.timeFactor
  const counters: NaiveCounters = { requests: 0, throttled: 0, failed: 0 }
  let accessToken: string | undefined

  const login = async () => {
    const response = await fetch(`${simulator.url}/auth/o2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: seller.refreshToken,
        client_id: simulator.config.clientId,
        client_secret: simulator.config.clientSecret
      })
    })
    const body = (await response.json()) as { access_token: string }
    accessToken = body.access_token
  }

  /** Every page of orders created in [after, before), oldest first. */
  async function* pages(after: Date, before: Date): AsyncGenerator<NaivePage> {
    let token: string | undefined
    while (true) {
      if (accessToken === undefined) await login()
      const url = new URL(`${simulator.url}/orders/2026-01-01/orders`)
      url.searchParams.set("createdAfter", after.toISOString())
      url.searchParams.set("createdBefore", before.toISOString())
      url.searchParams.set("marketplaceIds", seller.marketplaceIds.join(","))
      url.searchParams.set("maxResultsPerPage", "100")
      url.searchParams.set("includedData", "FULFILLMENT,PROCEEDS")
      if (token !== undefined) url.searchParams.set("paginationToken", token)
      counters.requests++
      let response: Response
      let text: string
      try {
        response = await fetch(url, { headers: { "x-amz-access-token": accessToken!, accept: "application/json" } })
        text = await response.text()
      } catch {
        counters.failed++
        await sleep(waitMs)
        continue
      }
      if (response.status === 429) {
        counters.throttled++
        await sleep(waitMs)
        continue
      }
      if (response.status === 403) {
        accessToken = undefined
        continue
      }
      if (response.status !== 200) {
        counters.failed++
        await sleep(waitMs)
        continue
      }
      const body = JSON.parse(text) as { orders: ReadonlyArray<unknown>; pagination?: { nextToken?: string } }
      const orders: Array<Order> = []
      let quarantined = 0
      for (const raw of body.orders) {
        const decoded = decode2026(raw)
        if (decoded._tag === "Order") orders.push(decoded.order)
        else quarantined++
      }
      yield { orders, quarantined }
      token = body.pagination?.nextToken
      if (token === undefined) return
    }
  }

  return { pages, counters }
}
