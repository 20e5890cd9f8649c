import { type Product, makeCatalog } from "./Catalog.js"
import type { SellerConfig, UpdatedListingOrder } from "./Config.js"
import { regionOf } from "./Marketplaces.js"
import { makeRandom, mixSeed, type Random } from "./Random.js"

export const fulfillmentStatuses = [
  "PENDING",
  "UNSHIPPED",
  "PARTIALLY_SHIPPED",
  "SHIPPED",
  "CANCELLED",
  "UNFULFILLABLE",
  "PENDING_AVAILABILITY"
] as const
export type FulfillmentStatus = (typeof fulfillmentStatuses)[number]

const PENDING = 0
const UNSHIPPED = 1
const PARTIALLY_SHIPPED = 2
const SHIPPED = 3
const CANCELLED = 4

export const SECOND = 1000
export const DAY = 86_400 * SECOND
export const HISTORY_DAYS = 800
/** Amazon returns no order created more than two years ago. */
export const HORIZON_MS = 730 * DAY

/**
 * One seller's orders in columns, indexed by position in (createdTime, orderId) order.
 * JSON is built only when an order is served.
 */
export interface OrderBook {
  readonly size: number
  readonly anchorMs: number
  readonly seed: number
  readonly marketplaceIds: ReadonlyArray<string>
  /** How a listing by lastUpdatedAfter/Before orders its orders (the seller's `updatedListingOrder`). */
  readonly updatedListingOrder: UpdatedListingOrder
  /** The seller's `vatCalculationService`: VAT shown inside the prices of its VAT marketplaces (Charges.ts). */
  readonly vatCalculationService: boolean
  readonly catalog: ReadonlyArray<Product>
  readonly created: Float64Array
  /** Equal to `created` except for late orders. */
  readonly visibleAt: Float64Array
  readonly baseUpdated: Float64Array
  /** NaN when the order never changes. */
  readonly changeAt: Float64Array
  readonly baseStatus: Uint8Array
  readonly changedStatus: Uint8Array
  readonly marketplace: Uint8Array
  readonly fulfilledByAmazon: Uint8Array
  readonly idPrefix: Uint16Array
  readonly idRest: Float64Array
  /** Positions sorted by (baseUpdated, orderId). */
  readonly byUpdated: Int32Array
  /** Positions of orders that change, sorted by (changeAt, orderId). */
  readonly changed: Int32Array
}

export const orderIdOf = (book: OrderBook, i: number): string => formatOrderId(book.idPrefix[i]!, book.idRest[i]!)

export const formatOrderId = (prefix: number, rest: number): string => {
  const digits = String(rest).padStart(14, "0")
  return `${String(prefix).padStart(3, "0")}-${digits.slice(0, 7)}-${digits.slice(7)}`
}

export const parseOrderId = (orderId: string): { readonly prefix: number; readonly rest: number } | undefined => {
  const match = /^(\d{3})-(\d{7})-(\d{7})$/.exec(orderId)
  return match ? { prefix: Number(match[1]), rest: Number(match[2]! + match[3]!) } : undefined
}

export const compareIds = (book: OrderBook, a: number, b: number): number =>
  book.idPrefix[a]! - book.idPrefix[b]! || book.idRest[a]! - book.idRest[b]!

export const isVisible = (book: OrderBook, i: number, now: number): boolean => book.visibleAt[i]! <= now

export const statusAt = (book: OrderBook, i: number, now: number): FulfillmentStatus =>
  fulfillmentStatuses[book.changeAt[i]! <= now ? book.changedStatus[i]! : book.baseStatus[i]!]!

export type ItemStatus = "SHIPPED" | "UNSHIPPED" | "CANCELLED"

/**
 * An item's state, which no Orders API field names: a partially shipped order has shipped its first item (the only
 * way an order report, where it reads `Shipping` like an unshipped one, tells the two apart). Amazon documents no
 * mapping; this is the simulator's reading, and every rendering of an item follows it.
 */
export const itemStatusOf = (status: FulfillmentStatus, index: number): ItemStatus =>
  status === "SHIPPED" || (status === "PARTIALLY_SHIPPED" && index === 0) ? "SHIPPED" : status === "CANCELLED" ? "CANCELLED" : "UNSHIPPED"

export const updatedAt = (book: OrderBook, i: number, now: number): number =>
  book.changeAt[i]! <= now ? book.changeAt[i]! : book.baseUpdated[i]!

/** The seed of one order's items and details, so they need no storage. */
export const orderSeed = (book: OrderBook, i: number): number => mixSeed(book.seed, 0x0bde, book.idRest[i]! % 2 ** 31)

