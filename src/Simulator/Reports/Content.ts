import { formatMinor, orderItems } from "../Catalog.js"
import { type ItemCharges, orderChargedTotal, orderCharges } from "../Charges.js"
import { findMarketplace } from "../Marketplaces.js"
import {
  type FulfillmentStatus,
  HORIZON_MS,
  isVisible,
  type ItemStatus,
  itemStatusOf,
  type OrderBook,
  orderIdOf,
  orderSeed,
  statusAt,
  updatedAt
} from "../OrderBook.js"
import { makeRandom, mixSeed } from "../Random.js"
import { discountSign } from "./Document.js"
import type { OrderReportType } from "./Settings.js"

/** What a report selects: a validated createReport request. */
export interface ReportQuery {
  readonly reportType: OrderReportType
  readonly marketplaceIds: ReadonlyArray<string>
  readonly dataStart: number
  readonly dataEnd: number
}

/** The money columns of a row, as the file writes them: for the row's whole quantity; null where Amazon leaves them empty. */
export interface ReportMoney {
  readonly itemPrice: string | null
  readonly itemTax: string | null
  readonly shippingPrice: string | null
  readonly shippingTax: string | null
  readonly giftWrapPrice: string | null
  readonly giftWrapTax: string | null
  /** Negative, or positive for orders of some marketplaces (Document.ts `discountSign`): Amazon documents no sign. */
  readonly itemPromotionDiscount: string | null
  readonly shipPromotionDiscount: string | null
}

/** One row of the file: an order item. */
export interface ReportItem extends ReportMoney {
  readonly sku: string
  readonly asin: string
  readonly productName: string
  readonly itemStatus: "Shipped" | "Unshipped" | "Cancelled"
  readonly quantity: number
}

/** An order as an order tracking report describes it: the ground truth of a report's rows. */
export interface ReportOrder {
  readonly orderId: string
  readonly purchaseDate: string
  readonly lastUpdatedDate: string
  /** The Orders API's status of the same order at the report's snapshot time. */
  readonly status: FulfillmentStatus
  /** As the report writes it: `Pending`, `Shipping`, `Shipped - Delivered to Buyer`, `Cancelled`, … */
  readonly orderStatus: string
  readonly fulfillmentChannel: "Amazon" | "Merchant"
  readonly salesChannel: string
  readonly marketplaceId: string
  readonly shipServiceLevel: string
  readonly currency: string | null
  /**
   * The simulator's one total rule (Charges.ts `chargedTotal`) over the order's rows: item-price + item-tax +
   * shipping-price + shipping-tax + gift-wrap-price + gift-wrap-tax − the two promotion discounts, except for a
   * seller in the VAT Calculation Service in a VAT marketplace, whose tax columns are the VAT already inside the
   * prices and do not count. It equals the Orders API's `proceeds.grandTotal` / `OrderTotal` wherever both have one.
   * Null when the prices are empty (seller-fulfilled Pending orders).
   */
  readonly totalAmount: string | null
  readonly shipCity: string
  readonly shipState: string
  readonly shipPostalCode: string
  readonly shipCountry: string
  readonly items: ReadonlyArray<ReportItem>
}

/** `2026-05-08T23:36:26+00:00`: the reports' date format. */
export const reportDate = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00")

const reportMoney = (c: ItemCharges, currency: string, sign: 1 | -1): ReportMoney => ({
  itemPrice: formatMinor(c.itemPrice, currency),
  itemTax: formatMinor(c.itemTax, currency),
  shippingPrice: formatMinor(c.shippingPrice, currency),
  shippingTax: formatMinor(c.shippingTax, currency),
  giftWrapPrice: formatMinor(c.giftWrapPrice, currency),
  giftWrapTax: formatMinor(c.giftWrapTax, currency),
  itemPromotionDiscount: formatMinor(sign * c.itemPromotionDiscount, currency),
  shipPromotionDiscount: formatMinor(sign * c.shipPromotionDiscount, currency)
})

