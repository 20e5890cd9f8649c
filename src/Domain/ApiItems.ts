import { Either } from "effect"
import { isDecimal, sameAmount, subtractAmount, sumAmounts, type Term } from "./Money.js"
import type { OrderItem } from "./Order.js"

// An order's items as the Orders API sends them. 2026-01-01 carries them in every order (`orderItems` is required in
// `definitions/Order` of orders_2026-01-01.json), their money in each item's `proceeds` (asked for with
// includedData=PROCEEDS, which the order's total needs anyway): no extra request and no extra dataset.

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const stringOrNull = (u: unknown): string | null => (typeof u === "string" ? u : null)
const intOrNull = (u: unknown): number | null => (Number.isSafeInteger(u) ? (u as number) : null)

/** The money parts of an item, before they are checked against its total. */
interface Parts {
  item: Array<Term>
  shipping: Array<Term>
  giftWrap: Array<Term>
  itemTax: Array<Term>
  shippingTax: Array<Term>
  giftWrapTax: Array<Term>
  discount: Array<Term>
  /** COD_FEE and OTHER: part of the total, no column of their own (they stay in `raw`). */
  other: Array<Term>
}

const TAX_SUBTYPE: Readonly<Record<string, keyof Parts>> = { ITEM: "itemTax", SHIPPING: "shippingTax", GIFT_WRAP: "giftWrapTax" }
const CATEGORY: Readonly<Record<string, keyof Parts>> = { ITEM: "item", SHIPPING: "shipping", GIFT_WRAP: "giftWrap", COD_FEE: "other", OTHER: "other" }

/** A Money object's amount, checked; the currency is gathered into `currencies`. */
const amountOf = (money: unknown, where: string, currencies: Set<string>): Either.Either<string, string> => {
  if (!isRecord(money) || typeof money.amount !== "string") return Either.left(`${where} has no amount`)
  if (!isDecimal(money.amount)) return Either.left(`${where} "${money.amount.slice(0, 40)}" is not a decimal number`)
  if (typeof money.currencyCode === "string") currencies.add(money.currencyCode)
  return Either.right(money.amount)
}

interface ItemMoney {
  readonly itemPrice: string
  readonly itemTax: string
  readonly shippingPrice: string
  readonly shippingTax: string
  readonly giftWrapPrice: string
  readonly giftWrapTax: string
  readonly promotionDiscount: string
  readonly currency: string | null
}

/**
 * An item's `ItemProceeds` as net parts. The model says neither whether ITEM includes the tax nor the sign of
 * DISCOUNT: the parts are read so that they sum to `proceedsTotal` — ITEM + SHIPPING + GIFT_WRAP + TAX − |DISCOUNT|
 * (+ COD_FEE, OTHER) when that is the total, else, when the total is that without TAX, the tax is inside the prices
 * (VAT-inclusive) and taken out of them. TAX is split by its `detailedBreakdowns` (ITEM, SHIPPING, GIFT_WRAP; any
 * other subtype counts as the item's).
 */
