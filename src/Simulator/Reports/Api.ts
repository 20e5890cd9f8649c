import { createHmac, timingSafeEqual } from "node:crypto"
import type { IncomingMessage } from "node:http"
import type { SimulatorConfig } from "../Config.js"
import { SECOND } from "../OrderBook.js"
import type { Params } from "../Queries.js"
import { type ApiError, errorBody, readBody } from "../Respond.js"
import type { SellerState } from "../Sellers.js"
import { presignedUrl } from "./Download.js"
import { type ProcessingStatus, type ReportRecord, stateOf } from "./Lifecycle.js"
import { isOrderReportType, RETENTION_SECONDS } from "./Settings.js"

export type ReportsOperation = "createReport" | "getReport" | "getReports" | "cancelReport" | "getReportDocument"

export interface ReportsRoute {
  readonly operation: ReportsOperation
  readonly id?: string
}

const REPORTS = "/reports/2021-06-30/reports"
const DOCUMENTS = "/reports/2021-06-30/documents/"

export const routeReports = (method: string | undefined, pathname: string): ReportsRoute | undefined => {
  if (pathname === REPORTS) return method === "POST" ? { operation: "createReport" } : method === "GET" ? { operation: "getReports" } : undefined
  if (pathname.startsWith(`${REPORTS}/`)) {
    const id = pathname.slice(REPORTS.length + 1)
    if (id === "" || id.includes("/")) return undefined
    const reportId = decodeURIComponent(id)
    return method === "GET" ? { operation: "getReport", id: reportId } : method === "DELETE" ? { operation: "cancelReport", id: reportId } : undefined
  }
  if (pathname.startsWith(DOCUMENTS) && method === "GET") {
    const id = pathname.slice(DOCUMENTS.length)
    return id === "" || id.includes("/") ? undefined : { operation: "getReportDocument", id: decodeURIComponent(id) }
  }
  return undefined
}

export interface ReportsContext {
  readonly config: SimulatorConfig
  readonly seller: SellerState
  readonly now: number
  /** The simulator's own origin as the client reached it, for presigned URLs. */
  readonly origin: string
}

/** An answer before faults and headers; a body of undefined is sent empty (cancelReport's 200). */
export interface ReportsOutcome {
  readonly status: number
  readonly body: unknown
}

const fail = (status: number, error: ApiError): ReportsOutcome => ({ status, body: errorBody(error) })
const invalid = (details: string, message = "Invalid Input"): ReportsOutcome => fail(400, { code: "InvalidInput", message, details })
const notFound = (what: string): ReportsOutcome =>
  fail(404, { code: "NotFound", message: "The requested resource was not found.", details: `${what} was not found.` })

/** Report types Amazon has beyond the order tracking ones: the simulator knows their names, not their contents. */
const otherKnownReportTypes = new Set([
  "GET_XML_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
  "GET_FLAT_FILE_ARCHIVED_ORDERS_DATA_BY_ORDER_DATE", "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING",
  "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING", "GET_FLAT_FILE_ORDER_REPORT_DATA_INVOICING", "GET_FLAT_FILE_ORDER_REPORT_DATA_TAX",
  "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL", "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_INVOICING", "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_TAX",
  "GET_MERCHANT_LISTINGS_ALL_DATA", "GET_MERCHANT_LISTINGS_DATA", "GET_FLAT_FILE_OPEN_LISTINGS_DATA",
  "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", "GET_FBA_MYI_ALL_INVENTORY_DATA", "GET_AFN_INVENTORY_DATA",
  "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE", "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", "GET_V2_SETTLEMENT_REPORT_DATA_XML",
  "GET_SALES_AND_TRAFFIC_REPORT", "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA", "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",
  "GET_DATE_RANGE_FINANCIAL_TRANSACTION_DATA", "GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA", "GET_ORDER_REPORT_DATA_INVOICING"
])

// RFC 3339 date-time, the model's `format: date-time`: a zone is required.
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/i

