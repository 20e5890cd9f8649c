import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { handleAdmin } from "./Admin.js"
import { type ApiContext, handleApi } from "./Api.js"
import {
  decodeSellerConfig,
  decodeSimulatorConfig,
  type Faults,
  type FaultsInput,
  Faults as FaultsSchema,
  type SellerConfigInput,
  type SimulatorConfig,
  type SimulatorConfigInput
} from "./Config.js"
import { type GroundTruthOrder, groundTruthPositions } from "./Listing.js"
import { makeLwa } from "./Lwa.js"
import { SECOND } from "./OrderBook.js"
import { groundTruthOrder } from "./Render.js"
import { errorBody, newRequestId, sendJson } from "./Respond.js"
import { makeReportsControl, type ReportsControl } from "./Reports/Control.js"
import { makeSellerState, type SellerState } from "./Sellers.js"
import { type SellerStats, SellerStatsRecorder } from "./Stats.js"
import { Schema } from "effect"

export interface GroundTruthOptions {
  readonly createdAfter?: Date
  readonly createdBefore?: Date
  /** Defaults to now. */
  readonly asOf?: Date
  /** False leaves each order's `items` empty (cheaper for benchmarks that count orders); defaults to true. */
  readonly items?: boolean
}

export interface SellerSummary {
  readonly sellerId: string
  readonly refreshToken: string
  readonly marketplaceIds: ReadonlyArray<string>
  readonly orders: number
  readonly anchorTime: string
}

export interface SimulatorHandle {
  /** e.g. http://127.0.0.1:4100; the LWA endpoint is `${url}/auth/o2/token`. */
  readonly url: string
  readonly config: SimulatorConfig
  readonly sellers: () => ReadonlyArray<SellerSummary>
  /** The orders a correct sync of the created window must hold at `asOf`, oldest first. */
  readonly groundTruth: (sellerId: string, options?: GroundTruthOptions) => ReadonlyArray<GroundTruthOrder>
  readonly stats: {
    (sellerId: string): SellerStats
    (): ReadonlyArray<SellerStats>
  }
  readonly resetStats: () => void
  /** Revokes a refresh token and every access token issued from it. False if unknown. */
  readonly revokeRefreshToken: (refreshToken: string) => boolean
  readonly addSeller: (seller: SellerConfigInput) => void
  readonly setFaults: (sellerId: string, faults: FaultsInput) => void
  /** Steps Amazon's clock to `seconds` ahead of the host's (negative: behind), as a clock correction would. */
  readonly setClockOffset: (seconds: number) => void
  /** Reports API ground truth and controls. */
  readonly reports: ReportsControl
  /** Stops listening and drops every open connection, hung ones included. Idempotent. */
  readonly close: () => Promise<void>
}

export class UnknownSeller extends Error {
  constructor(readonly sellerId: string) {
    super(`Unknown seller: ${sellerId}`)
  }
}

/** Starts the fake Amazon on the real wall clock, shifted by `clockOffsetSeconds`. */
export const startSimulator = async (input: SimulatorConfigInput): Promise<SimulatorHandle> => {
  const config = decodeSimulatorConfig(input)
  let offsetMs = config.clockOffsetSeconds * SECOND
  const now = () => Date.now() + offsetMs
  const lwa = makeLwa(config.clientId, config.clientSecret)
  const sellers = new Map<string, SellerState>()
  const anonymous = new SellerStatsRecorder("(unauthenticated)")
  const hung = new Set<ServerResponse>()
  const context: ApiContext = { config, lwa, sellers, anonymous, hung, now }

  const sellerOf = (sellerId: string): SellerState => {
    const seller = sellers.get(sellerId)
    if (!seller) throw new UnknownSeller(sellerId)
    return seller
  }

  const addSeller = (input: SellerConfigInput): void => {
    const seller = decodeSellerConfig(input)
    const anchorMs = Math.floor(now() / SECOND) * SECOND
    sellers.set(seller.sellerId, makeSellerState(config, seller, anchorMs))
    lwa.registerSeller(seller.sellerId, seller.refreshToken)
  }
  config.sellers.forEach((seller) => addSeller(seller))

  const statsOf = (seller: SellerState, at: number): SellerStats =>
    seller.stats.snapshot(Object.fromEntries([...seller.buckets].map(([operation, bucket]) => [operation, bucket.usage(at)])))

  function stats(sellerId: string): SellerStats
  function stats(): ReadonlyArray<SellerStats>
  function stats(sellerId?: string): SellerStats | ReadonlyArray<SellerStats> {
    const at = now()
    return sellerId === undefined ? [...sellers.values()].map((seller) => statsOf(seller, at)) : statsOf(sellerOf(sellerId), at)
  }

  let handle: SimulatorHandle | undefined
  let closing: Promise<void> | undefined
  const server = createServer((req, res) => {
    const requestId = newRequestId()
    // Amazon's clock, not the host's (node would stamp its own): clients estimate their skew from it.
    res.setHeader("Date", new Date(now()).toUTCString())
    const url = new URL(req.url ?? "/", "http://simulator")
    const handled = url.pathname.startsWith("/_simulator/")
      ? handleAdmin(handle!, req, res, url, requestId)
      : handleApi(context, req, res, url, requestId)
    handled.catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return res.destroy()
      sendJson(res, 500, errorBody({ code: "InternalFailure", message: "Simulator error.", details: String(error) }), { "x-amzn-RequestId": requestId })
    })
  })
  server.keepAliveTimeout = 60_000

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(config.port, config.host, () => {
      server.off("error", reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address

  handle = {
    url: `http://${host}:${address.port}`,
    config,
    sellers: () =>
      [...sellers.values()].map((seller) => ({
        sellerId: seller.config.sellerId,
        refreshToken: seller.config.refreshToken,
        marketplaceIds: seller.config.marketplaceIds,
        orders: seller.config.orders,
        anchorTime: new Date(seller.anchorMs).toISOString()
      })),
    groundTruth: (sellerId, options = {}) => {
      const seller = sellerOf(sellerId)
      const book = seller.book()
      const asOf = options.asOf?.getTime() ?? now()
      return groundTruthPositions(book, {
        createdAfter: options.createdAfter?.getTime() ?? -Infinity,
        createdBefore: options.createdBefore?.getTime() ?? Infinity,
        asOf
      }).map((i) => groundTruthOrder(book, i, asOf, options.items ?? true))
    },
    stats,
    resetStats: () => {
      anonymous.reset()
      for (const seller of sellers.values()) {
        seller.stats.reset()
        for (const bucket of seller.buckets.values()) bucket.resetUsage()
      }
    },
    revokeRefreshToken: (refreshToken) => lwa.revokeRefreshToken(refreshToken),
    addSeller,
    setFaults: (sellerId, faults) => {
      sellerOf(sellerId).faults = Schema.decodeUnknownSync(FaultsSchema)(faults) satisfies Faults
    },
    setClockOffset: (seconds) => {
      offsetMs = seconds * SECOND
    },
    reports: makeReportsControl(sellerOf, now),
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }))
  }
  return handle
}
