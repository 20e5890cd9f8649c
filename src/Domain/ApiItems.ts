import { Either } from "effect"
import { isDecimal, sameAmount, subtractAmount, sumAmounts, type Term } from "./Money.js"
import { NO_MONEY, type OrderItem } from "./Order.js"

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

/**
 * A Money object's amount, checked, by the API version's names (2026-01-01 `amount`/`currencyCode`, v0
 * `Amount`/`CurrencyCode`); the currency is gathered into `currencies`.
 */
const moneyAmount = (names: readonly [amount: string, currency: string]) =>
(money: unknown, where: string, currencies: Set<string>): Either.Either<string, string> => {
  const [amountKey, currencyKey] = names
  const amount = isRecord(money) ? money[amountKey] : undefined
  if (typeof amount !== "string") return Either.left(`${where} has no ${amountKey}`)
  if (!isDecimal(amount)) return Either.left(`${where} "${amount.slice(0, 40)}" is not a decimal number`)
  const currency = (money as Record<string, unknown>)[currencyKey]
  if (typeof currency === "string") currencies.add(currency)
  return Either.right(amount)
}

const amountOf = moneyAmount(["amount", "currencyCode"])

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
  // Prices with the tax inside are the VAT/GST marketplaces' way; in USD and CAD the tax is on top, and proceeds
  // without it (a marketplace facilitator's tax) must not be read as prices that include it.
  const taxOnTop = money.currency !== null && TAX_ON_TOP_CURRENCIES.has(money.currency)
  if (total !== undefined && tax.length > 0 && !taxOnTop && !sameAmount(sum([...charges, ...tax]), total.right) && sameAmount(sum(charges), total.right)) {
    money = {
      ...money,
      itemPrice: subtractAmount(money.itemPrice, money.itemTax)!,
      shippingPrice: subtractAmount(money.shippingPrice, money.shippingTax)!,
      giftWrapPrice: subtractAmount(money.giftWrapPrice, money.giftWrapTax)!
    }
  }
  return Either.right(money)
}

const UNPRICED = NO_MONEY

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

// Orders API v0: an order's items need a getOrderItems call of their own (ORDERSYNC_V0_ITEMS). Each item's money is
// in `ItemPrice` (price × quantity, without shipping and gift wrap), `ShippingPrice`, `BuyerInfo.GiftWrapPrice`, their
// taxes, and the promotions `PromotionDiscount` and `ShippingDiscount` (with their own taxes). The model does not say
// whether the prices include the tax: in US and CA it comes on top, in the VAT marketplaces the prices include VAT,
// which `ItemTax` & co. show for a seller in Amazon's VAT Calculation Service (FIDELITY rows 73, 74). The order's
// `OrderTotal` decides, per order (see `itemsV0`).

/**
 * How an order's v0 item prices relate to their taxes: `additive`, the taxes on top (net of the promotions' own taxes,
 * `PromotionDiscountTax` and `ShippingDiscountTax`, or, `additiveGross`, already after them); `taxIncluded`, the
 * taxes inside the prices (taken out of them).
 */
export type V0TaxRule = "additive" | "additiveGross" | "taxIncluded"

export interface ItemsV0 {
  readonly items: ReadonlyArray<OrderItem>
  readonly rule: V0TaxRule
  /** False when the rule could not be checked against `OrderTotal` (none, or none fits): the caller says so. */
  readonly matched: boolean
}

/** Where the sales tax comes on top of the prices; everywhere else Amazon's prices include VAT or GST. */
const TAX_ON_TOP_CURRENCIES: ReadonlySet<string> = new Set(["USD", "CAD"])

const amountOfV0 = moneyAmount(["Amount", "CurrencyCode"])

/** A v0 Money object's amount, checked (absent → none); the currency is gathered into `currencies`. */
const amountV0 = (money: unknown, where: string, currencies: Set<string>): Either.Either<string | undefined, string> =>
  money === undefined || money === null ? Either.right(undefined) : amountOfV0(money, where, currencies)

/** One priced item's amounts as Amazon sent them ("0" where a part is absent); discounts by their absolute value. */
interface PricesV0 {
  readonly itemPrice: string
  readonly itemTax: string
  readonly shippingPrice: string
  readonly shippingTax: string
  readonly giftWrapPrice: string
  readonly giftWrapTax: string
  readonly promotionDiscount: string
  readonly shippingDiscount: string
  readonly promotionDiscountTax: string
  readonly shippingDiscountTax: string
  /** `CODFee` − `CODFeeDiscount`: part of the total, no column of its own (it stays in `raw`). */
  readonly cod: string
}

