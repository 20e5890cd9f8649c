import { formatMinor, type OrderItem, orderItems } from "./Catalog.js"
import { chargedTotal, type ItemCharges, netPrices, orderChargedTotal, orderCharges } from "./Charges.js"
import type { GroundTruthItem, GroundTruthOrder } from "./Listing.js"
import { findMarketplace } from "./Marketplaces.js"
import {
  type FulfillmentStatus,
  itemStatusOf,
  type OrderBook,
  orderIdOf,
  orderSeed,
  SECOND,
  statusAt,
  updatedAt
} from "./OrderBook.js"
import { makeRandom, mixSeed } from "./Random.js"

const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z")

const v0Status: Record<FulfillmentStatus, string> = {
  PENDING: "Pending",
  UNSHIPPED: "Unshipped",
  PARTIALLY_SHIPPED: "PartiallyShipped",
  SHIPPED: "Shipped",
  CANCELLED: "Canceled",
  UNFULFILLABLE: "Unfulfillable",
  PENDING_AVAILABILITY: "PendingAvailability"
}

/** Pending orders carry no total and no item prices, as on Amazon. */
const hasTotal = (status: FulfillmentStatus) => status !== "PENDING" && status !== "PENDING_AVAILABILITY"

interface OrderFacts {
  readonly orderId: string
  readonly createdTime: string
  readonly lastUpdatedTime: string
  readonly status: FulfillmentStatus
  readonly marketplaceId: string
  readonly marketplaceName: string
  readonly countryCode: string
  readonly currency: string
  readonly fulfilledByAmazon: boolean
  readonly items: ReadonlyArray<OrderItem>
  /** Per item, in the items' order. */
  readonly charges: ReadonlyArray<ItemCharges>
  /** The order's total charge (Charges.ts `chargedTotal`): what `grandTotal` and `OrderTotal` show. */
  readonly totalMinor: number
  readonly seed: number
  readonly createdMs: number
}

const factsOf = (book: OrderBook, i: number, now: number): OrderFacts => {
  const marketplaceId = book.marketplaceIds[book.marketplace[i]!]!
  const marketplace = findMarketplace(marketplaceId)
  const seed = orderSeed(book, i)
  const items = orderItems(book.catalog, seed, marketplaceId)
  const fulfilledByAmazon = book.fulfilledByAmazon[i] === 1
  const charges = orderCharges(items, seed, marketplace, fulfilledByAmazon, book.vatCalculationService)
  return {
    orderId: orderIdOf(book, i),
    createdTime: iso(book.created[i]!),
    lastUpdatedTime: iso(updatedAt(book, i, now)),
    status: statusAt(book, i, now),
    marketplaceId,
    marketplaceName: marketplace?.name ?? "Amazon",
    countryCode: marketplace?.countryCode ?? "US",
    currency: marketplace?.currency ?? "USD",
    fulfilledByAmazon,
    items,
    charges,
    totalMinor: orderChargedTotal(charges),
    seed,
    createdMs: book.created[i]!
  }
}

export const groundTruthOrder = (book: OrderBook, i: number, asOf: number, withItems = true): GroundTruthOrder => {
  const facts = factsOf(book, i, asOf)
  const total = hasTotal(facts.status)
  return {
    orderId: facts.orderId,
    createdTime: facts.createdTime,
    lastUpdatedTime: facts.lastUpdatedTime,
    status: facts.status,
    totalAmount: total ? formatMinor(facts.totalMinor, facts.currency) : null,
    currency: total ? facts.currency : null,
    fulfillmentChannel: facts.fulfilledByAmazon ? "AMAZON" : "MERCHANT",
    marketplaceId: facts.marketplaceId,
    items: withItems ? groundTruthItems(facts) : []
  }
}

