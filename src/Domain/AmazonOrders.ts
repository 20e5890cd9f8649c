import { Either, ParseResult, Schema } from "effect"
import { type DecodedOrder, Order } from "./Order.js"

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

// `new Order(…, true)`: the fields were just decoded by Schema; skip a second validation on the hot path.
const finish = (raw: unknown, idField: string, order: Either.Either<Order, string>): DecodedOrder =>
  Either.match(order, {
    onLeft: (error) => quarantine(raw, idField, error),
    onRight: (order) => ({ _tag: "Order", order })
  })

const formatError = (error: ParseResult.ParseError) => ParseResult.TreeFormatter.formatErrorSync(error)

export const decode2026 = (raw: unknown): DecodedOrder =>
  lacksDatasets2026(raw) ?
    quarantine(raw, "orderId", "the order has no fulfillment dataset (asked for with includedData=FULFILLMENT): its status and fulfilment channel are unknown") :
    finish(
    raw,
    "orderId",
    Either.flatMap(Either.mapLeft(Schema.decodeUnknownEither(Order2026)(raw), formatError), (o) =>
      Either.map(total2026(o), (total) =>
        new Order({
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
          raw
        }, true)))
  )

export const decodeV0 = (raw: unknown): DecodedOrder =>
  finish(
    raw,
    "AmazonOrderId",
    Either.flatMap(Either.mapLeft(Schema.decodeUnknownEither(OrderV0)(raw), formatError), (o) =>
      Either.map(checkAmount(o.OrderTotal?.Amount ?? null), (totalAmount) =>
        new Order({
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
          raw
        }, true)))
  )
