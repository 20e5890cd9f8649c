import {
  compareIds,
  HORIZON_MS,
  isVisible,
  type OrderBook,
  orderIdOf,
  parseOrderId
} from "./OrderBook.js"
import { mixSeed } from "./Random.js"

export type DateFamily = "created" | "lastUpdated"

/** Where the previous page ended: the last order's sort key, not an offset, so it is stable. */
export interface Cursor {
  /** The order's time in the listing's family, or its shuffle key in a shuffled listing (see `shuffledPage`). */
  readonly time: number
  readonly orderId: string
}

export interface PageRequest {
  readonly family: DateFamily
  readonly after: number
  /** Inclusive upper bound, already capped by the two-minute rule. */
  readonly before: number
  readonly cursor: Cursor | undefined
  readonly limit: number
  readonly accepts: (book: OrderBook, i: number, now: number) => boolean
}

export interface Page {
  readonly positions: ReadonlyArray<number>
  readonly hasMore: boolean
  readonly last: Cursor | undefined
}

const lowerBound = (length: number, isBefore: (index: number) => boolean): number => {
  let lo = 0
  let hi = length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (isBefore(mid)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** A stream of positions in ascending (time, orderId) order for one family at `now`. */
type Candidates = Generator<readonly [time: number, position: number]>

const keyIsAfter = (book: OrderBook, time: number, i: number, cursor: Cursor, cursorId: { prefix: number; rest: number }) =>
  time > cursor.time ||
  (time === cursor.time &&
    (book.idPrefix[i]! - cursorId.prefix || book.idRest[i]! - cursorId.rest) > 0)

function* byCreated(book: OrderBook, from: number, cursor: Cursor | undefined): Candidates {
  const { created } = book
  let p = lowerBound(book.size, (p) => created[p]! < from)
  const cursorId = cursor && parseOrderId(cursor.orderId)
  if (cursor && cursorId) {
    p = lowerBound(book.size, (p) => created[p]! < cursor.time)
    while (p < book.size && !keyIsAfter(book, created[p]!, p, cursor, cursorId)) p++
  }
  for (; p < book.size; p++) yield [created[p]!, p]
}

function* byLastUpdated(book: OrderBook, from: number, cursor: Cursor | undefined, now: number): Candidates {
  const { byUpdated, baseUpdated, changed, changeAt } = book
  const cursorId = cursor && parseOrderId(cursor.orderId)
  const start = (positions: Int32Array, time: (i: number) => number): number => {
    if (!cursor || !cursorId) return lowerBound(positions.length, (q) => time(positions[q]!) < from)
    let q = lowerBound(positions.length, (q) => time(positions[q]!) < cursor.time)
    while (q < positions.length && !keyIsAfter(book, time(positions[q]!), positions[q]!, cursor, cursorId)) q++
    return q
  }
  const baseTime = (i: number) => baseUpdated[i]!
  const changeTime = (i: number) => changeAt[i]!
  let a = start(byUpdated, baseTime)
  let b = start(changed, changeTime)
  for (;;) {
    // Orders that already changed live in the `changed` stream at their new time.
    while (a < byUpdated.length && changeAt[byUpdated[a]!]! <= now) a++
    const ia = a < byUpdated.length ? byUpdated[a]! : -1
    const ib = b < changed.length ? changed[b]! : -1
    if (ia < 0 && ib < 0) return
    const takeA =
      ib < 0 || (ia >= 0 && (baseUpdated[ia]! - changeAt[ib]! || compareIds(book, ia, ib)) < 0)
    if (takeA) {
      a++
      yield [baseUpdated[ia]!, ia]
    } else {
      b++
      yield [changeAt[ib]!, ib]
    }
  }
}

/** A fixed pseudo-random rank of an order in a shuffled listing: the same on every page of every listing. */
const shuffleKey = (book: OrderBook, i: number): number =>
  mixSeed(book.seed, 0x5b0ff1e, book.idPrefix[i]!, book.idRest[i]! % 2 ** 31, Math.floor(book.idRest[i]! / 2 ** 31))

/**
 * A page of a listing by lastUpdated in shuffle order (the seller's `updatedListingOrder: "shuffled"`): the window's
 * orders ranked by `shuffleKey`, so a page holds changes from anywhere in the window, in no time order. Each order of
 * the window still comes exactly once across the pages, since the cursor is the rank (a change that moves an order
 * past `before` meanwhile takes it out of the listing, as in time order).
 */
const shuffledPage = (book: OrderBook, request: PageRequest, now: number, horizon: number): Page => {
  const { cursor } = request
  const cursorId = cursor && parseOrderId(cursor.orderId)
  const ranked: Array<readonly [key: number, position: number]> = []
  for (const [time, i] of byLastUpdated(book, request.after, undefined, now)) {
    if (time > request.before) break
    if (!isVisible(book, i, now) || book.created[i]! < horizon || !request.accepts(book, i, now)) continue
    const key = shuffleKey(book, i)
    if (cursor && cursorId && !keyIsAfter(book, key, i, cursor, cursorId)) continue
    ranked.push([key, i])
  }
  ranked.sort((a, b) => a[0] - b[0] || compareIds(book, a[1], b[1]))
  const taken = ranked.slice(0, request.limit)
  const last = taken[taken.length - 1]
  return {
    positions: taken.map(([, i]) => i),
    hasMore: ranked.length > taken.length,
    last: last && { time: last[0], orderId: orderIdOf(book, last[1]) }
  }
}

/** One page of a listing as seen at `now`: visible orders inside the window and the two-year horizon. */
export const listPage = (book: OrderBook, request: PageRequest, now: number): Page => {
  const horizon = now - HORIZON_MS
  if (request.family === "lastUpdated" && book.updatedListingOrder === "shuffled") return shuffledPage(book, request, now, horizon)
  const from = request.family === "created" ? Math.max(request.after, horizon) : request.after
  const candidates =
    request.family === "created"
      ? byCreated(book, from, request.cursor)
      : byLastUpdated(book, from, request.cursor, now)
  const positions: Array<number> = []
  let last: Cursor | undefined
  for (const [time, i] of candidates) {
    if (time > request.before) return { positions, hasMore: false, last }
    if (!isVisible(book, i, now) || book.created[i]! < horizon || !request.accepts(book, i, now)) continue
    if (positions.length === request.limit) return { positions, hasMore: true, last }
    positions.push(i)
    last = { time, orderId: orderIdOf(book, i) }
  }
  return { positions, hasMore: false, last }
}

export interface GroundTruthOrder {
  readonly orderId: string
  readonly createdTime: string
  readonly lastUpdatedTime: string
  readonly status: string
  readonly totalAmount: string | null
  readonly currency: string | null
  /** `AMAZON` or `MERCHANT`, in ordersync's vocabulary (the current API's). */
  readonly fulfillmentChannel: string
  readonly marketplaceId: string
  /** In the order's items order (as `orderItems` and the report's rows list them); empty when asked without items. */
  readonly items: ReadonlyArray<GroundTruthItem>
}

/**
 * One order item as a correct sync must store it. The money is in the order's currency, for the item's whole
 * quantity, and NET of tax: itemPrice + itemTax + shippingPrice + shippingTax + giftWrapPrice + giftWrapTax −
 * promotionDiscount is the item's total, and the items' totals add up to the order's `totalAmount`. For a seller in
 * the VAT Calculation Service the prices are the VAT-inclusive ones minus the VAT, which is the tax. All money and the
 * currency are null where the order has no total (PENDING, PENDING_AVAILABILITY).
 */
export interface GroundTruthItem {
  readonly orderItemId: string
  readonly sku: string
  readonly asin: string
  /** In the marketplace's language, as rendered. */
  readonly title: string
  readonly quantity: number
  readonly quantityShipped: number
  /** A cancelled order's items are CANCELLED; a partially shipped order's first item is SHIPPED, the others UNSHIPPED. */
  readonly itemStatus: "SHIPPED" | "UNSHIPPED" | "CANCELLED"
  readonly itemPrice: string | null
  readonly itemTax: string | null
  readonly shippingPrice: string | null
  readonly shippingTax: string | null
  readonly giftWrapPrice: string | null
  readonly giftWrapTax: string | null
  /** The item and shipping promotions, as a positive amount taken off. */
  readonly promotionDiscount: string | null
  readonly currency: string | null
}

/** Positions a correct sync of the created window must hold at `asOf`, in created order. */
export const groundTruthPositions = (
  book: OrderBook,
  options: { readonly createdAfter: number; readonly createdBefore: number; readonly asOf: number }
): ReadonlyArray<number> => {
  const { asOf } = options
  const horizon = asOf - HORIZON_MS
  const positions: Array<number> = []
  for (const [time, i] of byCreated(book, Math.max(options.createdAfter, horizon), undefined)) {
    if (time > options.createdBefore) break
    if (isVisible(book, i, asOf)) positions.push(i)
  }
  return positions
}