/** The items as a correct sync stores them (Listing.ts `GroundTruthItem`): prices net of their tax. */
const groundTruthItems = (facts: OrderFacts): ReadonlyArray<GroundTruthItem> => {
  const priced = hasTotal(facts.status)
  const amount = (minor: number) => (priced ? formatMinor(minor, facts.currency) : null)
  return facts.items.map((item, k): GroundTruthItem => {
    const c = facts.charges[k]!
    const net = netPrices(c)
    const itemStatus = itemStatusOf(facts.status, k)
    return {
      orderItemId: item.orderItemId,
      sku: item.product.sellerSku,
      asin: item.product.asin,
      title: item.product.title,
      quantity: item.quantity,
      quantityShipped: itemStatus === "SHIPPED" ? item.quantity : 0,
      itemStatus,
      itemPrice: amount(net.itemPrice),
      itemTax: amount(c.itemTax),
      shippingPrice: amount(net.shippingPrice),
      shippingTax: amount(c.shippingTax),
      giftWrapPrice: amount(net.giftWrapPrice),
      giftWrapTax: amount(c.giftWrapTax),
      promotionDiscount: amount(c.itemPromotionDiscount + c.shipPromotionDiscount),
      currency: priced ? facts.currency : null
    }
  })
}

export type IncludedData = ReadonlySet<string>

const cities: ReadonlyArray<readonly [string, string, string]> = [
  ["SEATTLE", "WA", "98101"],
  ["AUSTIN", "TX", "73301"],
  ["LONDON", "London", "SW1A 1AA"],
  ["BERLIN", "Berlin", "10115"],
  ["TORONTO", "ON", "M5H 2N2"]
]

/**
 * An order of Orders API 2026-01-01, shaped by the `Order` definition of its model. Datasets are opt-in, as
 * Amazon documents for `searchOrders` ("If you do not include `includedData`, the response will include only basic
 * information about the orders, such as orderId, createdTime, salesChannel, programs, orderItemId, product …"):
 * `fulfillment` (order and items) only with FULFILLMENT, `proceeds` (order and items) only with PROCEEDS, `buyer`
 * only with BUYER, `recipient` only with RECIPIENT. The other datasets are accepted and not rendered.
 */
export const renderOrder2026 = (book: OrderBook, i: number, now: number, included: IncludedData): Record<string, unknown> => {
  const facts = factsOf(book, i, now)
  const priced = hasTotal(facts.status)
  const money = (minor: number) => ({ amount: formatMinor(minor, facts.currency), currencyCode: facts.currency })
  const fulfillment = included.has("FULFILLMENT")
  const proceeds = included.has("PROCEEDS") && priced
  const order: Record<string, unknown> = {
    orderId: facts.orderId,
    createdTime: facts.createdTime,
    lastUpdatedTime: facts.lastUpdatedTime,
    programs: facts.fulfilledByAmazon ? ["PRIME"] : [],
    salesChannel: { channelName: "AMAZON", marketplaceId: facts.marketplaceId, marketplaceName: facts.marketplaceName },
    orderItems: facts.items.map((item, k) => ({
      orderItemId: item.orderItemId,
      quantityOrdered: item.quantity,
      product: {
        asin: item.product.asin,
        title: item.product.title,
        sellerSku: item.product.sellerSku,
        condition: { conditionType: "New", conditionSubtype: "New" },
        ...(priced ? { price: { unitPrice: money(item.unitPriceMinor) } } : {})
      },
      ...(proceeds ? { proceeds: itemProceeds(facts.charges[k]!, money) } : {}),
      ...(fulfillment ? { fulfillment: itemFulfillment(itemStatusOf(facts.status, k) === "SHIPPED", item.quantity) } : {})
    }))
  }
  if (fulfillment) {
    order.fulfillment = {
      fulfillmentStatus: facts.status,
      fulfilledBy: facts.fulfilledByAmazon ? "AMAZON" : "MERCHANT",
      fulfillmentServiceLevel: "STANDARD"
    }
  }
  if (proceeds) order.proceeds = { grandTotal: money(facts.totalMinor), breakdowns: orderBreakdowns(facts.charges, money) }
  if (included.has("BUYER")) order.buyer = { buyerEmail: `${facts.orderId.replaceAll("-", "")}@marketplace.amazon.com` }
  if (included.has("RECIPIENT")) {
    const [city, stateOrRegion, postalCode] = cities[makeRandom(mixSeed(facts.seed, 3)).int(cities.length)]!
    order.recipient = { deliveryAddress: { city, stateOrRegion, postalCode, countryCode: facts.countryCode, addressType: "RESIDENTIAL" } }
  }
  return order
}