const regionPrefixes: Record<string, ReadonlyArray<number>> = {
  na: [111, 112, 113, 114, 701, 702],
  eu: [202, 203, 204, 205, 206, 26, 28, 302, 303],
  fe: [249, 250, 503, 506]
}
/** Weekends, Prime Day, Black Friday to Christmas: more orders; January: fewer; a slow growth trend. */
const dayWeight = (dayStart: number, daysBack: number): number => {
  const date = new Date(dayStart + DAY / 2)
  const weekday = date.getUTCDay()
  const month = date.getUTCMonth()
  const dayOfMonth = date.getUTCDate()
  const week = weekday === 0 || weekday === 6 ? 1.35 : weekday === 1 ? 1.1 : 1
  const season =
    month === 11 ? (dayOfMonth <= 22 ? 1.9 : 1.1) :
    month === 10 ? (dayOfMonth >= 24 ? 2.2 : 1.3) :
    month === 6 && dayOfMonth >= 8 && dayOfMonth <= 17 ? 1.5 :
    month === 0 ? 0.85 : 1
  return week * season * (1 + (0.4 * (HISTORY_DAYS - daysBack)) / HISTORY_DAYS)
}

const pick = (random: Random, weights: ReadonlyArray<readonly [number, number]>): number => {
  let roll = random.next()
  for (const [value, weight] of weights) {
    if (roll < weight) return value
    roll -= weight
  }
  return weights[weights.length - 1]![0]
}

const statusByAge = (random: Random, ageDays: number): number =>
  ageDays < 1
    ? pick(random, [[PENDING, 0.35], [UNSHIPPED, 0.45], [SHIPPED, 0.15], [CANCELLED, 0.05]])
    : ageDays < 3
    ? pick(random, [[PENDING, 0.05], [UNSHIPPED, 0.35], [SHIPPED, 0.55], [CANCELLED, 0.05]])
    : ageDays < 14
    ? pick(random, [[UNSHIPPED, 0.03], [PARTIALLY_SHIPPED, 0.01], [SHIPPED, 0.9], [CANCELLED, 0.06]])
    : pick(random, [[PARTIALLY_SHIPPED, 0.005], [SHIPPED, 0.935], [CANCELLED, 0.06]])

const statusAfterChange = (random: Random, status: number): number =>
  status === PENDING
    ? pick(random, [[UNSHIPPED, 0.5], [SHIPPED, 0.35], [CANCELLED, 0.15]])
    : pick(random, [[SHIPPED, 0.85], [CANCELLED, 0.15]])

/**
 * Builds a seller's order book. Ids and relative times depend only on the seed; absolute
 * times hang off `anchorMs`. Durations of the run (changes, late orders) are divided by
 * `timeFactor`.
 */
export const buildOrderBook = (seller: SellerConfig, anchorMs: number, timeFactor: number): OrderBook => {
  const random = makeRandom(mixSeed(seller.seed, 0x5e11e2))
  const historySize = seller.orders
  const lateSize = seller.late ? Math.round(seller.late.share * historySize) : 0
  const size = historySize + lateSize

  // Creation times: days drawn through the inverse CDF of the day weights.
  const cumulative = new Float64Array(HISTORY_DAYS)
  let total = 0
  for (let k = 0; k < HISTORY_DAYS; k++) {
    total += dayWeight(anchorMs - (k + 1) * DAY, k)
    cumulative[k] = total
  }
  const created = new Float64Array(size)
  for (let n = 0; n < historySize; n++) {
    const u = random.next() * total
    let lo = 0
    let hi = HISTORY_DAYS - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cumulative[mid]! <= u) lo = mid + 1
      else hi = mid
    }
    created[n] = anchorMs - (lo + 1) * DAY + random.int(86_400) * SECOND
  }
  const lateHorizonSeconds = Math.max(1, Math.floor((seller.late?.horizonSeconds ?? 0) / timeFactor))
  for (let n = historySize; n < size; n++) created[n] = anchorMs + (1 + random.int(lateHorizonSeconds)) * SECOND
  created.sort()

  // Ids: unique 14-digit rests, then sorted inside runs of equal creation time (the tie-break).
  const prefixes = regionPrefixes[regionOf(seller.marketplaceIds[0])]!
  const idPrefix = new Uint16Array(size)
  const idRest = new Float64Array(size)
  const seen = new Set<number>()
  for (let i = 0; i < size; i++) {
    let rest: number
    do rest = random.int(1e7) * 1e7 + random.int(1e7)
    while (seen.has(rest))
    seen.add(rest)
    idRest[i] = rest
    idPrefix[i] = prefixes[random.int(prefixes.length)]!
  }
  seen.clear()
  sortTieRuns(created, idPrefix, idRest)

  const marketplaceCount = seller.marketplaceIds.length
  const marketplace = new Uint8Array(size)
  const fulfilledByAmazon = new Uint8Array(size)
  const baseStatus = new Uint8Array(size)
  const changedStatus = new Uint8Array(size)
  const baseUpdated = new Float64Array(size)
  const visibleAt = new Float64Array(size)
  const changeAt = new Float64Array(size).fill(NaN)
  const candidates: Array<number> = []
  const maxLateDelayMs = ((seller.late?.maxDelaySeconds ?? 0) * SECOND) / timeFactor
  for (let i = 0; i < size; i++) {
    const createdAt = created[i]!
    marketplace[i] = marketplaceCount === 1 || random.chance(0.7) ? 0 : 1 + random.int(marketplaceCount - 1)
    fulfilledByAmazon[i] = random.chance(0.6) ? 1 : 0
    if (createdAt > anchorMs) {
      baseStatus[i] = random.chance(0.5) ? PENDING : UNSHIPPED
      baseUpdated[i] = createdAt
      visibleAt[i] = createdAt + random.next() * maxLateDelayMs
      continue
    }
    const status = statusByAge(random, (anchorMs - createdAt) / DAY)
    const processing =
      status === PENDING ? 0 :
      status === UNSHIPPED ? random.int(1800) * SECOND :
      status === CANCELLED ? (600 + random.int(2 * 86_400)) * SECOND :
      (7200 + random.int(3 * 86_400)) * SECOND
    baseStatus[i] = status
    baseUpdated[i] = Math.min(anchorMs, createdAt + processing)
    visibleAt[i] = createdAt
    if (status === PENDING || status === UNSHIPPED) candidates.push(i)
  }

  // Changes after start: a random subset of the still-open orders moves on.
  const changeCount = seller.changes ? Math.min(candidates.length, Math.round(seller.changes.share * historySize)) : 0
  const changeHorizonSeconds = Math.max(1, Math.floor((seller.changes?.horizonSeconds ?? 0) / timeFactor))
  for (let n = 0; n < changeCount; n++) {
    const j = n + random.int(candidates.length - n)
    const i = candidates[j]!
    candidates[j] = candidates[n]!
    candidates[n] = i
    changeAt[i] = anchorMs + (1 + random.int(changeHorizonSeconds)) * SECOND
    changedStatus[i] = statusAfterChange(random, baseStatus[i]!)
  }

  const book: OrderBook = {
    size,
    anchorMs,
    seed: seller.seed,
    marketplaceIds: seller.marketplaceIds,
    updatedListingOrder: seller.updatedListingOrder,
    vatCalculationService: seller.vatCalculationService,
    catalog: makeCatalog(seller.seed),
    created,
    visibleAt,
    baseUpdated,
    changeAt,
    baseStatus,
    changedStatus,
    marketplace,
    fulfilledByAmazon,
    idPrefix,
    idRest,
    byUpdated: new Int32Array(0),
    changed: Int32Array.from(candidates.slice(0, changeCount))
  }
  const byId = (a: number, b: number) => compareIds(book, a, b)
  book.changed.sort((a, b) => changeAt[a]! - changeAt[b]! || byId(a, b))
  return { ...book, byUpdated: sortByUpdated(book) }
}

