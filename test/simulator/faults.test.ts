import { request } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, DAY, eventually, isoAgo, seller, start } from "./support.js"

const rawGet = (url: string, token: string): Promise<{ status: number; body: string } | { error: string }> =>
  new Promise((resolve) => {
    const req = request(url, { headers: { "x-amz-access-token": token } }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => (body += chunk))
      res.on("end", () => resolve({ status: res.statusCode!, body }))
      res.on("error", (error) => resolve({ error: error.message }))
    })
    req.on("error", (error) => resolve({ error: error.message }))
    req.end()
  })

describe("fault injection", () => {
  let client: Client
  beforeAll(async () => {
    client = await start({
      timeFactor: 100,
      usagePlans: { searchOrders: { rate: 10, burst: 1000 } },
      sellers: [seller("faulty", 300), seller("healthy", 300)]
    })
  })
  afterAll(() => client.simulator.close())

  const path = `/orders/2026-01-01/orders?createdAfter=${isoAgo(30 * DAY)}&maxResultsPerPage=5`

  it("is off by default", async () => {
    const token = await client.token("Atzr|healthy")
    for (let n = 0; n < 20; n++) expect((await client.get(path, token)).status).toBe(200)
    expect(Object.values(client.simulator.stats("healthy").faults).every((count) => count === 0)).toBe(true)
  })

  it("injects and counts 429, 500, 503, cut-off and malformed answers", async () => {
    const token = await client.token("Atzr|faulty")
    client.simulator.setFaults("faulty", {
      extra429Probability: 0.15,
      error500Probability: 0.15,
      error503Probability: 0.15,
      truncatedBodyProbability: 0.15,
      malformedJsonProbability: 0.15
    })
    const seen = { 200: 0, 429: 0, 500: 0, 503: 0, truncated: 0, malformed: 0 }
    for (let n = 0; n < 200; n++) {
      const reply = await rawGet(`${client.simulator.url}${path}`, token)
      if ("error" in reply) seen.truncated++
      else if (reply.status === 200) {
        try {
          JSON.parse(reply.body)
          seen[200]++
        } catch {
          seen.malformed++
        }
      } else {
        seen[reply.status as 429 | 500 | 503]++
        expect(JSON.parse(reply.body).errors[0].code).toBe({ 429: "QuotaExceeded", 500: "InternalFailure", 503: "ServiceUnavailable" }[reply.status as 429])
      }
    }
    const { faults, throttled } = client.simulator.stats("faulty")
    expect(faults.extra429).toBe(seen[429])
    expect(throttled.injected).toBe(seen[429])
    expect(faults.error500).toBe(seen[500])
    expect(faults.error503).toBe(seen[503])
    expect(faults.truncatedBody).toBe(seen.truncated)
    expect(faults.malformedJson).toBe(seen.malformed)
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(0)
  })

  it("holds hung and slow answers open, counts them in flight, and close() ends them", async () => {
    const token = await client.token("Atzr|faulty")
    client.simulator.setFaults("faulty", { hangProbability: 1 })
    client.simulator.resetStats()
    const hung = Array.from({ length: 3 }, () => rawGet(`${client.simulator.url}${path}`, token))
    await eventually(() => (client.simulator.stats("faulty").inFlight === 3 ? true : undefined))
    expect(client.simulator.stats("faulty").faults.hang).toBe(3)
    expect(client.simulator.stats("faulty").peakInFlight).toBe(3)

    client.simulator.setFaults("faulty", { slowResponseMs: 200 })
    const started = Date.now()
    const slow = await rawGet(`${client.simulator.url}${path}`, token)
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect("status" in slow && slow.status).toBe(200)
    expect(client.simulator.stats("faulty").faults.slowResponse).toBe(1)

    await client.simulator.close()
    for (const result of await Promise.all(hung)) expect(result).toHaveProperty("error")
  })
})

describe("admin plane", () => {
  let client: Client
  beforeAll(async () => {
    client = await start({ timeFactor: 100, sellers: [seller("admin", 200)] })
  })
  afterAll(() => client.simulator.close())

  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${client.simulator.url}/_simulator${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
    })
    return { status: response.status, body: (await response.json()) as any }
  }

  it("serves sellers, ground truth, stats, reset, faults and revocation over HTTP", async () => {
    expect((await admin("GET", "/sellers")).body.sellers[0]).toMatchObject({ sellerId: "admin", refreshToken: "Atzr|admin", orders: 200 })
    const after = new Date(Date.now() - 100 * DAY).toISOString()
    const truth = await admin("GET", `/sellers/admin/ground-truth?createdAfter=${after}`)
    expect(truth.body.orders).toEqual(client.simulator.groundTruth("admin", { createdAfter: new Date(after) }))
    const token = await client.token("Atzr|admin")
    await client.get(`/orders/2026-01-01/orders?createdAfter=${after}`, token)
    expect((await admin("GET", "/sellers/admin/stats")).body.requests.searchOrders).toEqual({ 200: 1 })
    expect((await admin("GET", "/stats")).body.sellers).toHaveLength(1)
    await admin("POST", "/stats/reset")
    expect((await admin("GET", "/sellers/admin/stats")).body.totalRequests).toBe(0)
    expect((await admin("PUT", "/sellers/admin/faults", { error500Probability: 1 })).status).toBe(200)
    expect((await client.get(`/orders/2026-01-01/orders?createdAfter=${after}`, token)).status).toBe(500)
    expect((await admin("PUT", "/sellers/admin/faults", { error500Probability: 7 })).status).toBe(400)
    expect((await admin("POST", "/sellers/admin/revoke")).body).toEqual({ revoked: true })
    expect((await client.get(`/orders/2026-01-01/orders?createdAfter=${after}`, token)).status).toBe(403)
    expect((await admin("GET", "/sellers/nobody/stats")).status).toBe(404)
  })
})
