import { Either, ParseResult, Schema } from "effect"
import { items2026 } from "./ApiItems.js"
import { type DecodedOrder, type Order, withoutMoney } from "./Order.js"

// Only the fields ordersync stores are decoded; everything else stays in `raw` exactly as Amazon sent it.

const IsoDate = Schema.Date.annotations({ message: () => "expected an ISO 8601 date-time" })
const Money = Schema.Struct({ amount: Schema.String, currencyCode: Schema.String })

/**
 * The datasets of Orders API 2026-01-01 that the stored fields come from: `fulfillment` (status, who fulfils) and
 * `proceeds` (the total). Amazon sends them only when asked (`includedData`); every searchOrders call asks.
 */
export const INCLUDED_DATA_2026 = ["FULFILLMENT", "PROCEEDS"] as const

/**
 * Statuses whose orders may carry no total: Amazon prices an order once it leaves pending, and users report cancelled
 * orders (often cancelled while pending) without one. Any other status without a total means PROCEEDS was not sent.
 */
const UNPRICED_2026: ReadonlySet<string> = new Set(["PENDING", "PENDING_AVAILABILITY", "CANCELLED"])

/** Orders API 2026-01-01 `Order` (the fields we keep). */
export const Order2026 = Schema.Struct({
  orderId: Schema.String,
  createdTime: IsoDate,
  lastUpdatedTime: IsoDate,
  salesChannel: Schema.Struct({ channelName: Schema.String, marketplaceId: Schema.optional(Schema.String) }),
  // Never optional: a missing dataset would otherwise be stored as a wrong status or a missing total.
  fulfillment: Schema.Struct({
    fulfillmentStatus: Schema.String,
    fulfilledBy: Schema.optional(Schema.String)
  }),
  proceeds: Schema.optional(Schema.Struct({ grandTotal: Schema.optional(Money) })),
  orderItems: Schema.Array(Schema.Struct({ quantityOrdered: Schema.Int }))
})

/** True when an order of a 2026-01-01 answer lacks a dataset ordersync asked for. */
export const lacksDatasets2026 = (raw: unknown): boolean =>
  typeof raw === "object" && raw !== null && (raw as Record<string, unknown>).fulfillment === undefined

/** The total, which every order past pending must have: a priced order without it means PROCEEDS was not sent. */
const total2026 = (o: typeof Order2026.Type): Either.Either<{ amount: string | null; currency: string | null }, string> => {
  const grandTotal = o.proceeds?.grandTotal
  if (grandTotal !== undefined) {
    return Either.map(checkAmount(grandTotal.amount), (amount) => ({ amount, currency: grandTotal.currencyCode }))
  }
  return UNPRICED_2026.has(o.fulfillment.fulfillmentStatus)
    ? Either.right({ amount: null, currency: null })
    : Either.left(`a ${o.fulfillment.fulfillmentStatus} order has no proceeds.grandTotal (asked for with includedData=PROCEEDS)`)
}

/** Orders API v0 `Order` (the fields we keep). */
export const OrderV0 = Schema.Struct({
  AmazonOrderId: Schema.String,
  PurchaseDate: IsoDate,
  LastUpdateDate: IsoDate,
  OrderStatus: Schema.String,
  FulfillmentChannel: Schema.optional(Schema.String),
  SalesChannel: Schema.optional(Schema.String),
  MarketplaceId: Schema.optional(Schema.String),
  OrderTotal: Schema.optional(Schema.Struct({ Amount: Schema.String, CurrencyCode: Schema.String })),
  NumberOfItemsShipped: Schema.optional(Schema.Int),
  NumberOfItemsUnshipped: Schema.optional(Schema.Int)
})

// ordersync stores one vocabulary whichever API version a tenant uses: the current (2026-01-01) one.
const V0_STATUS: Record<string, string> = {
  Pending: "PENDING",
  Unshipped: "UNSHIPPED",
  PartiallyShipped: "PARTIALLY_SHIPPED",
  Shipped: "SHIPPED",
  Canceled: "CANCELLED",
  Unfulfillable: "UNFULFILLABLE",
  InvoiceUnconfirmed: "INVOICE_UNCONFIRMED",
  PendingAvailability: "PENDING_AVAILABILITY"
}
const V0_CHANNEL: Record<string, string> = { AFN: "AMAZON", MFN: "MERCHANT" }

const AmountString = /^-?\d+(\.\d+)?$/

