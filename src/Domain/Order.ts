import { Schema } from "effect"

/** One Amazon order as ordersync stores it, whichever Orders API version it came from. */
export class Order extends Schema.Class<Order>("Order")({
  externalOrderId: Schema.String,
  marketplaceId: Schema.NullOr(Schema.String),
  orderDate: Schema.DateFromSelf,
  lastUpdateDate: Schema.DateFromSelf,
  orderStatus: Schema.String,
  fulfillmentChannel: Schema.NullOr(Schema.String),
  salesChannel: Schema.NullOr(Schema.String),
  /** Decimal string as Amazon sent it; null for Pending orders. */
  totalAmount: Schema.NullOr(Schema.String),
  currency: Schema.NullOr(Schema.String),
  itemsCount: Schema.NullOr(Schema.Int),
  /**
   * The order exactly as Amazon sent it; null when the database takes it from the page's text instead (see
   * `OrdersDocument` and `DecodeOptions`).
   */
  raw: Schema.Unknown
}) {}

/** An order Amazon sent that did not decode: kept with the reason, never dropped. */
export interface QuarantinedOrder {
  readonly externalOrderId: string | null
  readonly raw: unknown
  readonly error: string
}

export type DecodedOrder =
  | { readonly _tag: "Order"; readonly order: Order }
  | { readonly _tag: "Quarantined"; readonly quarantined: QuarantinedOrder }

/**
 * An Orders API answer as Amazon sent it, and where its orders are in it (`["orders"]`, or v0's
 * `["payload", "Orders"]`): the i-th decoded order of a page is the i-th element there.
 */
export interface OrdersDocument {
  readonly text: string
  readonly path: ReadonlyArray<string>
}

/** A page's orders, decoded in the order Amazon listed them, and the answer they came from (when there is one). */
export interface PageOrders {
  readonly decoded: ReadonlyArray<DecodedOrder>
  readonly document?: OrdersDocument
}
