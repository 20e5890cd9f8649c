import { Either } from "effect"
import { formatUnits, subtractAmount, sumAmounts, type Term } from "./Money.js"
import type { DecodedOrder, OrderItem } from "./Order.js"

// Amazon's flat-file order reports (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_*_GENERAL): one tab-separated row per order
// ITEM, consecutive rows per order. Columns vary by marketplace and year, so everything goes by header name.

/**
 * Report `order-status` → ordersync's one vocabulary (Orders API 2026-01-01). `exact` first, then `prefixes`.
 * A status in neither is stored as Amazon wrote it (as the v0 decoder does), so a new one shows up in the data
 * instead of failing the order.
 */
export const REPORT_ORDER_STATUS: {
  readonly exact: Readonly<Record<string, string>>
  readonly prefixes: ReadonlyArray<readonly [prefix: string, status: string]>
} = {
  exact: {
    "Pending": "PENDING",
    // Not a pre-order (that is PENDING_AVAILABILITY, which no source ties to this text): an order not shipped yet,
    // stored unpriced like every PENDING order on both paths (its price stays in `raw`).
    "Pending - Waiting for Pick Up": "PENDING",
    "Unshipped": "UNSHIPPED",
    // Unshipped or partially shipped: `item-status` tells which (see orderStatusOf).
    "Shipping": "UNSHIPPED",
    "Shipped": "SHIPPED",
    "Complete": "SHIPPED",
    "Cancelled": "CANCELLED",
    "Canceled": "CANCELLED",
    "Unfulfillable": "UNFULFILLABLE"
  },
  // "Shipped - Delivered to Buyer", "Shipped - Returned to Seller", "Shipped - Out for Delivery", …
  prefixes: [["Shipped - ", "SHIPPED"]]
}

export const reportOrderStatus = (status: string): string => {
  const exact = REPORT_ORDER_STATUS.exact[status]
  if (exact !== undefined) return exact
  for (const [prefix, mapped] of REPORT_ORDER_STATUS.prefixes) {
    if (status.startsWith(prefix)) return mapped
  }
  return status
}

const FULFILLMENT_CHANNEL: Readonly<Record<string, string>> = { Amazon: "AMAZON", Merchant: "MERCHANT" }

/** `sales-channel` (a site name) → marketplace id. Written here on purpose: the simulator keeps its own table. */
export const SITE_MARKETPLACE: Readonly<Record<string, string>> = {
  "Amazon.com": "ATVPDKIKX0DER",
  "Amazon.ca": "A2EUQ1WTGCTBG2",
  "Amazon.com.mx": "A1AM78C64UM0Y8",
  "Amazon.com.br": "A2Q3Y263D00KWC",
  "Amazon.co.uk": "A1F83G8C2ARO7P",
  "Amazon.de": "A1PA6795UKMFR9",
  "Amazon.fr": "A13V1IB3VIYZZH",
  "Amazon.it": "APJ6JRA9NG5V4",
  "Amazon.es": "A1RKKUPIHCS9HS",
  "Amazon.nl": "A1805IZSGTT6HS",
  "Amazon.se": "A2NODRKZP88ZB9",
  "Amazon.co.za": "AE08WJ6YKNBMC",
  "Amazon.pl": "A1C3SOZRARQ6R3",
  "Amazon.com.be": "AMEN7PMS3EDWL",
  "Amazon.com.tr": "A33AVAJ2PDY3EV",
  "Amazon.ae": "A2VIGQ35RCS4UG",
  "Amazon.sa": "A17E79C6D8DWNP",
  "Amazon.eg": "ARBP9OOSHTCHU",
  "Amazon.in": "A21TJRUUN4KGV",
  "Amazon.co.jp": "A1VC38T7YXB528",
  "Amazon.com.au": "A39IBJ37TRP1C6",
  "Amazon.sg": "A19VAU5U5O7RUS",
  "Amazon.ie": "A28R8C7NBKEWEA"
}

const SITE_MARKETPLACE_LOWER: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SITE_MARKETPLACE).map(([site, id]) => [site.toLowerCase(), id])
)

