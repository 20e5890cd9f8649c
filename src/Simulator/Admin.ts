import type { IncomingMessage, ServerResponse } from "node:http"
import { errorBody, readBody, sendJson } from "./Respond.js"
import type { GroundTruthOptions, SimulatorHandle } from "./Server.js"

/**
 * The admin plane under /_simulator/: ground truth, statistics and controls over HTTP for
 * other processes. The daemon never calls it.
 */
export const handleAdmin = async (
  simulator: SimulatorHandle,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  requestId: string
): Promise<void> => {
  const headers = { "x-amzn-RequestId": requestId }
  const reply = (status: number, body: unknown) => sendJson(res, status, body, headers)
  const fail = (status: number, code: string, message: string) => reply(status, errorBody({ code, message }))
  const path = url.pathname.slice("/_simulator".length)
  const method = req.method ?? "GET"

  const knownSeller = (sellerId: string): boolean => simulator.sellers().some((seller) => seller.sellerId === sellerId)

  if (method === "GET" && path === "/sellers") return reply(200, { sellers: simulator.sellers() })
  if (method === "GET" && path === "/stats") return reply(200, { sellers: simulator.stats() })
  if (method === "POST" && path === "/stats/reset") {
    simulator.resetStats()
    return reply(200, { reset: true })
  }

  const match = /^\/sellers\/([^/]+)\/(ground-truth|stats|revoke|faults|reports|reports\/force)$/.exec(path)
  if (!match) return fail(404, "NotFound", `No admin route ${method} ${url.pathname}`)
  const sellerId = decodeURIComponent(match[1]!)
  if (!knownSeller(sellerId)) return fail(404, "NotFound", `Unknown seller ${sellerId}`)
  const action = `${method} ${match[2]}`

  switch (action) {
    case "GET ground-truth": {
      const options: { -readonly [K in keyof GroundTruthOptions]: GroundTruthOptions[K] } = {}
      for (const name of ["createdAfter", "createdBefore", "asOf"] as const) {
        const raw = url.searchParams.get(name)
        if (raw === null) continue
        const date = new Date(raw)
        if (Number.isNaN(date.getTime())) return fail(400, "InvalidInput", `${name} is not a valid date: ${raw}`)
        options[name] = date
      }
      const items = url.searchParams.get("items")
      if (items !== null && items !== "true" && items !== "false") return fail(400, "InvalidInput", `items must be true or false: ${items}`)
      if (items === "false") options.items = false
      const orders = simulator.groundTruth(sellerId, options)
      return reply(200, { sellerId, count: orders.length, orders })
    }
    case "GET stats":
      return reply(200, simulator.stats(sellerId))
    case "POST revoke": {
      const seller = simulator.sellers().find((seller) => seller.sellerId === sellerId)!
      return reply(200, { revoked: simulator.revokeRefreshToken(seller.refreshToken) })
    }
    case "PUT faults": {
      let faults: unknown
      try {
        faults = JSON.parse(await readBody(req))
        simulator.setFaults(sellerId, faults as Parameters<SimulatorHandle["setFaults"]>[1])
      } catch (error) {
        return fail(400, "InvalidInput", `Invalid faults: ${String(error)}`)
      }
      return reply(200, { sellerId, faults })
    }
    case "GET reports":
      return reply(200, { sellerId, reports: simulator.reports.list(sellerId) })
    case "POST reports/force": {
      // Body: {"fate": "fatal" | "stuck", "count": 1}
      let request: { fate?: unknown; count?: unknown }
      try {
        request = JSON.parse(await readBody(req)) as typeof request
      } catch (error) {
        return fail(400, "InvalidInput", `Invalid body: ${String(error)}`)
      }
      const count = request.count ?? 1
      if ((request.fate !== "fatal" && request.fate !== "stuck") || typeof count !== "number" || !Number.isInteger(count) || count < 1) {
        return fail(400, "InvalidInput", `Expected {"fate": "fatal" | "stuck", "count": positive integer}`)
      }
      simulator.reports.forceNext(sellerId, request.fate, count)
      return reply(200, { sellerId, fate: request.fate, count })
    }
    default:
      return fail(405, "MethodNotAllowed", `${method} is not allowed on ${url.pathname}`)
  }
}
