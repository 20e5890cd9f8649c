import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, DAY, isoAgo, seller, start } from "./support.js"

describe("usage plans", () => {
  let client: Client
  beforeAll(async () => {
    client = await start({
      timeFactor: 20,
      usagePlans: { searchOrders: { rate: 1, burst: 5 } },
      sellers: [seller("fast", 200), seller("other", 200, { usagePlans: { searchOrders: { rate: 0.5, burst: 3 } } })]
    })
  })
  afterAll(() => client.simulator.close())

  it("lets a client that fires as fast as it can succeed at most burst + rate × elapsed times", async () => {
    const token = await client.token("Atzr|fast")
    const path = `/orders/2026-01-01/orders?createdAfter=${isoAgo(DAY)}`
    const started = Date.now()
    let successes = 0
    let throttled = 0
    const worker = async () => {
      while (Date.now() - started < 1500) {
        const reply = await client.get(path, token)
        expect(reply.headers.get("x-amzn-requestid")).toBeTruthy()
        if (reply.status === 200) {
          successes++
          expect(reply.headers.get("x-amzn-ratelimit-limit")).toBe("20")
        } else {
          expect(reply.status).toBe(429)
          expect(reply.body).toEqual({ errors: [{ code: "QuotaExceeded", message: "You exceeded your quota for the requested resource." }] })
          expect(reply.headers.get("x-amzn-ratelimit-limit")).toBeNull()
          expect(reply.headers.get("retry-after")).toBeNull()
          throttled++
        }
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    const elapsedSeconds = (Date.now() - started) / 1000
    // Rate 1/s at time factor 20 refills 20 tokens per real second.
    expect(successes).toBeLessThanOrEqual(5 + 20 * elapsedSeconds + 1)
    expect(successes).toBeGreaterThanOrEqual(5 + 20 * 1.0)
    expect(throttled).toBeGreaterThan(0)
    const stats = client.simulator.stats("fast")
    expect(stats.tokens.searchOrders!.spent).toBe(successes)
    expect(stats.tokens.searchOrders!.spent).toBeLessThanOrEqual(stats.tokens.searchOrders!.maximum + 1e-9)
    expect(stats.throttled.quota).toBe(throttled)
    expect(stats.requests.searchOrders).toEqual({ 200: successes, 429: throttled })
  })

  it("keeps buckets per seller and applies per-seller plans", async () => {
    const token = await client.token("Atzr|other")
    const path = `/orders/2026-01-01/orders?createdAfter=${isoAgo(DAY)}`
    const replies = await Promise.all(Array.from({ length: 6 }, () => client.get(path, token)))
    expect(replies.filter((reply) => reply.status === 200).length).toBeLessThanOrEqual(3 + 1)
    expect(replies.find((reply) => reply.status === 200)!.headers.get("x-amzn-ratelimit-limit")).toBe("10")
  })
})