const UNPRICED_MONEY: ReportMoney = {
  itemPrice: null,
  itemTax: null,
  shippingPrice: null,
  shippingTax: null,
  giftWrapPrice: null,
  giftWrapTax: null,
  itemPromotionDiscount: null,
  shipPromotionDiscount: null
}

const DELIVERED_AFTER_MS = 3 * 86_400_000

const orderStatusOf = (status: FulfillmentStatus, fulfilledByAmazon: boolean, sinceUpdateMs: number): string => {
  switch (status) {
    case "PENDING":
      return "Pending"
    case "UNSHIPPED":
    case "PARTIALLY_SHIPPED":
      return "Shipping"
    case "SHIPPED":
      // Seller-fulfilled orders show delivery once the carrier confirmed it.
      return !fulfilledByAmazon && sinceUpdateMs > DELIVERED_AFTER_MS ? "Shipped - Delivered to Buyer" : "Shipped"
    case "CANCELLED":
      return "Cancelled"
    case "UNFULFILLABLE":
      return "Unfulfillable"
    case "PENDING_AVAILABILITY":
      // No source says how a report writes a pre-order ("Pending - Waiting for Pick Up" is not one: ReportOrders.ts).
      return "Pending"
  }
}

/** Per row, in the report's words (OrderBook.ts `itemStatusOf`: a partially shipped order shows its first item shipped). */
const reportItemStatus: Readonly<Record<ItemStatus, ReportItem["itemStatus"]>> = { SHIPPED: "Shipped", UNSHIPPED: "Unshipped", CANCELLED: "Cancelled" }

const addresses: Record<string, ReadonlyArray<readonly [string, string, string]>> = {
  US: [["SEATTLE", "WA", "98101"], ["AUSTIN", "TX", "73301"], ["NEW YORK", "NY", "10001"]],
  CA: [["TORONTO", "ON", "M5H 2N2"], ["MONTRÉAL", "QC", "H2Y 1C6"]],
  MX: [["CIUDAD DE MÉXICO", "CDMX", "06000"]],
  GB: [["LONDON", "London", "SW1A 1AA"], ["MANCHESTER", "Greater Manchester", "M1 1AE"]],
  DE: [["MÜNCHEN", "Bayern", "80331"], ["KÖLN", "Nordrhein-Westfalen", "50667"], ["BERLIN", "Berlin", "10115"]],
  FR: [["PARIS", "Île-de-France", "75001"], ["ORLÉANS", "Centre-Val de Loire", "45000"]],
  JP: [["渋谷区", "東京都", "150-0002"], ["大阪市北区", "大阪府", "530-0001"]]
}

const describe = (book: OrderBook, i: number, asOf: number): ReportOrder => {
  const marketplaceId = book.marketplaceIds[book.marketplace[i]!]!
  const marketplace = findMarketplace(marketplaceId)
  const currency = marketplace?.currency ?? "USD"
  const country = marketplace?.countryCode ?? "US"
  const seed = orderSeed(book, i)
  const status = statusAt(book, i, asOf)
  const updated = updatedAt(book, i, asOf)
  const fulfilledByAmazon = book.fulfilledByAmazon[i] === 1
  // Amazon leaves price and currency empty on seller-fulfilled Pending orders only.
  const priced = !(status === "PENDING" && !fulfilledByAmazon)
  const ordered = orderItems(book.catalog, seed, marketplaceId)
  const charges = orderCharges(ordered, seed, marketplace, fulfilledByAmazon, book.vatCalculationService)
  const sign = discountSign(marketplaceId)
  const items = ordered.map((item, index): ReportItem => ({
    sku: item.product.sellerSku,
    asin: item.product.asin,
    productName: item.product.title,
    itemStatus: reportItemStatus[itemStatusOf(status, index)],
    quantity: item.quantity,
    ...(priced ? reportMoney(charges[index]!, currency, sign) : UNPRICED_MONEY)
  }))
  const choices = addresses[country] ?? [["", "", ""] as const]
  const [shipCity, shipState, shipPostalCode] = choices[makeRandom(mixSeed(seed, 0xad)).int(choices.length)]!
  return {
    orderId: orderIdOf(book, i),
    purchaseDate: reportDate(book.created[i]!),
    lastUpdatedDate: reportDate(updated),
    status,
    orderStatus: orderStatusOf(status, fulfilledByAmazon, asOf - updated),
    fulfillmentChannel: fulfilledByAmazon ? "Amazon" : "Merchant",
    salesChannel: marketplace?.name ?? "Amazon.com",
    marketplaceId,
    shipServiceLevel: fulfilledByAmazon ? "Expedited" : "Standard",
    currency: priced ? currency : null,
    totalAmount: priced ? formatMinor(orderChargedTotal(charges), currency) : null,
    shipCity,
    shipState,
    shipPostalCode,
    shipCountry: country,
    items
  }
}