const quarantine = (raw: unknown, idField: string, error: string): DecodedOrder => {
  const id = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)[idField] : undefined
  return { _tag: "Quarantined", quarantined: { externalOrderId: typeof id === "string" ? id : null, raw, error } }
}

const checkAmount = (amount: string | null) =>
  amount === null || AmountString.test(amount) ? Either.right(amount) : Either.left(`total "${amount}" is not a decimal number`)

const finish = (raw: unknown, idField: string, order: Either.Either<Order, string>): DecodedOrder =>
  Either.match(order, {
    onLeft: (error) => quarantine(raw, idField, error),
    onRight: (order) => ({ _tag: "Order", order })
  })

const formatError = (error: ParseResult.ParseError) => ParseResult.TreeFormatter.formatErrorSync(error)

/**
 * How a decoded order keeps what Amazon sent: in `order.raw` (the default), or not at all, because the database takes
 * it from the page's text (an Orders API page comes with its `OrdersDocument`). Without it, the parsed JSON of a page
 * dies as soon as its fields are read, instead of living on until the page is stored (B3: the young generation's
 * survivors are what a scavenge costs).
 */
export interface DecodeOptions {
  readonly rawInDocument?: boolean
}

type Fields2026 = typeof Order2026.Type

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const optionalString = (u: unknown) => u === undefined || typeof u === "string"
const validDate = (u: unknown): Date | undefined => {
  if (typeof u !== "string") return undefined
  const date = new Date(u)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/**
 * The fields of a well-formed order without Schema's machinery, or undefined. Only a shortcut: what it accepts, the
 * `Order2026` schema accepts with the same fields (a property test holds it to that), and anything else goes through
 * the schema, which decides and says why. Decoding 100 orders through Schema was a fifth of what a page allocates
 * and 5% of the engine's CPU (B3).
 */
const fast2026 = (raw: unknown): Fields2026 | undefined => {
  if (!isRecord(raw)) return undefined
  const { createdTime, fulfillment, lastUpdatedTime, orderId, orderItems, proceeds, salesChannel } = raw
  if (typeof orderId !== "string") return undefined
  const created = validDate(createdTime)
  const updated = validDate(lastUpdatedTime)
  if (created === undefined || updated === undefined) return undefined
  if (!isRecord(salesChannel) || typeof salesChannel.channelName !== "string" || !optionalString(salesChannel.marketplaceId)) return undefined
  if (!isRecord(fulfillment) || typeof fulfillment.fulfillmentStatus !== "string" || !optionalString(fulfillment.fulfilledBy)) return undefined
  let grandTotal: { amount: string; currencyCode: string } | undefined
  if (proceeds !== undefined) {
    if (!isRecord(proceeds)) return undefined
    const total = proceeds.grandTotal
    if (total !== undefined) {
      if (!isRecord(total) || typeof total.amount !== "string" || typeof total.currencyCode !== "string") return undefined
      grandTotal = { amount: total.amount, currencyCode: total.currencyCode }
    }
  }
  if (!Array.isArray(orderItems)) return undefined
  const items: Array<{ quantityOrdered: number }> = []
  for (const item of orderItems) {
    if (!isRecord(item) || !Number.isSafeInteger(item.quantityOrdered)) return undefined
    items.push({ quantityOrdered: item.quantityOrdered as number })
  }
  return {
    orderId,
    createdTime: created,
    lastUpdatedTime: updated,
    salesChannel: { channelName: salesChannel.channelName, marketplaceId: salesChannel.marketplaceId as string | undefined },
    fulfillment: { fulfillmentStatus: fulfillment.fulfillmentStatus, fulfilledBy: fulfillment.fulfilledBy as string | undefined },
    proceeds: proceeds === undefined ? undefined : { grandTotal },
    orderItems: items
  }
}

/** The schema's reading of an order's fields: the reference `fast2026` is held to. */
export const fields2026BySchema = (raw: unknown): Either.Either<Fields2026, string> =>
  Either.mapLeft(Schema.decodeUnknownEither(Order2026)(raw), formatError)

/** The stored fields of an order, read by the shortcut when it can and by the schema otherwise. */
export const fields2026 = (raw: unknown): Either.Either<Fields2026, string> => {
  const fast = fast2026(raw)
  return fast === undefined ? fields2026BySchema(raw) : Either.right(fast)
}

export const decode2026 = (raw: unknown, options: DecodeOptions = {}): DecodedOrder =>
  lacksDatasets2026(raw) ?
    quarantine(raw, "orderId", "the order has no fulfillment dataset (asked for with includedData=FULFILLMENT): its status and fulfilment channel are unknown") :
    finish(
    raw,
    "orderId",
    Either.flatMap(fields2026(raw), (o) =>
      Either.flatMap(Either.all([total2026(o), items2026(raw as Record<string, unknown>, o.fulfillment.fulfillmentStatus)]), ([total, items]) =>
        Either.right<Order>({
          externalOrderId: o.orderId,
          marketplaceId: o.salesChannel.marketplaceId ?? null,
          orderDate: o.createdTime,
          lastUpdateDate: o.lastUpdatedTime,
          orderStatus: o.fulfillment.fulfillmentStatus,
          fulfillmentChannel: o.fulfillment.fulfilledBy ?? null,
          salesChannel: o.salesChannel.channelName,
          totalAmount: total.amount,
          currency: total.currency,
          itemsCount: o.orderItems.reduce((n, item) => n + item.quantityOrdered, 0),
          raw: options.rawInDocument ? null : raw,
          items: total.amount === null ? items.map(withoutMoney) : items
        })))
  )

export const decodeV0 = (raw: unknown, options: DecodeOptions = {}): DecodedOrder =>
  finish(
    raw,
    "AmazonOrderId",
    Either.flatMap(Either.mapLeft(Schema.decodeUnknownEither(OrderV0)(raw), formatError), (o) =>
      Either.map(checkAmount(o.OrderTotal?.Amount ?? null), (totalAmount) =>
        ({
          externalOrderId: o.AmazonOrderId,
          marketplaceId: o.MarketplaceId ?? null,
          orderDate: o.PurchaseDate,
          lastUpdateDate: o.LastUpdateDate,
          orderStatus: V0_STATUS[o.OrderStatus] ?? o.OrderStatus,
          fulfillmentChannel: o.FulfillmentChannel === undefined ? null : V0_CHANNEL[o.FulfillmentChannel] ?? o.FulfillmentChannel,
          salesChannel: o.SalesChannel ?? null,
          totalAmount,
          currency: o.OrderTotal?.CurrencyCode ?? null,
          itemsCount: o.NumberOfItemsShipped === undefined && o.NumberOfItemsUnshipped === undefined
            ? null
            : (o.NumberOfItemsShipped ?? 0) + (o.NumberOfItemsUnshipped ?? 0),
          raw: options.rawInDocument ? null : raw
        })))
  )

/**
 * Escapes in an answer's JSON text that PostgreSQL's jsonb refuses: `\u0000` (its text cannot hold a NUL) and
 * surrogate escapes (a lone one is refused; a pair is let through by `jsonbRefuses`). Rare: one scan of the text
 * decides whether a page needs the per-order look.
 */
const REFUSED_ESCAPES = /\\u0000|\\u[dD][89a-fA-F]/

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Whether jsonb would refuse this value: a string (or key) anywhere in it with a NUL or a lone surrogate. */
export const jsonbRefuses = (value: unknown): boolean => {
  if (typeof value === "string") return value.includes("\0") || LONE_SURROGATE.test(value)
  if (Array.isArray(value)) return value.some(jsonbRefuses)
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).some(([key, item]) => jsonbRefuses(key) || jsonbRefuses(item))
  }
  return false
}

/**
 * A page's orders, decoded. Normally each order's `raw` stays in the page's text, which the database reads as jsonb
 * (`document`). When the text holds what jsonb refuses, that would fail the whole page's statement, every time: the
 * orders holding it are quarantined (their raw kept with U+FFFD in place of the NUL, by the quarantine) and the others
 * keep their own `raw`, without the document.
 */
export const pageOrders = (
  orders: ReadonlyArray<unknown>,
  text: string,
  path: ReadonlyArray<string>,
  decode: (raw: unknown, options?: DecodeOptions) => DecodedOrder,
  idField: string
): { readonly decoded: ReadonlyArray<DecodedOrder>; readonly document?: { readonly text: string; readonly path: ReadonlyArray<string> } } => {
  if (!REFUSED_ESCAPES.test(text)) return { decoded: orders.map((order) => decode(order, { rawInDocument: true })), document: { text, path } }
  return {
    decoded: orders.map((order) =>
      jsonbRefuses(order)
        ? quarantine(order, idField, "the order holds a NUL character (\\u0000) or half a surrogate pair, which PostgreSQL cannot store")
        : decode(order)
    )
  }
}