export const proceedsMoney = (proceeds: Record<string, unknown>, where: string): Either.Either<ItemMoney, string> => {
  const parts: Parts = { item: [], shipping: [], giftWrap: [], itemTax: [], shippingTax: [], giftWrapTax: [], discount: [], other: [] }
  const currencies = new Set<string>()
  const breakdowns = Array.isArray(proceeds.breakdowns) ? proceeds.breakdowns : []
  for (const [b, breakdown] of breakdowns.entries()) {
    if (!isRecord(breakdown) || typeof breakdown.type !== "string") continue
    const at = `${where}.proceeds.breakdowns[${b}]`
    const subtotal = amountOf(breakdown.subtotal, `${at}.subtotal`, currencies)
    if (Either.isLeft(subtotal)) return Either.left(subtotal.left)
    if (breakdown.type === "TAX") {
      const detailed = Array.isArray(breakdown.detailedBreakdowns) ? breakdown.detailedBreakdowns : []
      if (detailed.length === 0) {
        parts.itemTax.push({ amount: subtotal.right })
        continue
      }
      for (const [d, detail] of detailed.entries()) {
        if (!isRecord(detail)) continue
        const value = amountOf(detail.value, `${at}.detailedBreakdowns[${d}].value`, currencies)
        if (Either.isLeft(value)) return Either.left(value.left)
        parts[TAX_SUBTYPE[String(detail.subtype)] ?? "itemTax"].push({ amount: value.right })
      }
    } else if (breakdown.type === "DISCOUNT") {
      parts.discount.push({ amount: subtotal.right, absolute: true })
    } else {
      const category = CATEGORY[breakdown.type]
      if (category !== undefined) parts[category].push({ amount: subtotal.right })
    }
  }
  const sum = (terms: ReadonlyArray<Term>) => sumAmounts(terms)!
  const tax = [...parts.itemTax, ...parts.shippingTax, ...parts.giftWrapTax]
  const charges = [...parts.item, ...parts.shipping, ...parts.giftWrap, ...parts.other, ...parts.discount.map((t) => ({ ...t, subtract: true }))]
  let money: ItemMoney = {
    itemPrice: sum(parts.item),
    itemTax: sum(parts.itemTax),
    shippingPrice: sum(parts.shipping),
    shippingTax: sum(parts.shippingTax),
    giftWrapPrice: sum(parts.giftWrap),
    giftWrapTax: sum(parts.giftWrapTax),
    promotionDiscount: sum(parts.discount),
    currency: null
  }
  const total = isRecord(proceeds.proceedsTotal) ? amountOf(proceeds.proceedsTotal, `${where}.proceeds.proceedsTotal`, currencies) : undefined
  if (total !== undefined && Either.isLeft(total)) return Either.left(total.left)
  if (currencies.size > 1) return Either.left(`${where}'s proceeds are in more than one currency (${[...currencies].join(", ")})`)
  money = { ...money, currency: currencies.size === 1 ? [...currencies][0]! : null }
  if (total !== undefined && tax.length > 0 && !sameAmount(sum([...charges, ...tax]), total.right) && sameAmount(sum(charges), total.right)) {
    money = {
      ...money,
      itemPrice: subtractAmount(money.itemPrice, money.itemTax)!,
      shippingPrice: subtractAmount(money.shippingPrice, money.shippingTax)!,
      giftWrapPrice: subtractAmount(money.giftWrapPrice, money.giftWrapTax)!
    }
  }
  return Either.right(money)
}

const UNPRICED = {
  itemPrice: null,
  itemTax: null,
  shippingPrice: null,
  shippingTax: null,
  giftWrapPrice: null,
  giftWrapTax: null,
  promotionDiscount: null,
  currency: null
} as const

/** An item's state from the order's status and the item's fulfilled quantity (the API has no item status). */
const itemStatus2026 = (orderStatus: string, ordered: number, fulfilled: number | null): string => {
  if (orderStatus === "CANCELLED" || ordered === 0) return "CANCELLED"
  if (fulfilled !== null) return fulfilled >= ordered ? "SHIPPED" : "UNSHIPPED"
  return orderStatus === "SHIPPED" ? "SHIPPED" : "UNSHIPPED"
}

/**
 * The items of a 2026-01-01 order (`raw.orderItems`, already known to be an array of objects with an integer
 * `quantityOrdered`). A malformed item (no `orderItemId`, an id twice, money that is not a number) fails the order
 * with the reason: it goes to quarantine whole, as an order and its items are never stored apart.
 */
export const items2026 = (raw: Record<string, unknown>, orderStatus: string): Either.Either<ReadonlyArray<OrderItem>, string> => {
  const list = raw.orderItems as ReadonlyArray<Record<string, unknown>>
  const items: Array<OrderItem> = []
  const seen = new Set<string>()
  for (const [k, item] of list.entries()) {
    const where = `orderItems[${k}]`
    if (typeof item.orderItemId !== "string" || item.orderItemId === "") return Either.left(`${where} has no orderItemId`)
    if (seen.has(item.orderItemId)) return Either.left(`${where}: orderItemId ${item.orderItemId} appears twice in the order`)
    seen.add(item.orderItemId)
    const product = isRecord(item.product) ? item.product : {}
    const quantity = item.quantityOrdered as number
    const fulfilled = isRecord(item.fulfillment) ? intOrNull(item.fulfillment.quantityFulfilled) : null
    let money: ItemMoney | typeof UNPRICED = UNPRICED
    if (isRecord(item.proceeds)) {
      const read = proceedsMoney(item.proceeds, where)
      if (Either.isLeft(read)) return Either.left(read.left)
      money = read.right
    }
    items.push({
      orderItemId: item.orderItemId,
      sku: stringOrNull(product.sellerSku),
      asin: stringOrNull(product.asin),
      title: stringOrNull(product.title),
      quantity,
      quantityShipped: fulfilled,
      ...money,
      itemStatus: itemStatus2026(orderStatus, quantity, fulfilled),
      raw: { path: ["orderItems", String(k)] }
    })
  }
  return Either.right(items)
}