/** Swaps ids inside each run of equal times so that ids ascend within the run. */
const sortTieRuns = (times: Float64Array, idPrefix: Uint16Array, idRest: Float64Array): void => {
  let start = 0
  while (start < times.length) {
    let end = start + 1
    while (end < times.length && times[end] === times[start]) end++
    if (end - start > 1) {
      const ids = Array.from({ length: end - start }, (_, k) => [idPrefix[start + k]!, idRest[start + k]!] as const)
      ids.sort((a, b) => a[0] - b[0] || a[1] - b[1])
      ids.forEach(([prefix, rest], k) => {
        idPrefix[start + k] = prefix
        idRest[start + k] = rest
      })
    }
    start = end
  }
}

const POSITION_BITS = 2 ** 22

const sortByUpdated = (book: OrderBook): Int32Array => {
  const { size, baseUpdated } = book
  const positions = new Int32Array(size)
  if (size < POSITION_BITS) {
    // Pack (seconds, position) into one exactly representable double: a native numeric sort.
    const keys = new Float64Array(size)
    for (let i = 0; i < size; i++) keys[i] = (baseUpdated[i]! / SECOND) * POSITION_BITS + i
    keys.sort()
    for (let p = 0; p < size; p++) positions[p] = keys[p]! % POSITION_BITS
  } else {
    for (let i = 0; i < size; i++) positions[i] = i
    positions.sort((a, b) => baseUpdated[a]! - baseUpdated[b]! || a - b)
  }
  let start = 0
  while (start < size) {
    let end = start + 1
    const time = baseUpdated[positions[start]!]
    while (end < size && baseUpdated[positions[end]!] === time) end++
    if (end - start > 1) positions.subarray(start, end).sort((a, b) => compareIds(book, a, b))
    start = end
  }
  return positions
}

/** Position of an order id, or -1; builds a sorted id index on first use. */
export const makeIdLookup = (book: OrderBook): ((orderId: string) => number) => {
  let sorted: Int32Array | undefined
  return (orderId) => {
    const parsed = parseOrderId(orderId)
    if (!parsed) return -1
    if (!sorted) {
      sorted = new Int32Array(book.size)
      for (let i = 0; i < book.size; i++) sorted[i] = i
      sorted.sort((a, b) => book.idRest[a]! - book.idRest[b]!)
    }
    let lo = 0
    let hi = sorted.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const rest = book.idRest[sorted[mid]!]!
      if (rest === parsed.rest) return book.idPrefix[sorted[mid]!] === parsed.prefix ? sorted[mid]! : -1
      if (rest < parsed.rest) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }
}
