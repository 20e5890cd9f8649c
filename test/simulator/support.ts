import { expect } from "vitest"
import type { SimulatorConfigInput } from "../../src/Simulator/Config.js"
import { startSimulator, type SimulatorHandle } from "../../src/Simulator/Server.js"

export const clientId = "ordersync-demo-client"
export const clientSecret = "ordersync-demo-secret"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly body: any
  readonly text: string
}

/** The Orders API operations, named as in the models. */
export type Operation = "searchOrders" | "getOrder" | "getOrders" | "getOrderV0" | "getOrderItems"

/** Sees every JSON answer of an Orders API operation (the fidelity suite checks them against Amazon's models). */
export type AnswerCheck = (operation: Operation, status: number, body: unknown) => void

export const operationOf = (pathname: string): Operation | undefined =>
  pathname === "/orders/2026-01-01/orders" ? "searchOrders" :
  pathname === "/orders/v0/orders" ? "getOrders" :
  pathname.startsWith("/orders/2026-01-01/orders/") ? "getOrder" :
  /^\/orders\/v0\/orders\/[^/]+\/orderItems$/.test(pathname) ? "getOrderItems" :
  pathname.startsWith("/orders/v0/orders/") ? "getOrderV0" :
  undefined

export interface Client {
  readonly simulator: SimulatorHandle
  readonly token: (refreshToken: string) => Promise<string>
  /** GET an SP-API path; a JSON body of an Orders operation goes through the connection's check, if any. */
  readonly get: (pathAndQuery: string, accessToken: string | undefined) => Promise<Reply>
  readonly post: (pathname: string, body: string, contentType: string) => Promise<Reply>
}

export const connect = (simulator: SimulatorHandle, check?: AnswerCheck): Client => {
  const send = async (pathAndQuery: string, init: RequestInit): Promise<Reply> => {
    const response = await fetch(`${simulator.url}${pathAndQuery}`, init)
    const text = await response.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    const operation = operationOf(new URL(pathAndQuery, simulator.url).pathname)
    if (check && operation && body !== undefined) check(operation, response.status, body)
    return { status: response.status, headers: response.headers, body, text }
  }
  return {
    simulator,
    token: async (refreshToken) => {
      const reply = await send("/auth/o2/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId, client_secret: clientSecret }).toString()
      })
      expect(reply.status).toBe(200)
      return reply.body.access_token as string
    },
    get: (pathAndQuery, accessToken) =>
      send(pathAndQuery, { headers: accessToken === undefined ? {} : { "x-amz-access-token": accessToken } }),
    post: (pathname, body, contentType) => send(pathname, { method: "POST", headers: { "content-type": contentType }, body })
  }
}

export const start = async (config: SimulatorConfigInput, check?: AnswerCheck): Promise<Client> =>
  connect(await startSimulator(config), check)

export const seller = (sellerId: string, orders: number, extra: Record<string, unknown> = {}) => ({
  sellerId,
  refreshToken: `Atzr|${sellerId}`,
  marketplaceIds: ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"] as const,
  orders,
  seed: 7,
  ...extra
})

export const isoAgo = (ms: number): string => new Date(Date.now() - ms).toISOString()

export const DAY = 86_400_000

/** Polls until `check` returns a value, or fails at the deadline. */
export const eventually = async <A>(check: () => Promise<A | undefined> | A | undefined, timeoutMs = 10_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error("condition not met before the deadline")
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Follows pagination of searchOrders to the end. */
export const searchAll = async (client: Client, accessToken: string, query: string): Promise<{ orders: Array<any>; pages: number; before: string }> => {
  const orders: Array<any> = []
  let pages = 0
  let token: string | undefined
  let before = ""
  do {
    const reply = await client.get(`/orders/2026-01-01/orders?${query}${token ? `&paginationToken=${encodeURIComponent(token)}` : ""}`, accessToken)
    expect(reply.status, reply.text).toBe(200)
    orders.push(...reply.body.orders)
    before = reply.body.createdBefore ?? reply.body.lastUpdatedBefore
    token = reply.body.pagination?.nextToken
    pages++
  } while (token)
  return { orders, pages, before }
}