const itemFulfillment = (shipped: boolean, quantity: number) =>
  ({ quantityFulfilled: shipped ? quantity : 0, quantityUnfulfilled: shipped ? 0 : quantity })

type Money = (minor: number) => { readonly amount: string; readonly currencyCode: string }

/**
 * `ItemProceeds` (orders_2026-01-01.json #/definitions/ItemProceeds): `proceedsTotal` is the item's total charge, and
 * the `breakdowns` (ITEM, SHIPPING, GIFT_WRAP, TAX, DISCOUNT; the last two with `detailedBreakdowns` by subtype) add
 * up to it. The model gives no sign for DISCOUNT: the simulator writes it negative, so that the parts sum. Nor does
 * it say whether ITEM includes TAX: the simulator's ITEM, SHIPPING and GIFT_WRAP are net of it, so that a seller in
 * the VAT Calculation Service, whose VAT is inside the prices, still has breakdowns that sum to `proceedsTotal`.
 */
const itemProceeds = (c: ItemCharges, money: Money) => {
  const detailed = (parts: ReadonlyArray<readonly [string, number]>) =>
    parts.filter(([, amount]) => amount !== 0).map(([subtype, amount]) => ({ subtype, value: money(amount) }))
  const net = netPrices(c)
  const breakdowns: Array<Record<string, unknown>> = [{ type: "ITEM", subtotal: money(net.itemPrice) }]
  if (c.shippingPrice !== 0) breakdowns.push({ type: "SHIPPING", subtotal: money(net.shippingPrice) })
  if (c.giftWrapPrice !== 0) breakdowns.push({ type: "GIFT_WRAP", subtotal: money(net.giftWrapPrice) })
  const tax = c.itemTax + c.shippingTax + c.giftWrapTax
  if (tax !== 0) {
    breakdowns.push({
      type: "TAX",
      subtotal: money(tax),
      detailedBreakdowns: detailed([["ITEM", c.itemTax], ["SHIPPING", c.shippingTax], ["GIFT_WRAP", c.giftWrapTax]])
    })
  }
  const discount = c.itemPromotionDiscount + c.shipPromotionDiscount
  if (discount !== 0) {
    breakdowns.push({
      type: "DISCOUNT",
      subtotal: money(-discount),
      detailedBreakdowns: detailed([["ITEM", -c.itemPromotionDiscount], ["SHIPPING", -c.shipPromotionDiscount]])
    })
  }
  return { proceedsTotal: money(chargedTotal(c)), breakdowns }
}

/** `OrderProceeds.breakdowns`: the items' categories aggregated (the model: "aggregated across all order items"). */
const orderBreakdowns = (charges: ReadonlyArray<ItemCharges>, money: Money) => {
  const sum = (part: (c: ItemCharges) => number) => charges.reduce((total, c) => total + part(c), 0)
  const categories: ReadonlyArray<readonly [string, number]> = [
    ["ITEM", sum((c) => netPrices(c).itemPrice)],
    ["SHIPPING", sum((c) => netPrices(c).shippingPrice)],
    ["GIFT_WRAP", sum((c) => netPrices(c).giftWrapPrice)],
    ["TAX", sum((c) => c.itemTax + c.shippingTax + c.giftWrapTax)],
    ["DISCOUNT", -sum((c) => c.itemPromotionDiscount + c.shipPromotionDiscount)]
  ]
  return categories.filter(([type, amount]) => type === "ITEM" || amount !== 0).map(([type, amount]) => ({ type, subtotal: money(amount) }))
}