/** The marketplace of a site name, or null for one we do not know (e.g. "Non-Amazon"). */
export const siteMarketplace = (site: string): string | null =>
  SITE_MARKETPLACE[site] ?? SITE_MARKETPLACE_LOWER[site.trim().toLowerCase()] ?? null

const AMAZON_MARKETPLACES: ReadonlySet<string> = new Set(Object.values(SITE_MARKETPLACE))

/**
 * Whether a report's order is the tenant's. An order tracking report holds every marketplace of the seller's region
 * whatever `marketplaceIds` asked (amzn/selling-partner-api-models#2209, #534, #2513; amzn/selling-partner-api-docs
 * #1404; jlevers/selling-partner-api#173), so ordersync keeps what the Orders API path would list for the tenant:
 * - a known site (`Amazon.fr`): iff its marketplace is one of the tenant's;
 * - `Non-Amazon` or another site we do not know (multi-channel fulfilment orders, NON_AMAZON in the 2026 model's
 *   `SalesChannel.channelName`): the Orders API lists those under a Non-Amazon marketplace id
 *   (amzn/selling-partner-api-docs#761), so iff the tenant is set up with a marketplace that is not an Amazon site;
 * - no `sales-channel` at all: kept (nothing tells).
 * A quarantined order is judged by its first row's `sales-channel`.
 */
