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
  /**
   * The order's items, in Amazon's order; absent when the source does not carry them (Orders API v0 without
   * `ORDERSYNC_V0_ITEMS`): the items stored before are then left as they are.
   */
  readonly items?: ReadonlyArray<OrderItem>
}

/**
 * One item of an order as ordersync stores it ("OrderItem"). Money is in the order's currency, as decimal strings,
 * NET of tax, so that itemPrice + itemTax + shippingPrice + shippingTax + giftWrapPrice + giftWrapTax −
 * promotionDiscount is the item's share of the order's total; all null where Amazon shows no prices (Pending orders).
 */
export interface OrderItem {
  /** Amazon's order item id; an order report has none, and its items are `report-1`, `report-2`, … in row order. */
  readonly orderItemId: string
  readonly sku: string | null
  readonly asin: string | null
  readonly title: string | null
  readonly quantity: number
  /** Units shipped, where the source says (not an order report). */
  readonly quantityShipped: number | null
  readonly itemPrice: string | null
  readonly itemTax: string | null
  readonly shippingPrice: string | null
  readonly shippingTax: string | null
  readonly giftWrapPrice: string | null
  readonly giftWrapTax: string | null
  /** Item and shipping promotions together, as the amount taken off (≥ 0). */
  readonly promotionDiscount: string | null
  readonly currency: string | null
  /** `SHIPPED`, `UNSHIPPED` or `CANCELLED` (a report's `item-status`, or the API's fulfilled quantities). */
  readonly itemStatus: string | null
  /**
   * The item as Amazon sent it: where it is inside its order's `raw` (`["orderItems", "0"]`, a report's
   * `["rows", "2"]`), so it is not sent to the database twice, or the item itself (v0's getOrderItems).
   */
  readonly raw: { readonly path: ReadonlyArray<string> } | { readonly value: unknown }
}

/** An item's money where Amazon shows none. */
export const NO_MONEY = {
  itemPrice: null,
  itemTax: null,
  shippingPrice: null,
  shippingTax: null,
  giftWrapPrice: null,
  giftWrapTax: null,
  promotionDiscount: null,
  currency: null
} as const

/** The item without money: where its order has no total (a Pending order), its items show none either. */
export const withoutMoney = (item: OrderItem): OrderItem => ({ ...item, ...NO_MONEY })

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