/** An order of Orders API v0, shaped by the `Order` definition of its model. */
export const renderOrderV0 = (book: OrderBook, i: number, now: number): Record<string, unknown> => {
  const facts = factsOf(book, i, now)
  const quantity = facts.items.reduce((sum, item) => sum + item.quantity, 0)
  const shipped = facts.items.reduce((sum, item, k) => sum + (itemStatusOf(facts.status, k) === "SHIPPED" ? item.quantity : 0), 0)
  const order: Record<string, unknown> = {
    AmazonOrderId: facts.orderId,
    PurchaseDate: facts.createdTime,
    LastUpdateDate: facts.lastUpdatedTime,
    OrderStatus: v0Status[facts.status],
    FulfillmentChannel: facts.fulfilledByAmazon ? "AFN" : "MFN",
    SalesChannel: facts.marketplaceName,
    ShipServiceLevel: facts.fulfilledByAmazon ? "Expedited" : "Std US D2D Dom",
    NumberOfItemsShipped: shipped,
    NumberOfItemsUnshipped: quantity - shipped,
    PaymentMethod: "Other",
    PaymentMethodDetails: ["Standard"],
    MarketplaceId: facts.marketplaceId,
    ShipmentServiceLevelCategory: facts.fulfilledByAmazon ? "Expedited" : "Standard",
    OrderType: "StandardOrder",
    EarliestShipDate: iso(facts.createdMs + 86_400 * SECOND),
    LatestShipDate: iso(facts.createdMs + 2 * 86_400 * SECOND),
    IsBusinessOrder: false,
    IsPrime: facts.fulfilledByAmazon,
    IsPremiumOrder: false,
    IsGlobalExpressEnabled: false,
    IsReplacementOrder: false,
    IsSoldByAB: false,
    IsISPU: false,
    IsAccessPointOrder: false,
    HasRegulatedItems: false
  }
  if (hasTotal(facts.status)) {
    order.OrderTotal = { CurrencyCode: facts.currency, Amount: formatMinor(facts.totalMinor, facts.currency) }
  }
  return order
}

/**
 * v0 `getOrderItems`' payload (ordersV0.json #/definitions/OrderItemsList): every item of the order on one page (an
 * order has at most three), so never a `NextToken`. Money follows v0's convention, that of the order reports:
 * `ItemPrice` is the price × quantity and excludes shipping and gift wrap (the model's
 * #/definitions/OrderItem/properties/ItemPrice); in US/CA the taxes come on top, in the VAT marketplaces the prices
 * include the VAT, which `ItemTax` & co. show for a seller in the VAT Calculation Service and is 0 otherwise.
 * `PromotionDiscount` is the item promotion, `ShippingDiscount` the shipping one; the taxes are already net of their
 * promotions (as the report's columns), so `PromotionDiscountTax` and `ShippingDiscountTax` are 0. A Pending order's
 * items have no pricing, taxes, shipping charges, gift status or promotions, as the operation's description says.
 */
export const renderOrderItemsV0 = (book: OrderBook, i: number, now: number): Record<string, unknown> => {
  const facts = factsOf(book, i, now)
  const priced = hasTotal(facts.status)
  const money = (minor: number) => ({ CurrencyCode: facts.currency, Amount: formatMinor(minor, facts.currency) })
  return {
    AmazonOrderId: facts.orderId,
    OrderItems: facts.items.map((item, k) => {
      const c = facts.charges[k]!
      const gift = c.giftWrapPrice > 0
      return {
        ASIN: item.product.asin,
        SellerSKU: item.product.sellerSku,
        OrderItemId: item.orderItemId,
        Title: item.product.title,
        QuantityOrdered: item.quantity,
        QuantityShipped: itemStatusOf(facts.status, k) === "SHIPPED" ? item.quantity : 0,
        ProductInfo: { NumberOfItems: "1" },
        ...(priced
          ? {
            ItemPrice: money(c.itemPrice),
            ShippingPrice: money(c.shippingPrice),
            ItemTax: money(c.itemTax),
            ShippingTax: money(c.shippingTax),
            ShippingDiscount: money(c.shipPromotionDiscount),
            ShippingDiscountTax: money(0),
            PromotionDiscount: money(c.itemPromotionDiscount),
            PromotionDiscountTax: money(0),
            IsGift: gift ? "true" : "false",
            ...(gift ? { BuyerInfo: { GiftWrapPrice: money(c.giftWrapPrice), GiftWrapTax: money(c.giftWrapTax), GiftWrapLevel: "Classic" } } : {})
          }
          : {}),
        ConditionId: "New",
        ConditionSubtypeId: "New",
        IsTransparency: false
      }
    })
  }
}