export const tenantReportScope = (marketplaceIds: ReadonlyArray<string>): (order: DecodedOrder) => boolean => {
  const own = new Set(marketplaceIds)
  const nonAmazon = marketplaceIds.some((id) => !AMAZON_MARKETPLACES.has(id))
  const bySite = (site: string | null | undefined) => {
    if (site === undefined || site === null || site.trim() === "") return true
    const marketplace = siteMarketplace(site)
    return marketplace === null ? nonAmazon : own.has(marketplace)
  }
  return (decoded) => {
    if (decoded._tag === "Order") return bySite(decoded.order.salesChannel)
    const rows = (decoded.quarantined.raw as Partial<ReportRaw> | null)?.rows
    return bySite(rows?.[0]?.["sales-channel"])
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Money

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/
const ZERO = /^-?0+(?:\.0+)?$/

/**
 * One row's money columns as written, each for the row's whole quantity. `undefined`: the file has no such column;
 * it reads as 0, and so does an empty value.
 */
export interface RowMoney {
  readonly currency: string
  readonly itemPrice: string
  readonly itemTax?: string | undefined
  readonly shippingPrice?: string | undefined
  readonly shippingTax?: string | undefined
  readonly giftWrapPrice?: string | undefined
  readonly giftWrapTax?: string | undefined
  readonly itemPromotionDiscount?: string | undefined
  readonly shipPromotionDiscount?: string | undefined
}

/**
 * How a report's money columns make the order's total, which the report does not write. `additive`: every charge
 * and tax adds (prices shown before tax: US and CA sales tax). `taxIncluded`: the `*-tax` columns are already inside
 * `item-price`, `shipping-price` and `gift-wrap-price` (Amazon's VAT Calculation Service: finding F11), so they do not
 * add. Chosen per tenant from orders the Orders API priced (see `fitReportTotalRule`).
 */
export type ReportTotalRule = "additive" | "taxIncluded"

export const REPORT_TOTAL_RULES: ReadonlyArray<ReportTotalRule> = ["additive", "taxIncluded"]

/** The parts of the total: charges add, discounts subtract (by their absolute value: Amazon documents no sign). */
const TOTAL_PARTS: ReadonlyArray<readonly [key: keyof RowMoney, column: string, discount: boolean, tax: boolean]> = [
  ["itemPrice", "item-price", false, false],
  ["itemTax", "item-tax", false, true],
  ["shippingPrice", "shipping-price", false, false],
  ["shippingTax", "shipping-tax", false, true],
  ["giftWrapPrice", "gift-wrap-price", false, false],
  ["giftWrapTax", "gift-wrap-tax", false, true],
  ["itemPromotionDiscount", "item-promotion-discount", true, false],
  ["shipPromotionDiscount", "ship-promotion-discount", true, false]
]

/**
 * The order's total from its rows (the report has no total column and Amazon documents no formula): over the rows,
 * item-price + item-tax + shipping-price + shipping-tax + gift-wrap-price + gift-wrap-tax − |item-promotion-discount|
 * − |ship-promotion-discount| under the `additive` rule, the same without the three taxes under `taxIncluded`. Exact
 * (BigInt over the inputs' largest number of decimals, so JPY "1200" stays "1200" and "9.99" + "10.5" is "20.49"),
 * in the rows' one `currency`. Rows without any money (seller-fulfilled Pending orders) add nothing; no money in any
 * row → null, null. Every column is checked under either rule.
 */
export const orderTotal = (
  items: ReadonlyArray<RowMoney>,
  rule: ReportTotalRule = "additive"
): Either.Either<{ readonly totalAmount: string | null; readonly currency: string | null }, string> => {
  let currency: string | null = null
  let scale = 0
  let priced = false
  const amounts: Array<{ readonly negative: boolean; readonly whole: string; readonly fraction: string }> = []
  for (const item of items) {
    if (item.currency !== "") {
      if (currency !== null && currency !== item.currency) {
        return Either.left(`rows in different currencies ("${currency}" and "${item.currency}")`)
      }
      currency = item.currency
    }
    for (const [key, column, discount, tax] of TOTAL_PARTS) {
      const value = item[key]
      if (value === undefined || value === "") continue
      const match = DECIMAL.exec(value)
      if (match === null) return Either.left(`${column} "${value}" is not a decimal number`)
      if (item.currency === "") return Either.left(`${column} "${value}" has no currency`)
      priced = true
      const fraction = match[3] ?? ""
      if (fraction.length > scale) scale = fraction.length
      // Zeros (most of the columns on most rows) only count for the decimals.
      if (ZERO.test(value) || (tax && rule === "taxIncluded")) continue
      amounts.push({ negative: discount || match[1] === "-", whole: match[2]!, fraction })
    }
  }
  if (!priced) return Either.right({ totalAmount: null, currency: null })
  let sum = 0n
  for (const { fraction, negative, whole } of amounts) {
    const units = BigInt(whole + fraction.padEnd(scale, "0"))
    sum += negative ? -units : units
  }
  return Either.right({ totalAmount: formatUnits(sum, scale), currency })
}

/**
 * A row as an order item (`position`: its place among the order's rows, 0-based). A report has no order item id:
 * the items are `report-1`, `report-2`, … in row order, and an Orders API version of the order replaces them all
 * (the stored items are always those of the stored version of the order). Money is net of tax (see `OrderItem`):
 * under `taxIncluded` each price has its tax taken out. `priced` false (a Pending order, as on the Orders API):
 * no money. The values were checked by `orderTotal`.
 */
const rowItem = (
  money: RowMoney,
  fields: { readonly sku: string | undefined; readonly asin: string | undefined; readonly title: string | undefined; readonly status: string | undefined },
  quantity: number,
  position: number,
  rule: ReportTotalRule,
  priced: boolean
): OrderItem => {
  const amount = (value: string | undefined) => (value === undefined || value === "" ? "0" : value)
  const net = (price: string | undefined, tax: string | undefined) =>
    rule === "taxIncluded" ? subtractAmount(amount(price), amount(tax))! : amount(price)
  const discounts: Array<Term> = [
    { amount: amount(money.itemPromotionDiscount), absolute: true },
    { amount: amount(money.shipPromotionDiscount), absolute: true }
  ]
  const text = (value: string | undefined) => (value === undefined || value === "" ? null : value)
  const hasMoney = priced && money.currency !== ""
  return {
    orderItemId: `report-${position + 1}`,
    sku: text(fields.sku),
    asin: text(fields.asin),
    title: text(fields.title),
    quantity,
    quantityShipped: null,
    itemPrice: hasMoney ? net(money.itemPrice, money.itemTax) : null,
    itemTax: hasMoney ? amount(money.itemTax) : null,
    shippingPrice: hasMoney ? net(money.shippingPrice, money.shippingTax) : null,
    shippingTax: hasMoney ? amount(money.shippingTax) : null,
    giftWrapPrice: hasMoney ? net(money.giftWrapPrice, money.giftWrapTax) : null,
    giftWrapTax: hasMoney ? amount(money.giftWrapTax) : null,
    promotionDiscount: hasMoney ? sumAmounts(discounts)! : null,
    currency: hasMoney ? money.currency : null,
    itemStatus: fields.status === undefined || fields.status === "" ? null : ITEM_STATUS[fields.status] ?? fields.status,
    raw: { path: ["rows", String(position)] }
  }
}

/** A report's `item-status` → ordersync's item status; any other text is kept as written. */
const ITEM_STATUS: Readonly<Record<string, string>> = {
  Shipped: "SHIPPED",
  Unshipped: "UNSHIPPED",
  Cancelled: "CANCELLED",
  Canceled: "CANCELLED"
}

// ---------------------------------------------------------------------------------------------------------------
// Header

/** The columns ordersync reads; anything else is only kept in `raw`. */
const REQUIRED = {
  orderId: "amazon-order-id",
  purchaseDate: "purchase-date",
  lastUpdatedDate: "last-updated-date",
  orderStatus: "order-status",
  quantity: "quantity",
  currency: "currency",
  itemPrice: "item-price"
} as const
const OPTIONAL = {
  sku: "sku",
  asin: "asin",
  productName: "product-name",
  salesChannel: "sales-channel",
  fulfillmentChannel: "fulfillment-channel",
  itemStatus: "item-status",
  itemTax: "item-tax",
  shippingPrice: "shipping-price",
  shippingTax: "shipping-tax",
  giftWrapPrice: "gift-wrap-price",
  giftWrapTax: "gift-wrap-tax",
  itemPromotionDiscount: "item-promotion-discount",
  shipPromotionDiscount: "ship-promotion-discount"
} as const

/** A document's header: the raw key of every column, and where the columns we read are. */
export interface ReportHeader {
  /** One key per column, as written (a repeated name gets "#2", "#3"… so no value is lost in `raw`). */
  readonly keys: ReadonlyArray<string>
  /** A row with exactly one field per key → its raw object. */
  readonly rawRow: (fields: ReadonlyArray<string>) => Record<string, string>
  readonly index: { readonly [K in keyof typeof REQUIRED]: number } & {
    readonly [K in keyof typeof OPTIONAL]: number | undefined
  }
}

export const reportHeader = (fields: ReadonlyArray<string>): Either.Either<ReportHeader, string> => {
  const keys: Array<string> = []
  const positions = new Map<string, number>()
  fields.forEach((field, i) => {
    const name = i === 0 ? field.replace(/^\uFEFF/, "") : field
    let key = name
    for (let n = 2; keys.includes(key); n++) key = `${name}#${n}`
    keys.push(key)
    const normalized = name.trim().toLowerCase()
    if (!positions.has(normalized)) positions.set(normalized, i)
  })
  const missing = Object.values(REQUIRED).filter((column) => !positions.has(column))
  if (missing.length > 0) {
    const start = fields.join("\t").slice(0, 120)
    return Either.left(`the header has no ${missing.join(", ")} column${missing.length > 1 ? "s" : ""} (it starts "${start}")`)
  }
  const at = (column: string) => positions.get(column)
  return Either.right({
    keys,
    rawRow: compileRawRow(keys),
    index: {
      orderId: at(REQUIRED.orderId)!,
      purchaseDate: at(REQUIRED.purchaseDate)!,
      lastUpdatedDate: at(REQUIRED.lastUpdatedDate)!,
      orderStatus: at(REQUIRED.orderStatus)!,
      quantity: at(REQUIRED.quantity)!,
      currency: at(REQUIRED.currency)!,
      itemPrice: at(REQUIRED.itemPrice)!,
      sku: at(OPTIONAL.sku),
      asin: at(OPTIONAL.asin),
      productName: at(OPTIONAL.productName),
      salesChannel: at(OPTIONAL.salesChannel),
      fulfillmentChannel: at(OPTIONAL.fulfillmentChannel),
      itemStatus: at(OPTIONAL.itemStatus),
      itemTax: at(OPTIONAL.itemTax),
      shippingPrice: at(OPTIONAL.shippingPrice),
      shippingTax: at(OPTIONAL.shippingTax),
      giftWrapPrice: at(OPTIONAL.giftWrapPrice),
      giftWrapTax: at(OPTIONAL.giftWrapTax),
      itemPromotionDiscount: at(OPTIONAL.itemPromotionDiscount),
      shipPromotionDiscount: at(OPTIONAL.shipPromotionDiscount)
    }
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Rows → order

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/
const WHOLE = /^\d+$/

const daysInMonth = (year: number, month: number) =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

const parseDate = (value: string): Date | undefined => {
  const match = ISO_DATE_TIME.exec(value)
  if (match === null) return undefined
  const year = Number(match[1])
  const month = Number(match[2])
  const day = Number(match[3])
  // Date rolls "02-31" over to March; a report never means that.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** Every column of a row by its header key; values past the header's end (a malformed row) as "#<position>". */
export const rawRow = (header: ReportHeader, fields: ReadonlyArray<string>): Record<string, string> => {
  if (fields.length === header.keys.length) return header.rawRow(fields)
  const row: Record<string, string> = {}
  const { keys } = header
  for (let i = 0; i < fields.length; i++) row[i < keys.length ? keys[i]! : `#${i + 1}`] = fields[i]!
  return row
}

// One object literal per header, compiled once: V8 then allocates each row's object whole, with its properties
// in-object, instead of growing it a key at a time (a third of the parse time and much of the garbage at 1M rows).
// The keys go in as JSON string literals, so no header text can become code.
const compileRawRow = (keys: ReadonlyArray<string>): (fields: ReadonlyArray<string>) => Record<string, string> =>
  new Function("fields", `return {${keys.map((key, i) => `${JSON.stringify(key)}: fields[${i}]`).join(", ")}}`) as (
    fields: ReadonlyArray<string>
  ) => Record<string, string>

/** What `raw` holds for an order that came from a report. */
export interface ReportRaw {
  readonly source: "report"
  readonly reportType: string
  readonly rows: ReadonlyArray<Record<string, string>>
}

const optionalField = (fields: ReadonlyArray<string>, position: number | undefined): string | undefined =>
  position === undefined ? undefined : fields[position]

const UNPRICED: ReadonlySet<string> = new Set(["PENDING", "PENDING_AVAILABILITY"])

/**
 * The order's status in ordersync's vocabulary. `Shipping` covers orders with nothing shipped and orders shipped in
 * part; a row whose `item-status` is `Shipped` makes it PARTIALLY_SHIPPED.
 */
const orderStatusOf = (header: ReportHeader, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const status = reportOrderStatus(rows[0]?.[header.index.orderStatus] ?? "")
  const itemStatus = header.index.itemStatus
  if (status !== "UNSHIPPED" || itemStatus === undefined) return status
  return rows.some((fields) => fields[itemStatus] === "Shipped") ? "PARTIALLY_SHIPPED" : status
}

/**
 * One order from its consecutive rows (`firstRow` is the 1-based data row of the first, for error messages).
 * Order-level columns come from the first row, except `lastUpdateDate`, the latest of the rows'. A row that does
 * not decode quarantines the whole order with every reason found.
 */
export const decodeReportOrder = (
  header: ReportHeader,
  reportType: string,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  firstRow: number,
  rule: ReportTotalRule = "additive"
): DecodedOrder => {
  const { index } = header
  const raw: ReportRaw = { source: "report", reportType, rows: rows.map((fields) => rawRow(header, fields)) }
  const first = rows[0] ?? []
  const externalOrderId = first[index.orderId] ?? ""
  const errors: Array<string> = []
  if (externalOrderId === "") errors.push(`data row ${firstRow}: amazon-order-id is empty`)

  let orderDate: Date | undefined
  let lastUpdateDate: Date | undefined
  let lastPurchase: string | undefined
  let lastUpdated: string | undefined
  let itemsCount = 0
  const prices: Array<RowMoney> = []
  const quantities: Array<number> = []
  rows.forEach((fields, i) => {
    const row = firstRow + i
    if (fields.length !== header.keys.length) {
      errors.push(`data row ${row} has ${fields.length} fields, the header has ${header.keys.length}`)
      return
    }
    // The rows of an order nearly always repeat its dates: parse a date only when it differs from the last row's.
    const purchase = fields[index.purchaseDate]!
    if (purchase !== lastPurchase) {
      const purchaseDate = parseDate(purchase)
      if (purchaseDate === undefined) errors.push(`data row ${row}: purchase-date "${purchase}" is not an ISO 8601 date-time`)
      else orderDate ??= purchaseDate
      lastPurchase = purchase
    }
    const updated = fields[index.lastUpdatedDate]!
    if (updated !== lastUpdated) {
      const updatedDate = parseDate(updated)
      if (updatedDate === undefined) errors.push(`data row ${row}: last-updated-date "${updated}" is not an ISO 8601 date-time`)
      else if (lastUpdateDate === undefined || updatedDate > lastUpdateDate) lastUpdateDate = updatedDate
      lastUpdated = updated
    }
    const quantity = fields[index.quantity]!
    if (WHOLE.test(quantity)) itemsCount += Number(quantity)
    else errors.push(`data row ${row}: quantity "${quantity}" is not a whole number`)
    quantities.push(Number(quantity))
    prices.push({
      currency: fields[index.currency]!,
      itemPrice: fields[index.itemPrice]!,
      itemTax: optionalField(fields, index.itemTax),
      shippingPrice: optionalField(fields, index.shippingPrice),
      shippingTax: optionalField(fields, index.shippingTax),
      giftWrapPrice: optionalField(fields, index.giftWrapPrice),
      giftWrapTax: optionalField(fields, index.giftWrapTax),
      itemPromotionDiscount: optionalField(fields, index.itemPromotionDiscount),
      shipPromotionDiscount: optionalField(fields, index.shipPromotionDiscount)
    })
  })
  const orderStatus = orderStatusOf(header, rows)
  // The Orders API has no total for an order that is still pending, and neither does ordersync: a report prices
  // Amazon-fulfilled Pending orders, but that price is not final.
  const priced = !UNPRICED.has(orderStatus)
  const total = priced ? orderTotal(prices, rule) : Either.right({ totalAmount: null, currency: null })
  if (Either.isLeft(total)) errors.push(total.left)

  if (errors.length > 0 || orderDate === undefined || lastUpdateDate === undefined || Either.isLeft(total)) {
    return {
      _tag: "Quarantined",
      quarantined: { externalOrderId: externalOrderId === "" ? null : externalOrderId, raw, error: errors.join("; ") }
    }
  }
  const field = (position: number | undefined) => position === undefined ? undefined : first[position]
  const salesChannel = field(index.salesChannel)
  const fulfillment = field(index.fulfillmentChannel)
  return {
    _tag: "Order",
    order: {
      externalOrderId,
      marketplaceId: salesChannel === undefined ? null : siteMarketplace(salesChannel),
      orderDate,
      lastUpdateDate,
      orderStatus,
      fulfillmentChannel: fulfillment === undefined || fulfillment === ""
        ? null
        : FULFILLMENT_CHANNEL[fulfillment] ?? fulfillment,
      salesChannel: salesChannel === undefined || salesChannel === "" ? null : salesChannel,
      totalAmount: total.right.totalAmount,
      currency: total.right.currency,
      itemsCount,
      raw,
      items: rows.map((fields, i) =>
        rowItem(prices[i]!, {
          sku: optionalField(fields, index.sku),
          asin: optionalField(fields, index.asin),
          title: optionalField(fields, index.productName),
          status: optionalField(fields, index.itemStatus)
        }, quantities[i]!, i, rule, priced && total.right.totalAmount !== null))
    }
  }
}
