/**
 * One Amazon order as ordersync stores it, whichever Orders API version it came from: a plain object. Its fields are
 * checked where they are read from Amazon (AmazonOrders, ReportOrders); a page's hundred orders are built on the hot
 * path, where a Schema class's constructor cost a percent of the engine's CPU (B3).
 */
export interface Order {
  readonly externalOrderId: string
  readonly marketplaceId: string | null
  readonly orderDate: Date
  readonly lastUpdateDate: Date
  readonly orderStatus: string
  readonly fulfillmentChannel: string | null
  readonly salesChannel: string | null
  /** Decimal string as Amazon sent it; null for Pending orders. */
  readonly totalAmount: string | null
  readonly currency: string | null
  readonly itemsCount: number | null
  /**
   * The order exactly as Amazon sent it; null when the database takes it from the page's text instead (see
   * `OrdersDocument` and `DecodeOptions`).
   */
  readonly raw: unknown
}

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
