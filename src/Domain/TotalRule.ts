import { Either, Schema } from "effect"
import { sameAmount } from "./Money.js"
import { orderTotal, REPORT_TOTAL_RULES, type ReportHeader, type ReportTotalRule, type RowMoney } from "./ReportOrders.js"

// Which of a tenant's report total rules (ReportOrders.ts `ReportTotalRule`) gives the Orders API's totals, judged
// from orders both sources priced (the same version of the order: same `lastUpdateDate`, a total on both).

/** One order priced by both: the Orders API's total and the report's rows of the same version. */
export interface PricedByBoth {
  readonly externalOrderId: string
  readonly apiTotal: string
  readonly apiCurrency: string | null
  readonly rows: ReadonlyArray<RowMoney>
}

export type TotalRuleDecision =
  /** Every order that tells agrees with this rule only (and every other order with either). */
  | { readonly _tag: "Decided"; readonly rule: ReportTotalRule; readonly reason: string }
  /** Some order's API total is neither rule's: the report's totals cannot be trusted for this tenant. */
  | { readonly _tag: "NoneFits"; readonly reason: string }
  /** No order tells (none carries tax, so both rules give the same totals), and none contradicts both. */
  | { readonly _tag: "Undecided"; readonly reason: string }

const TAXES = ["itemTax", "shippingTax", "giftWrapTax"] as const
const ZERO = /^-?0*(?:\.0*)?$/

/** Whether any row carries a tax that is not 0: only such an order's total depends on the rule. */
export const carriesTax = (rows: ReadonlyArray<RowMoney>): boolean =>
  rows.some((row) => TAXES.some((tax) => { const value = row[tax]; return value !== undefined && !ZERO.test(value) }))

/** The order's total under each rule (null: unpriced, or rows `orderTotal` refuses). */
export const candidateTotals = (rows: ReadonlyArray<RowMoney>): Readonly<Record<ReportTotalRule, { readonly total: string | null; readonly currency: string | null }>> =>
  Object.fromEntries(REPORT_TOTAL_RULES.map((rule) => {
    const total = orderTotal(rows, rule)
    return [rule, Either.isRight(total) ? { total: total.right.totalAmount, currency: total.right.currency } : { total: null, currency: null }]
  })) as Record<ReportTotalRule, { total: string | null; currency: string | null }>

const WHAT: Readonly<Record<ReportTotalRule, string>> = {
  additive: "the taxes added to the prices",
  taxIncluded: "VAT inside item-price"
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`

/**
 * The rule whose totals equal the Orders API's for every order priced by both. An order without tax in its rows
 * cannot tell (both rules give its total), but it still must agree with them; one order that matches neither rule,
 * or two that each match a different one, and no rule fits.
 */
export const decideTotalRule = (orders: ReadonlyArray<PricedByBoth>): TotalRuleDecision => {
  const fits = new Set<ReportTotalRule>(REPORT_TOTAL_RULES)
  /** The first telling order that ruled each rule out. */
  const against = new Map<ReportTotalRule, string>()
  let telling = 0
  for (const order of orders) {
    const candidates = candidateTotals(order.rows)
    const matches = REPORT_TOTAL_RULES.filter((rule) => {
      const { currency, total } = candidates[rule]
      return total !== null && sameAmount(total, order.apiTotal) && (order.apiCurrency === null || currency === null || currency === order.apiCurrency)
    })
    if (matches.length === 0) {
      const shown = REPORT_TOTAL_RULES.map((rule) => `${candidates[rule].total ?? "no total"} (${rule})`).join(" or ")
      return {
        _tag: "NoneFits",
        reason: `order ${order.externalOrderId} totals ${order.apiTotal}${order.apiCurrency === null ? "" : ` ${order.apiCurrency}`} ` +
          `in the Orders API, ${shown} from the report's rows`
      }
    }
    if (matches.length === REPORT_TOTAL_RULES.length) continue
    telling++
    for (const rule of REPORT_TOTAL_RULES) {
      if (!matches.includes(rule) && fits.delete(rule)) against.set(rule, order.externalOrderId)
    }
  }
  if (telling === 0) {
    return {
      _tag: "Undecided",
      reason: orders.length === 0
        ? "no order priced by both the Orders API and a report"
        : `${plural(orders.length, "order")} priced by both carry no tax: either rule gives their totals`
    }
  }
  const [rule] = [...fits]
  if (rule === undefined) {
    return {
      _tag: "NoneFits",
      reason: REPORT_TOTAL_RULES.map((r) => `order ${against.get(r)} agrees only with ${r === "additive" ? "taxIncluded" : "additive"}`).join(", ")
    }
  }
  const untold = orders.length - telling
  return {
    _tag: "Decided",
    rule,
    reason: `${plural(telling, "order")} priced by both agree only with ${WHAT[rule]}` +
      (untold > 0 ? `; ${untold} more carry no tax and agree with either` : "")
  }
}

/** The money columns of a report order's rows (as `raw` keeps them, by the document's header keys). */
export const rowsMoney = (header: ReportHeader, rows: ReadonlyArray<Record<string, string>>): ReadonlyArray<RowMoney> => {
  const { index, keys } = header
  return rows.map((row) => {
    const at = (position: number | undefined) => position === undefined ? undefined : row[keys[position]!]
    return {
      currency: at(index.currency) ?? "",
      itemPrice: at(index.itemPrice) ?? "",
      itemTax: at(index.itemTax),
      shippingPrice: at(index.shippingPrice),
      shippingTax: at(index.shippingTax),
      giftWrapPrice: at(index.giftWrapPrice),
      giftWrapTax: at(index.giftWrapTax),
      itemPromotionDiscount: at(index.itemPromotionDiscount),
      shipPromotionDiscount: at(index.shipPromotionDiscount)
    }
  })
}

/**
 * The report path cannot give this tenant's totals: no rule fits (`decided: "none"`), or orders whose rows carry tax
 * came before any order priced by both told the rule (`decided: null`). The history goes through the Orders API.
 */
export class ReportTotalsUntrusted extends Schema.TaggedError<ReportTotalsUntrusted>()("ReportTotalsUntrusted", {
  decided: Schema.NullOr(Schema.Literal("none")),
  reason: Schema.String
}) {
  override get message() {
    return this.decided === "none" ? `report totals match no rule: ${this.reason}` : `report totals not decided: ${this.reason}`
  }
}
