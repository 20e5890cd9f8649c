import iconv from "iconv-lite"
import { gzipSync } from "node:zlib"
import type { ReportItem, ReportOrder } from "./Content.js"
import type { Charset, OrderReportType } from "./Settings.js"

/** The documented columns of the order tracking reports, in their documented order. */
export const documentedColumns = [
  "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
  "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "product-name", "sku", "asin",
  "item-status", "quantity", "currency", "item-price", "item-tax", "shipping-price", "shipping-tax",
  "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount", "ship-promotion-discount", "ship-city",
  "ship-state", "ship-postal-code", "ship-country", "promotion-ids", "cpf", "is-business-order",
  "purchase-order-number", "price-designation"
] as const

const EU = new Set(["A1F83G8C2ARO7P", "A1PA6795UKMFR9", "A13V1IB3VIYZZH", "APJ6JRA9NG5V4", "A1RKKUPIHCS9HS", "A1805IZSGTT6HS", "A2NODRKZP88ZB9", "A1C3SOZRARQ6R3"])

const moved = (columns: ReadonlyArray<string>, column: string, before: string): ReadonlyArray<string> => {
  const rest = columns.filter((c) => c !== column)
  const at = rest.indexOf(before)
  return [...rest.slice(0, at), column, ...rest.slice(at)]
}

/**
 * The header of a report, by the report's first marketplace: real files differ by marketplace and year
 * (an extra column here, a missing one there, another order), so a reader must map by header name.
 */
export const columnsFor = (reportType: OrderReportType, marketplaceId: string): ReadonlyArray<string> => {
  let columns: ReadonlyArray<string> = documentedColumns
  if (reportType === "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL") columns = columns.filter((c) => c !== "cpf")
  if (marketplaceId === "ATVPDKIKX0DER") return [...columns, "signature-confirmation-recommended"]
  if (marketplaceId === "A2EUQ1WTGCTBG2") return columns.filter((c) => c !== "price-designation")
  if (EU.has(marketplaceId)) {
    return [...moved(moved(moved(columns, "sku", "product-name"), "currency", "item-tax"), "ship-country", "ship-city"), "is-iba"]
  }
  if (marketplaceId === "A1VC38T7YXB528") return moved(columns.filter((c) => c !== "cpf"), "signature-confirmation-recommended", "promotion-ids")
  return columns
}

/**
 * How a file writes a discount. Amazon documents no sign for `item-promotion-discount` and `ship-promotion-discount`,
 * and public readers of these files take it both ways. The simulator writes both, negative except for orders of the
 * European marketplaces (`EU`, UK included), so that a reader cannot depend on either (test/FIDELITY.md, F11).
 */
export const discountSign = (marketplaceId: string): 1 | -1 => EU.has(marketplaceId) ? 1 : -1

const cell = (order: ReportOrder, item: ReportItem, column: string): string => {
  switch (column) {
    case "amazon-order-id": return order.orderId
    case "purchase-date": return order.purchaseDate
    case "last-updated-date": return order.lastUpdatedDate
    case "order-status": return order.orderStatus
    case "fulfillment-channel": return order.fulfillmentChannel
    case "sales-channel": return order.salesChannel
    case "ship-service-level": return order.shipServiceLevel
    case "product-name": return item.productName
    case "sku": return item.sku
    case "asin": return item.asin
    case "item-status": return item.itemStatus
    case "quantity": return String(item.quantity)
    case "currency": return order.currency ?? ""
    case "item-price": return item.itemPrice ?? ""
    case "item-tax": return item.itemTax ?? ""
    case "shipping-price": return item.shippingPrice ?? ""
    case "shipping-tax": return item.shippingTax ?? ""
    case "gift-wrap-price": return item.giftWrapPrice ?? ""
    case "gift-wrap-tax": return item.giftWrapTax ?? ""
    case "item-promotion-discount": return item.itemPromotionDiscount ?? ""
    case "ship-promotion-discount": return item.shipPromotionDiscount ?? ""
    case "ship-city": return order.shipCity
    case "ship-state": return order.shipState
    case "ship-postal-code": return order.shipPostalCode
    case "ship-country": return order.shipCountry
    case "is-business-order":
    case "signature-confirmation-recommended":
    case "is-iba":
      return "false"
    default:
      // merchant-order-id, order-channel, promotion-ids, cpf, purchase-order-number, price-designation
      return ""
  }
}

/** The report file as text: a header line, then one tab-separated line per order item. */
export const renderReport = (columns: ReadonlyArray<string>, orders: ReadonlyArray<ReportOrder>): string => {
  const lines = [columns.join("\t")]
  for (const order of orders) for (const item of order.items) lines.push(columns.map((column) => cell(order, item, column)).join("\t"))
  return `${lines.join("\n")}\n`
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/** The file's bytes in its charset; UTF-8 starts with a byte-order mark. Characters a legacy charset lacks become "?". */
export const encodeReport = (text: string, charset: Charset): Buffer =>
  charset === "UTF-8" ? Buffer.concat([BOM, Buffer.from(text, "utf8")]) : iconv.encode(text, charset)

/** What the presigned URL serves: the gzip of the file, and the charset its Content-Type declares. */
export interface StoredDocument {
  readonly gzipped: Buffer
  readonly charset: Charset
}

export const storeDocument = (text: string, charset: Charset): StoredDocument => ({
  gzipped: gzipSync(encodeReport(text, charset)),
  charset
})
