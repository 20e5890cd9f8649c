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
  /**
   * The three tax parts are the VAT already inside the prices (a seller in the VAT Calculation Service, in a VAT
   * marketplace), not a tax on top of them: the buyer pays the prices alone.
   */
  readonly taxIncluded: boolean
}

/**
 * THE simulator's total rule, for an item and (summed) for an order: every charge minus the discounts, a tax counted
 * only when it is on top of its price. The Orders API's `proceeds.grandTotal` / `OrderTotal` and item
 * `proceedsTotal` are this; a report's rows carry the parts.
 */
export const chargedTotal = (c: ItemCharges): number =>
  c.itemPrice + c.shippingPrice + c.giftWrapPrice + (c.taxIncluded ? 0 : c.itemTax + c.shippingTax + c.giftWrapTax) -
  c.itemPromotionDiscount - c.shipPromotionDiscount

/**
 * The prices net of their tax: what a reader stores beside the tax so that price + tax − discounts is the total
 * (Amazon's VCS page: "The VAT-exclusive amount is the item price minus the item tax"). Equal to the prices where the
 * tax is on top of them.
 */
export const netPrices = (c: ItemCharges): { readonly itemPrice: number; readonly shippingPrice: number; readonly giftWrapPrice: number } =>
  c.taxIncluded
    ? { itemPrice: c.itemPrice - c.itemTax, shippingPrice: c.shippingPrice - c.shippingTax, giftWrapPrice: c.giftWrapPrice - c.giftWrapTax }
    : c

export const orderChargedTotal = (charges: ReadonlyArray<ItemCharges>): number => {
  let total = 0
  for (const c of charges) total += chargedTotal(c)
  return total
}

/**
 * Sales tax rates, one drawn per order, where prices are shown before tax (US, CA): the report's `*-tax` columns carry
 * it on top of the prices. Elsewhere prices include VAT/GST and the tax columns are 0 for a seller not in Amazon's
 * VAT Calculation Service; for one in it (`vatCalculationService`), Amazon's SP-API docs ("(Option 1) Allow Amazon to
 * Create Invoices for You") put the VAT *inside* `item_price` and show it in `item_tax` (`VCS_VAT_PERCENT` below).
 * Seller Central JP's order report fields say `item-tax` is not used on Amazon.co.jp. Finding F11.
 */
const TAX_RATES: Readonly<Record<string, ReadonlyArray<number>>> = {
  US: [0, 0.06, 0.0725, 0.0825, 0.1025],
  CA: [0.05, 0.13, 0.15]
}

/**
 * Standard VAT rates (percent) of the marketplaces where Amazon's VAT Calculation Service runs (the EU's and the UK's),
 * by country. For an enrolled seller the VAT inside each charge is shown in the tax columns: charge × r / (1 + r),
 * rounded to minor units, the charge being what the buyer pays (net of its promotion). Reduced rates are not modelled.
 */
const VCS_VAT_PERCENT: Readonly<Record<string, number>> = {
  DE: 19, FR: 20, GB: 20, IT: 22, ES: 21, NL: 21, BE: 21, IE: 23, SE: 25, PL: 23
}

/** The VAT rate (percent) a seller's charges carry inside them in a marketplace, or undefined where there is none to show. */
export const vcsVatPercent = (marketplace: Marketplace | undefined, vatCalculationService: boolean): number | undefined =>
  vatCalculationService ? VCS_VAT_PERCENT[marketplace?.countryCode ?? ""] : undefined

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
  fulfilledByAmazon: boolean,
  vatCalculationService = false
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
  const vatPercent = vcsVatPercent(marketplace, vatCalculationService)
  // Integer arithmetic for the VAT inside a charge, so that 1190 at 19% is exactly 190.
  const tax = vatPercent === undefined
    ? (amount: number) => Math.round(amount * rate)
    : (amount: number) => Math.round((amount * vatPercent) / (100 + vatPercent))
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
      shipPromotionDiscount,
      taxIncluded: vatPercent !== undefined
    }
  })
}
