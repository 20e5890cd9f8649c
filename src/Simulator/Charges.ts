import type { OrderItem } from "./Catalog.js"
import { currencyDigits, type Marketplace } from "./Marketplaces.js"
import { makeRandom, mixSeed } from "./Random.js"

/**
 * What the buyer is charged for one order item, in minor units of the order's currency, each part as its own
 * report column writes it (`item-price` … `ship-promotion-discount`). Discounts are what is taken off (≥ 0).
 */
export interface ItemCharges {
  /** Unit price × quantity. */
  readonly itemPrice: number
  readonly itemTax: number
  readonly shippingPrice: number
  readonly shippingTax: number
  readonly giftWrapPrice: number
  readonly giftWrapTax: number
  readonly itemPromotionDiscount: number
  readonly shipPromotionDiscount: number
}

/**
 * THE simulator's total rule, for an item and (summed) for an order: every charge minus the discounts. The Orders
 * API's `proceeds.grandTotal` / `OrderTotal` and item `proceedsTotal` are this; a report's rows carry the parts.
 */
export const chargedTotal = (c: ItemCharges): number =>
  c.itemPrice + c.itemTax + c.shippingPrice + c.shippingTax + c.giftWrapPrice + c.giftWrapTax -
  c.itemPromotionDiscount - c.shipPromotionDiscount

export const orderChargedTotal = (charges: ReadonlyArray<ItemCharges>): number => {
  let total = 0
  for (const c of charges) total += chargedTotal(c)
  return total
}

/**
 * Sales tax rates, one drawn per order, where prices are shown before tax (US, CA): the report's `*-tax` columns carry
 * it on top of the prices. Elsewhere prices include VAT/GST and the tax columns are 0: Amazon's SP-API docs (VAT
 * Calculation Service, "Allow Amazon to Create Invoices for You") put the VAT *inside* `item_price`, and Seller
 * Central JP's order report fields say `item-tax` is not used on Amazon.co.jp. The rule's limit there: finding F11.
 */
const TAX_RATES: Readonly<Record<string, ReadonlyArray<number>>> = {
  US: [0, 0.06, 0.0725, 0.0825, 0.1025],
  CA: [0.05, 0.13, 0.15]
}

/** Shipping and gift wrap per item, in USD; scaled per marketplace like the catalog's prices. */
const SHIPPING_USD = [3.99, 4.99, 5.99]
const GIFT_WRAP_USD = 3.99
const ITEM_PROMOTION_SHARES = [0.05, 0.1, 0.15, 0.2]

const minor = (usd: number, scale: number, digits: number): number => Math.max(1, Math.round(usd * scale * 10 ** digits))

/**
 * The charges of an order's items, drawn from the order's own seed (apart from the items' draws, so the items stay
 * as they were). About a third of orders pay shipping (most of them seller-fulfilled), and a third of those get it
 * back as a promotion; one in ten has an item promotion, one in twenty gift wrap. Tax is on the price net of its
 * promotion. Status plays no part: a pending order has the same charges, only not shown.
 */
export const orderCharges = (
  items: ReadonlyArray<OrderItem>,
  orderSeed: number,
  marketplace: Marketplace | undefined,
  fulfilledByAmazon: boolean
): ReadonlyArray<ItemCharges> => {
  const random = makeRandom(mixSeed(orderSeed, 0xc4a6))
  const digits = currencyDigits(marketplace?.currency ?? "USD")
  const scale = marketplace?.priceScale ?? 1
  const rates = TAX_RATES[marketplace?.countryCode ?? "US"] ?? [0]
  const rate = rates[random.int(rates.length)]!
  const shipping = random.chance(fulfilledByAmazon ? 0.15 : 0.6)
    ? minor(SHIPPING_USD[random.int(SHIPPING_USD.length)]!, scale, digits)
    : 0
  const freeShipping = shipping > 0 && random.chance(0.3)
  const giftWrap = random.chance(0.05)
  const promotionShare = random.chance(0.1) ? ITEM_PROMOTION_SHARES[random.int(ITEM_PROMOTION_SHARES.length)]! : 0
  const tax = (amount: number) => Math.round(amount * rate)
  return items.map((item): ItemCharges => {
    const itemPrice = item.unitPriceMinor * item.quantity
    const itemPromotionDiscount = promotionShare > 0 ? Math.max(1, Math.round(itemPrice * promotionShare)) : 0
    const shippingPrice = shipping * item.quantity
    const shipPromotionDiscount = freeShipping ? shippingPrice : 0
    const giftWrapPrice = giftWrap ? minor(GIFT_WRAP_USD, scale, digits) * item.quantity : 0
    return {
      itemPrice,
      itemTax: tax(itemPrice - itemPromotionDiscount),
      shippingPrice,
      shippingTax: tax(shippingPrice - shipPromotionDiscount),
      giftWrapPrice,
      giftWrapTax: tax(giftWrapPrice),
      itemPromotionDiscount,
      shipPromotionDiscount
    }
  })
}