const parseDateTime = (value: unknown): number | undefined => {
  if (typeof value !== "string") return undefined
  const match = dateTimePattern.exec(value)
  if (!match) return undefined
  const [, , month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number]
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

const iso = (ms: number): string => new Date(ms).toISOString()

/** A report as the model's `Report` definition has it. */
export const renderReport = (report: ReportRecord, now: number): Record<string, unknown> => {
  const state = stateOf(report, now)
  return {
    reportId: report.reportId,
    reportType: report.reportType,
    dataStartTime: iso(report.dataStart),
    dataEndTime: iso(report.dataEnd),
    marketplaceIds: report.marketplaceIds,
    createdTime: iso(report.createdAt),
    processingStatus: state.processingStatus,
    ...(state.processingStartTime !== undefined ? { processingStartTime: iso(state.processingStartTime) } : {}),
    ...(state.processingEndTime !== undefined ? { processingEndTime: iso(state.processingEndTime) } : {}),
    ...(state.reportDocumentId !== undefined ? { reportDocumentId: state.reportDocumentId } : {})
  }
}

const isStringRecord = (value: unknown): boolean =>
  value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string")

const createReport = async (context: ReportsContext, req: IncomingMessage): Promise<ReportsOutcome> => {
  const contentType = req.headers["content-type"]
  if (contentType !== undefined && !contentType.toLowerCase().includes("json")) {
    return fail(415, { code: "UnsupportedMediaType", message: "The request's Content-Type is not supported.", details: `Content-Type: ${contentType}; send application/json.` })
  }
  let body: unknown
  try {
    body = JSON.parse(await readBody(req))
  } catch {
    return invalid("The request body is not valid JSON.")
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return invalid("The request body must be a CreateReportSpecification object.")
  const spec = body as Record<string, unknown>
  const { seller, now } = context

  const reportType = spec.reportType
  if (typeof reportType !== "string" || reportType === "") return invalid("reportType is required.")
  if (!isOrderReportType(reportType)) {
    return otherKnownReportTypes.has(reportType)
      ? invalid(`Report type ${reportType} is not supported by the simulator: it serves GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL and GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL.`)
      : invalid(`Invalid reportType ${reportType}: no such report type.`, "Invalid report type.")
  }

  const marketplaceIds = spec.marketplaceIds
  if (!Array.isArray(marketplaceIds) || marketplaceIds.length < 1 || marketplaceIds.length > 25 || !marketplaceIds.every((id) => typeof id === "string")) {
    return invalid("marketplaceIds is required: an array of 1 to 25 marketplace ids.")
  }
  const unknown = marketplaceIds.find((id) => !seller.config.marketplaceIds.includes(id))
  if (unknown !== undefined) return invalid(`Invalid marketplaceId ${unknown}: the seller does not sell in this marketplace.`)
  if (new Set(marketplaceIds).size !== marketplaceIds.length) return invalid("marketplaceIds must not repeat a marketplace.")

  if (spec.reportOptions !== undefined && !isStringRecord(spec.reportOptions)) return invalid("reportOptions must map option names to string values.")

  // The model: both default to now, and both must be prior to or equal to the current date and time.
  const times: Record<"dataStartTime" | "dataEndTime", number> = { dataStartTime: now, dataEndTime: now }
  for (const name of ["dataStartTime", "dataEndTime"] as const) {
    if (spec[name] === undefined) continue
    const ms = parseDateTime(spec[name])
    if (ms === undefined) return invalid(`${name} is not a valid ISO 8601 date-time with a zone: ${String(spec[name])}.`)
    if (ms > now) return invalid(`${name} must be prior to or equal to the current date and time.`)
    times[name] = ms
  }
  if (times.dataStartTime > times.dataEndTime) return invalid("dataStartTime must not be after dataEndTime.")

  const report = seller.reports.create(
    { reportType, marketplaceIds: marketplaceIds as ReadonlyArray<string>, dataStart: times.dataStartTime, dataEnd: times.dataEndTime },
    now
  )
  seller.stats.reports.created++
  if (report.fate === "fatal") seller.stats.reports.fatal++
  if (report.fate === "stuck") seller.stats.reports.stuck++
  return { status: 202, body: { reportId: report.reportId } }
}

const statuses: ReadonlyArray<ProcessingStatus> = ["CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE"]

interface ReportsFilter {
  readonly reportTypes: ReadonlyArray<string>
  readonly processingStatuses: ReadonlyArray<string> | null
  readonly marketplaceIds: ReadonlyArray<string> | null
  readonly createdSince: number
  readonly createdUntil: number
  readonly pageSize: number
}

interface ReportsToken {
  readonly sellerId: string
  readonly filter: ReportsFilter
  /** The last report id served: the next page starts below it (newest first). */
  readonly after: string
}

const tokenMac = (secret: string, payload: string) => createHmac("sha256", secret).update(payload).digest("base64url").slice(0, 22)

const encodeToken = (secret: string, token: ReportsToken): string => {
  const payload = Buffer.from(JSON.stringify(token)).toString("base64url")
  return `${payload}.${tokenMac(secret, payload)}`
}

const decodeToken = (secret: string, text: string): ReportsToken | undefined => {
  const [payload, mac, ...rest] = text.split(".")
  if (payload === undefined || mac === undefined || rest.length > 0) return undefined
  const expected = Buffer.from(tokenMac(secret, payload))
  if (Buffer.byteLength(mac) !== expected.length || !timingSafeEqual(Buffer.from(mac), expected)) return undefined
  try {
    return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as ReportsToken
  } catch {
    return undefined
  }
}

const list = (params: Params, name: string): ReadonlyArray<string> | undefined =>
  params.get(name)?.flatMap((value) => value.split(",")).filter((value) => value !== "")

const getReports = (context: ReportsContext, params: Params): ReportsOutcome => {
  const { config, seller, now } = context
  let filter: ReportsFilter
  let after: string | undefined
  const nextToken = params.get("nextToken")?.[0]
  if (nextToken !== undefined) {
    const others = [...params.keys()].filter((name) => name !== "nextToken")
    if (others.length > 0) return invalid(`nextToken must be the only parameter; also given: ${others.join(", ")}.`)
    const token = decodeToken(config.tokenSecret, nextToken)
    if (!token || token.sellerId !== seller.config.sellerId) return invalid("The nextToken is malformed or altered.", "Invalid nextToken.")
    filter = token.filter
    after = token.after
  } else {
    const reportTypes = list(params, "reportTypes")
    if (reportTypes === undefined) return invalid("Either reportTypes or nextToken is required.")
    if (reportTypes.length < 1 || reportTypes.length > 10) return invalid("reportTypes must list 1 to 10 report types.")
    const processingStatuses = list(params, "processingStatuses")
    if (processingStatuses !== undefined) {
      const bad = processingStatuses.find((status) => !(statuses as ReadonlyArray<string>).includes(status))
      if (processingStatuses.length < 1 || bad !== undefined) return invalid(`Invalid processingStatuses value: ${bad ?? "(empty)"}.`)
    }
    const marketplaceIds = list(params, "marketplaceIds")
    if (marketplaceIds !== undefined && (marketplaceIds.length < 1 || marketplaceIds.length > 10)) return invalid("marketplaceIds must list 1 to 10 marketplace ids.")
    const pageSizeText = params.get("pageSize")?.[0]
    const pageSize = pageSizeText === undefined ? 10 : /^\d+$/.test(pageSizeText) ? Number(pageSizeText) : NaN
    if (!(pageSize >= 1 && pageSize <= 100)) return invalid("pageSize must be an integer from 1 to 100.")
    const bound = (name: "createdSince" | "createdUntil", fallback: number): number | ReportsOutcome => {
      const text = params.get(name)?.[0]
      if (text === undefined) return fallback
      return parseDateTime(text) ?? invalid(`${name} is not a valid ISO 8601 date-time with a zone: ${text}.`)
    }
    const createdSince = bound("createdSince", now - (RETENTION_SECONDS * SECOND) / config.timeFactor)
    if (typeof createdSince !== "number") return createdSince
    const createdUntil = bound("createdUntil", now)
    if (typeof createdUntil !== "number") return createdUntil
    if (createdSince > createdUntil) return invalid("createdSince must not be after createdUntil.")
    filter = {
      reportTypes,
      processingStatuses: processingStatuses ?? null,
      marketplaceIds: marketplaceIds ?? null,
      createdSince,
      createdUntil,
      pageSize
    }
  }
  // Newest first; reports older than the retention are gone whatever createdSince says.
  const matching = seller.reports.list(now).filter((report) =>
    filter.reportTypes.includes(report.reportType) &&
    report.createdAt >= filter.createdSince && report.createdAt <= filter.createdUntil &&
    (filter.marketplaceIds === null || report.marketplaceIds.some((id) => filter.marketplaceIds!.includes(id))) &&
    (filter.processingStatuses === null || filter.processingStatuses.includes(stateOf(report, now).processingStatus)) &&
    (after === undefined || report.reportId < after)
  ).reverse()
  const page = matching.slice(0, filter.pageSize)
  const more = matching.length > page.length
  return {
    status: 200,
    body: {
      reports: page.map((report) => renderReport(report, now)),
      ...(more ? { nextToken: encodeToken(config.tokenSecret, { sellerId: seller.config.sellerId, filter, after: page[page.length - 1]!.reportId }) } : {})
    }
  }
}

const getReportDocument = (context: ReportsContext, documentId: string, params: Params): ReportsOutcome => {
  const flag = params.get("enableContentEncodingUrlHeader")?.[0]
  if (flag !== undefined && flag !== "true" && flag !== "false") return invalid("enableContentEncodingUrlHeader must be true or false.")
  const report = context.seller.reports.findDocument(documentId, context.now)
  if (!report) return notFound(`Report document ${documentId}`)
  return {
    status: 200,
    body: {
      reportDocumentId: documentId,
      url: presignedUrl(context.config, context.origin, context.seller, documentId, context.now, flag === "true"),
      compressionAlgorithm: "GZIP"
    }
  }
}

/** Answers one Reports API operation for an authenticated seller whose bucket had a token. */
export const handleReports = async (context: ReportsContext, route: ReportsRoute, req: IncomingMessage, params: Params): Promise<ReportsOutcome> => {
  const { seller, now } = context
  switch (route.operation) {
    case "createReport":
      return createReport(context, req)
    case "getReports":
      return getReports(context, params)
    case "getReportDocument":
      return getReportDocument(context, route.id!, params)
    case "getReport": {
      const report = seller.reports.find(route.id!, now)
      return report ? { status: 200, body: renderReport(report, now) } : notFound(`Report ${route.id}`)
    }
    case "cancelReport": {
      const report = seller.reports.find(route.id!, now)
      if (!report) return notFound(`Report ${route.id}`)
      if (!seller.reports.cancel(report, now)) {
        return invalid(
          `Report ${report.reportId} is ${stateOf(report, now).processingStatus}: only reports IN_QUEUE can be cancelled.`,
          "The report cannot be cancelled."
        )
      }
      seller.stats.reports.cancelled++
      return { status: 200, body: undefined }
    }
  }
}
