import { type Faults, type Operation, type SellerConfig, type SimulatorConfig, defaultUsagePlans } from "./Config.js"
import { buildOrderBook, makeIdLookup, type OrderBook } from "./OrderBook.js"
import { hashString, makeRandom, mixSeed, type Random } from "./Random.js"
import { makeReportStore, type ReportStore } from "./Reports/Lifecycle.js"
import { SellerStatsRecorder } from "./Stats.js"
import { makeTokenBucket, type TokenBucket } from "./UsagePlans.js"

/** Everything the simulator keeps about one seller. The order book is built on first use. */
export interface SellerState {
  readonly config: SellerConfig
  readonly anchorMs: number
  readonly stats: SellerStatsRecorder
  readonly buckets: ReadonlyMap<Operation, TokenBucket>
  faults: Faults
  faultRandom: Random
  readonly book: () => OrderBook
  readonly findOrder: (orderId: string) => number
  readonly reports: ReportStore
}

export const makeSellerState = (config: SimulatorConfig, seller: SellerConfig, anchorMs: number): SellerState => {
  const buckets = new Map<Operation, TokenBucket>()
  for (const operation of Object.keys(defaultUsagePlans) as ReadonlyArray<Operation>) {
    const plan = seller.usagePlans[operation] ?? config.usagePlans[operation] ?? defaultUsagePlans[operation]
    buckets.set(operation, makeTokenBucket(plan, config.timeFactor))
  }
  let book: OrderBook | undefined
  let lookup: ((orderId: string) => number) | undefined
  const bookOf = () => (book ??= buildOrderBook(seller, anchorMs, config.timeFactor))
  const state: SellerState = {
    config: seller,
    anchorMs,
    stats: new SellerStatsRecorder(seller.sellerId),
    buckets,
    faults: seller.faults,
    faultRandom: makeRandom(mixSeed(seller.seed, hashString(seller.sellerId), 0xfa017)),
    book: bookOf,
    findOrder: (orderId) => (lookup ??= makeIdLookup(bookOf()))(orderId),
    reports: makeReportStore({
      sellerId: seller.sellerId,
      seed: seller.seed,
      settings: seller.reports,
      timeFactor: config.timeFactor,
      book: bookOf,
      faults: () => state.faults
    })
  }
  return state
}