const PRICE_FIELDS = [
  ["itemPrice", "ItemPrice"],
  ["itemTax", "ItemTax"],
  ["shippingPrice", "ShippingPrice"],
  ["shippingTax", "ShippingTax"],
  ["promotionDiscount", "PromotionDiscount"],
  ["shippingDiscount", "ShippingDiscount"],
  ["promotionDiscountTax", "PromotionDiscountTax"],
  ["shippingDiscountTax", "ShippingDiscountTax"]
] as const

const abs = (amount: string) => amount.replace(/^-/, "")

const pricesV0 = (item: Record<string, unknown>, where: string, currencies: Set<string>): Either.Either<PricesV0, string> => {
  const read: Record<string, string> = {}
  for (const [field, name] of PRICE_FIELDS) {
    const amount = amountV0(item[name], `${where}.${name}`, currencies)
    if (Either.isLeft(amount)) return Either.left(amount.left)
    read[field] = amount.right ?? "0"
  }
  const buyer = isRecord(item.BuyerInfo) ? item.BuyerInfo : {}
  const giftWrapPrice = amountV0(buyer.GiftWrapPrice, `${where}.BuyerInfo.GiftWrapPrice`, currencies)
  const giftWrapTax = amountV0(buyer.GiftWrapTax, `${where}.BuyerInfo.GiftWrapTax`, currencies)
  const codFee = amountV0(item.CODFee, `${where}.CODFee`, currencies)
  const codDiscount = amountV0(item.CODFeeDiscount, `${where}.CODFeeDiscount`, currencies)
  for (const part of [giftWrapPrice, giftWrapTax, codFee, codDiscount]) if (Either.isLeft(part)) return Either.left(part.left)
  const value = (e: Either.Either<string | undefined, string>) => Either.getOrUndefined(e) ?? "0"
  return Either.right({
    itemPrice: read.itemPrice!,
    itemTax: read.itemTax!,
    shippingPrice: read.shippingPrice!,
    shippingTax: read.shippingTax!,
    giftWrapPrice: value(giftWrapPrice),
    giftWrapTax: value(giftWrapTax),
    promotionDiscount: abs(read.promotionDiscount!),
    shippingDiscount: abs(read.shippingDiscount!),
    promotionDiscountTax: abs(read.promotionDiscountTax!),
    shippingDiscountTax: abs(read.shippingDiscountTax!),
    cod: sumAmounts([{ amount: value(codFee) }, { amount: value(codDiscount), subtract: true, absolute: true }])!
  })
}

/** An item's stored money under a rule: net of tax, so that its parts sum to its share of the order's total. */
const moneyV0 = (p: PricesV0, rule: V0TaxRule, currency: string | null): ItemMoney => {
  const sub = (a: string, b: string) => subtractAmount(a, b)!
  const promotionDiscount = sumAmounts([{ amount: p.promotionDiscount }, { amount: p.shippingDiscount }])!
  switch (rule) {
    case "additive":
      return {
        itemPrice: p.itemPrice,
        itemTax: sub(p.itemTax, p.promotionDiscountTax),
        shippingPrice: p.shippingPrice,
        shippingTax: sub(p.shippingTax, p.shippingDiscountTax),
        giftWrapPrice: p.giftWrapPrice,
        giftWrapTax: p.giftWrapTax,
        promotionDiscount,
        currency
      }
    case "additiveGross":
      return {
        itemPrice: p.itemPrice,
        itemTax: p.itemTax,
        shippingPrice: p.shippingPrice,
        shippingTax: p.shippingTax,
        giftWrapPrice: p.giftWrapPrice,
        giftWrapTax: p.giftWrapTax,
        promotionDiscount,
        currency
      }
    case "taxIncluded":
      return {
        itemPrice: sub(p.itemPrice, p.itemTax),
        itemTax: p.itemTax,
        shippingPrice: sub(p.shippingPrice, p.shippingTax),
        shippingTax: p.shippingTax,
        giftWrapPrice: sub(p.giftWrapPrice, p.giftWrapTax),
        giftWrapTax: p.giftWrapTax,
        promotionDiscount,
        currency
      }
  }
}

/** The order's total as an item's parts give it under a rule (`cod` included: it has no column but is charged). */
const totalUnder = (p: PricesV0, rule: V0TaxRule): ReadonlyArray<Term> => {
  const m = moneyV0(p, rule, null)
  return [m.itemPrice, m.itemTax, m.shippingPrice, m.shippingTax, m.giftWrapPrice, m.giftWrapTax, p.cod]
    .map((amount): Term => ({ amount }))
    .concat([{ amount: m.promotionDiscount, subtract: true }])
}