/**
 * The orders a report holds: the order book as it was at `asOf` (the report's processing start
 * minus the lag), orders of the requested marketplaces whose purchase date (BY_ORDER_DATE) or last
 * update (BY_LAST_UPDATE) lies in [dataStart, dataEnd], ordered by that date then order id.
 */
export const reportGroundTruth = (
  book: OrderBook,
  query: ReportQuery,
  asOf: number,
  scope: ReportScope = MODEL_SCOPE
): ReadonlyArray<ReportOrder> => {
  const byOrderDate = query.reportType === "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
  const wanted = new Set(query.marketplaceIds)
  const horizon = asOf - HORIZON_MS
  const picked: Array<readonly [number, number]> = []
  for (let i = 0; i < book.size; i++) {
    if (!isVisible(book, i, asOf) || book.created[i]! < horizon) continue
    // A seller's order book is one region (its ids take the region of its first marketplace).
    if (!scope.regionWide && !wanted.has(book.marketplaceIds[book.marketplace[i]!]!)) continue
    const time = byOrderDate ? book.created[i]! : updatedAt(book, i, asOf)
    if (time >= query.dataStart && time <= query.dataEnd) picked.push([time, i])
  }
  picked.sort((a, b) => a[0] - b[0] || book.idPrefix[a[1]]! - book.idPrefix[b[1]]! || book.idRest[a[1]]! - book.idRest[b[1]]!)
  return picked.flatMap(([, i]) => {
    const order = describe(book, i, asOf)
    return scope.regionWide && hasNonAmazonTwin(book, i, scope.nonAmazonShare) ? [order, nonAmazonTwin(order)] : [order]
  })
}

/** Which marketplaces a report holds: the ones asked (the model's reading) or the whole region (the field's). */
export interface ReportScope {
  readonly regionWide: boolean
  readonly nonAmazonShare: number
}

export const MODEL_SCOPE: ReportScope = { regionWide: false, nonAmazonShare: 0 }

const hasNonAmazonTwin = (book: OrderBook, i: number, share: number) =>
  share > 0 && makeRandom(mixSeed(orderSeed(book, i), 0x3cf)).next() < share

/**
 * A multi-channel fulfilment order placed with the order it mirrors, as a report lists it: `sales-channel`
 * "Non-Amazon", an id of its own. Amazon documents neither the id's shape nor the row; this is the simulator's.
 */
const nonAmazonTwin = (order: ReportOrder): ReportOrder => ({
  ...order,
  orderId: `S01-${order.orderId.slice(4)}`,
  salesChannel: "Non-Amazon",
  marketplaceId: "",
  fulfillmentChannel: "Amazon"
})

export const rowCount = (orders: ReadonlyArray<ReportOrder>): number => orders.reduce((sum, order) => sum + order.items.length, 0)
