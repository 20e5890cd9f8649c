import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, clientId, clientSecret, DAY, eventually, isoAgo, seller, start } from "./support.js"

describe("Login with Amazon and access tokens", () => {
  let client: Client
  beforeAll(async () => {
    client = await start({
      timeFactor: 1,
      sellers: [seller("a", 50), seller("b", 50), seller("early", 50, { faults: { accessTokenLifetimeSeconds: 0.05 } })]
    })
  })
  afterAll(() => client.simulator.close())

  const listing = `/orders/2026-01-01/orders?createdAfter=${isoAgo(DAY)}`

  it("accepts form-encoded and JSON token requests", async () => {
    const fields = { grant_type: "refresh_token", refresh_token: "Atzr|a", client_id: clientId, client_secret: clientSecret }
    const form = await client.post("/auth/o2/token", new URLSearchParams(fields).toString(), "application/x-www-form-urlencoded")
    const json = await client.post("/auth/o2/token", JSON.stringify(fields), "application/json")
    for (const reply of [form, json]) {
      expect(reply.status).toBe(200)
      expect(reply.body).toMatchObject({ token_type: "bearer", expires_in: 3600, refresh_token: "Atzr|a" })
      expect(reply.body.access_token).toMatch(/^Atza\|/)
    }
  })

  it("rejects a wrong client with invalid_client and an unknown refresh token with invalid_grant", async () => {
    const wrongClient = await client.post("/auth/o2/token", new URLSearchParams({ grant_type: "refresh_token", refresh_token: "Atzr|a", client_id: clientId, client_secret: "nope" }).toString(), "application/x-www-form-urlencoded")
    expect(wrongClient.status).toBe(401)
    expect(wrongClient.body.error).toBe("invalid_client")
    const unknown = await client.post("/auth/o2/token", JSON.stringify({ grant_type: "refresh_token", refresh_token: "Atzr|nobody", client_id: clientId, client_secret: clientSecret }), "application/json")
    expect(unknown.status).toBe(400)
    expect(unknown.body).toMatchObject({ error: "invalid_grant" })
    expect(typeof unknown.body.error_description).toBe("string")
  })

  it("answers 403 Unauthorized to a missing or invalid access token", async () => {
    const missing = await client.get(listing, undefined)
    expect(missing.status).toBe(403)
    expect(missing.body.errors[0]).toMatchObject({ code: "Unauthorized", message: "Access to requested resource is denied." })
    expect(missing.body.errors[0].details).toMatch(/missing/)
    const invalid = await client.get(listing, "Atza|forged")
    expect(invalid.status).toBe(403)
    expect(invalid.body.errors[0].details).toBe("The access token you provided is revoked, malformed or invalid.")
    expect(invalid.headers.get("x-amzn-ratelimit-limit")).toBeNull()
    expect(invalid.headers.get("x-amzn-requestid")).toBeTruthy()
  })

  it("answers 403 'expired' once an access token outlives its lifetime", async () => {
    const token = await client.token("Atzr|early")
    const reply = await eventually(async () => {
      const reply = await client.get(listing, token)
      return reply.status === 403 ? reply : undefined
    })
    expect(reply.body.errors[0].details).toBe("The access token you provided has expired.")
    expect(client.simulator.stats("early").rejected.expiredAccessTokens).toBeGreaterThan(0)
  })

  it("revokes a refresh token and every access token issued from it", async () => {
    const token = await client.token("Atzr|b")
    expect((await client.get(listing, token)).status).toBe(200)
    expect(client.simulator.revokeRefreshToken("Atzr|b")).toBe(true)
    const denied = await client.get(listing, token)
    expect(denied.status).toBe(403)
    expect(denied.body.errors[0].details).toMatch(/revoked, malformed or invalid/)
    const refresh = await client.post("/auth/o2/token", new URLSearchParams({ grant_type: "refresh_token", refresh_token: "Atzr|b", client_id: clientId, client_secret: clientSecret }).toString(), "application/x-www-form-urlencoded")
    expect(refresh.status).toBe(400)
    expect(refresh.body.error).toBe("invalid_grant")
  })
})