/** The order as `itemsV0` needs it: its status (ordersync's vocabulary) and the total Amazon gave it. */
export interface OrderForItemsV0 {
  readonly orderStatus: string
  readonly totalAmount: string | null
  readonly currency: string | null
}

/**
 * The items of a v0 order from getOrderItems' `OrderItems` (all its pages, in order). Net of tax, decided per order
 * by its `OrderTotal`: the first rule under which the items' parts sum to it (`additive`, `additiveGross`,
 * `taxIncluded`; with no tax at all they agree). An order without a total to compare with (or whose total no rule
 * gives) takes the taxes on top in USD and CAD and inside the prices elsewhere, and says `matched: false`. An item
 * without `ItemPrice` (a Pending order's) has no money. Its status comes from the order's and `QuantityShipped`, as in
 * 2026-01-01. A malformed item (no `OrderItemId`, an id twice, a quantity or amount that is not a number, two
 * currencies) fails the whole list with the reason.
 */
export const itemsV0 = (list: ReadonlyArray<unknown>, order: OrderForItemsV0): Either.Either<ItemsV0, string> => {
  const seen = new Set<string>()
  const currencies = new Set<string>()
  const read: Array<{ readonly item: Record<string, unknown>; readonly prices: PricesV0 | undefined }> = []
  for (const [k, item] of list.entries()) {
    const where = `OrderItems[${k}]`
    if (!isRecord(item)) return Either.left(`${where} is not an object`)
    if (typeof item.OrderItemId !== "string" || item.OrderItemId === "") return Either.left(`${where} has no OrderItemId`)
    if (seen.has(item.OrderItemId)) return Either.left(`${where}: OrderItemId ${item.OrderItemId} appears twice in the order`)
    seen.add(item.OrderItemId)
    if (!Number.isSafeInteger(item.QuantityOrdered)) return Either.left(`${where} has no integer QuantityOrdered`)
    if (item.QuantityShipped !== undefined && !Number.isSafeInteger(item.QuantityShipped)) return Either.left(`${where}'s QuantityShipped is not an integer`)
    if (item.ItemPrice === undefined || item.ItemPrice === null) {
      read.push({ item, prices: undefined })
      continue
    }
    const prices = pricesV0(item, where, currencies)
    if (Either.isLeft(prices)) return Either.left(prices.left)
    read.push({ item, prices: prices.right })
  }
  if (currencies.size > 1) return Either.left(`the order's items are in more than one currency (${[...currencies].join(", ")})`)
  const currency = currencies.size === 1 ? [...currencies][0]! : order.currency
  const priced = read.flatMap((r) => (r.prices === undefined ? [] : [r.prices]))
  const sumUnder = (rule: V0TaxRule) => sumAmounts(priced.flatMap((p) => totalUnder(p, rule)))!
  const taxes = sumAmounts(priced.flatMap((p) => [p.itemTax, p.shippingTax, p.giftWrapTax].map((amount) => ({ amount }))))!
  const discountTaxes = sumAmounts(priced.flatMap((p) => [p.promotionDiscountTax, p.shippingDiscountTax].map((amount) => ({ amount }))))!
  const candidates: ReadonlyArray<V0TaxRule> = [
    "additive",
    ...(sameAmount(discountTaxes, "0") ? [] : ["additiveGross" as const]),
    ...(sameAmount(taxes, "0") ? [] : ["taxIncluded" as const])
  ]
  const total = order.totalAmount
  const fitting = priced.length === 0 ? "additive" : total === null ? undefined : candidates.find((rule) => sameAmount(sumUnder(rule), total))
  const fallback: V0TaxRule = sameAmount(taxes, "0") || TAX_ON_TOP_CURRENCIES.has(currency ?? "") ? "additive" : "taxIncluded"
  const rule = fitting ?? fallback
  const items = read.map(({ item, prices }, k): OrderItem => {
    const quantity = item.QuantityOrdered as number
    const shipped = intOrNull(item.QuantityShipped)
    return {
      orderItemId: item.OrderItemId as string,
      sku: stringOrNull(item.SellerSKU),
      asin: stringOrNull(item.ASIN),
      title: stringOrNull(item.Title),
      quantity,
      quantityShipped: shipped,
      ...(prices === undefined ? UNPRICED : moneyV0(prices, rule, currency)),
      itemStatus: itemStatus2026(order.orderStatus, quantity, shipped),
      raw: { value: list[k] }
    }
  })
  return Either.right({ items, rule, matched: fitting !== undefined })
}
