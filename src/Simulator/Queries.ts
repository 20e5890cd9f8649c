import { createHash } from "node:crypto"
import type { DateFamily } from "./Listing.js"
import { findMarketplace } from "./Marketplaces.js"
import { fulfillmentStatuses, type FulfillmentStatus, type OrderBook, orderIdOf, statusAt } from "./OrderBook.js"

/** A validated order listing, the same for both API versions; page tokens carry it. */
export interface ListingQuery {
  readonly family: DateFamily
  readonly after: number
  /** The effective upper bound: the caller's, or now minus the two-minute rule. */
  readonly before: number
  readonly marketplaceIds: ReadonlyArray<string> | null
  readonly statuses: ReadonlyArray<FulfillmentStatus> | null
  readonly fulfilledBy: ReadonlyArray<"AMAZON" | "MERCHANT"> | null
  readonly orderIds: ReadonlyArray<string> | null
}

export interface ParsedListing {
  /** Absent when the request carries a page token: the token's query applies. */
  readonly query: ListingQuery | undefined
  readonly pageToken: string | undefined
  readonly limit: number
  /** Hash of the parameters a 2026 token requires unchanged. */
  readonly fingerprint: string
  readonly includedData: ReadonlySet<string>
}

export interface InvalidInput {
  readonly _tag: "InvalidInput"
  readonly message: string
  readonly details: string
}

const invalid = (details: string, message = "Invalid Input"): InvalidInput => ({ _tag: "InvalidInput", message, details })

export type Params = ReadonlyMap<string, ReadonlyArray<string>>

/** Query parameters by name; arrays may come comma-separated or repeated. */
export const readParams = (search: URLSearchParams): Params => {
  const params = new Map<string, Array<string>>()
  for (const [name, value] of search) {
    const values = params.get(name) ?? []
    values.push(value)
    params.set(name, values)
  }
  return params
}

const single = (params: Params, name: string): string | undefined => params.get(name)?.[0]

const list = (params: Params, name: string): ReadonlyArray<string> | undefined => {
  const values = params.get(name)
  return values?.flatMap((value) => value.split(",")).filter((value) => value !== "")
}

const isoPattern = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/

const parseDate = (value: string): number | undefined => {
  if (!isoPattern.test(value)) return undefined
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/.test(value) && value.includes("T")
  const ms = Date.parse(hasZone || !value.includes("T") ? value : `${value}Z`)
  return Number.isNaN(ms) ? undefined : ms
}

interface Names {
  readonly createdAfter: string
  readonly createdBefore: string
  readonly lastUpdatedAfter: string
  readonly lastUpdatedBefore: string
  readonly marketplaceIds: string
  readonly maxResultsPerPage: string
  readonly pageToken: string
}

const names2026: Names = {
  createdAfter: "createdAfter",
  createdBefore: "createdBefore",
  lastUpdatedAfter: "lastUpdatedAfter",
  lastUpdatedBefore: "lastUpdatedBefore",
  marketplaceIds: "marketplaceIds",
  maxResultsPerPage: "maxResultsPerPage",
  pageToken: "paginationToken"
}

const namesV0: Names = {
  createdAfter: "CreatedAfter",
  createdBefore: "CreatedBefore",
  lastUpdatedAfter: "LastUpdatedAfter",
  lastUpdatedBefore: "LastUpdatedBefore",
  marketplaceIds: "MarketplaceIds",
  maxResultsPerPage: "MaxResultsPerPage",
  pageToken: "NextToken"
}

const v0Statuses: Record<string, FulfillmentStatus | null> = {
  Pending: "PENDING",
  Unshipped: "UNSHIPPED",
  PartiallyShipped: "PARTIALLY_SHIPPED",
  Shipped: "SHIPPED",
  Canceled: "CANCELLED",
  Unfulfillable: "UNFULFILLABLE",
  PendingAvailability: "PENDING_AVAILABILITY",
  // Never produced by the simulator, but a valid filter value.
  InvoiceUnconfirmed: null
}

export const includedDataValues: ReadonlySet<string> = new Set(["BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION", "FULFILLMENT", "PACKAGES", "TAX", "PAYMENT", "FULFILLMENT_ORDERS"])

export interface ParseContext {
  readonly now: number
  /** Real milliseconds of Amazon's two-minute rule after time scaling. */
  readonly twoMinutesMs: number
  /** The rule's 400 in Amazon's generic words, as the field reports it (FieldErrors.genericTwoMinuteRule). */
  readonly genericTwoMinuteRule: boolean
}

/** Amazon's answer to a `*Before` within two minutes of now, as the field quotes it: nothing names the rule. */
const GENERIC_INVALID = "The input you have submitted is not valid. Please check your input and try again."

const parsePageSize = (params: Params, name: string): number | InvalidInput => {
  const raw = single(params, name)
  if (raw === undefined) return 100
  const size = Number(raw)
  return /^\d+$/.test(raw) && size >= 1 && size <= 100 ? size : invalid(`${name} must be between 1 and 100; got '${raw}'.`)
}

const parseMarketplaces = (params: Params, name: string): ReadonlyArray<string> | undefined | InvalidInput => {
  const ids = list(params, name)
  if (ids === undefined) return undefined
  if (ids.length > 50) return invalid(`${name} can contain at most 50 values.`)
  const unknown = ids.find((id) => findMarketplace(id) === undefined)
  return unknown === undefined ? ids : invalid(`Invalid ${name} value: ${unknown}.`, "Marketplace ID is not defined")
}

/** The date window, validated as Amazon does for both versions. */
const parseWindow = (
  params: Params,
  names: Names,
  context: ParseContext
): Pick<ListingQuery, "family" | "after" | "before"> | InvalidInput => {
  const dates: Partial<Record<keyof Names, number>> = {}
  for (const key of ["createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"] as const) {
    const raw = single(params, names[key])
    if (raw === undefined) continue
    const ms = parseDate(raw)
    if (ms === undefined) return invalid(`${names[key]} '${raw}' is not a valid ISO 8601 date-time.`)
    dates[key] = ms
  }
  const created = dates.createdAfter !== undefined || dates.createdBefore !== undefined
  const updated = dates.lastUpdatedAfter !== undefined || dates.lastUpdatedBefore !== undefined
  if (created && updated) {
    return invalid(`${names.createdAfter}/${names.createdBefore} cannot be combined with ${names.lastUpdatedAfter}/${names.lastUpdatedBefore}.`)
  }
  const family: DateFamily = created ? "created" : "lastUpdated"
  const afterName = created ? names.createdAfter : names.lastUpdatedAfter
  const beforeName = created ? names.createdBefore : names.lastUpdatedBefore
  const after = created ? dates.createdAfter : dates.lastUpdatedAfter
  const before = created ? dates.createdBefore : dates.lastUpdatedBefore
  if (after === undefined) return invalid(`Exactly one of ${names.createdAfter} and ${names.lastUpdatedAfter} is required.`)
  if (after > context.now) return invalid(`${afterName} must not be in the future.`)
  const latest = context.now - context.twoMinutesMs
  if (before !== undefined && before < after) return invalid(`${beforeName} must be equal to or after ${afterName}.`)
  if (before !== undefined && before > latest) {
    return context.genericTwoMinuteRule
      ? invalid("", GENERIC_INVALID)
      : invalid(`${beforeName} must be at least two minutes before the time of the request.`)
  }
  return { family, after, before: before ?? latest }
}

const fingerprintOf = (params: Params, ignored: ReadonlyArray<string>): string => {
  const canonical = [...params.keys()]
    .filter((name) => !ignored.includes(name))
    .sort()
    .map((name) => [name, [...(list(params, name) ?? [])].sort()])
  return createHash("sha256").update(JSON.stringify(canonical)).digest("base64url").slice(0, 22)
}

/** searchOrders (2026-01-01). */
export const parseSearchOrders = (params: Params, context: ParseContext): ParsedListing | InvalidInput => {
  const limit = parsePageSize(params, names2026.maxResultsPerPage)
  if (typeof limit !== "number") return limit
  const includedData = list(params, "includedData") ?? []
  const badIncluded = includedData.find((value) => !includedDataValues.has(value))
  if (badIncluded !== undefined) return invalid(`Invalid includedData value: ${badIncluded}.`)
  const window = parseWindow(params, names2026, context)
  if ("_tag" in window) return window
  const marketplaceIds = parseMarketplaces(params, names2026.marketplaceIds)
  if (marketplaceIds !== undefined && "_tag" in marketplaceIds) return marketplaceIds
  const statuses = list(params, "fulfillmentStatuses")
  const badStatus = statuses?.find((status) => !(fulfillmentStatuses as ReadonlyArray<string>).includes(status))
  if (badStatus !== undefined) return invalid(`Invalid fulfillmentStatuses value: ${badStatus}.`)
  const fulfilledBy = list(params, "fulfilledBy")
  const badFulfilledBy = fulfilledBy?.find((value) => value !== "AMAZON" && value !== "MERCHANT")
  if (badFulfilledBy !== undefined) return invalid(`Invalid fulfilledBy value: ${badFulfilledBy}.`)
  const pageToken = single(params, names2026.pageToken)
  return {
    query: {
      ...window,
      marketplaceIds: marketplaceIds ?? null,
      statuses: (statuses as ReadonlyArray<FulfillmentStatus> | undefined) ?? null,
      fulfilledBy: (fulfilledBy as ReadonlyArray<"AMAZON" | "MERCHANT"> | undefined) ?? null,
      orderIds: null
    },
    pageToken,
    limit,
    fingerprint: fingerprintOf(params, [names2026.pageToken, names2026.maxResultsPerPage, "includedData"]),
    includedData: new Set(includedData)
  }
}

/** getOrders (v0): a request with NextToken is answered from the token's own query. */
export const parseGetOrders = (params: Params, context: ParseContext): ParsedListing | InvalidInput => {
  const limit = parsePageSize(params, namesV0.maxResultsPerPage)
  if (typeof limit !== "number") return limit
  const marketplaceIds = parseMarketplaces(params, namesV0.marketplaceIds)
  if (marketplaceIds !== undefined && "_tag" in marketplaceIds) return marketplaceIds
  if (marketplaceIds === undefined || marketplaceIds.length === 0) {
    return invalid("Missing required parameter MarketplaceIds.", "MarketplaceIds is required")
  }
  const pageToken = single(params, namesV0.pageToken)
  const fingerprint = fingerprintOf(params, [namesV0.pageToken, namesV0.maxResultsPerPage])
  const base = { pageToken, limit, fingerprint, includedData: new Set<string>() }
  if (pageToken !== undefined) return { ...base, query: undefined }
  const window = parseWindow(params, namesV0, context)
  if ("_tag" in window) return window
  const orderStatuses = list(params, "OrderStatuses")
  const badStatus = orderStatuses?.find((status) => !(status in v0Statuses))
  if (badStatus !== undefined) return invalid(`Invalid OrderStatuses value: ${badStatus}.`)
  const channels = list(params, "FulfillmentChannels")
  const badChannel = channels?.find((value) => value !== "AFN" && value !== "MFN")
  if (badChannel !== undefined) return invalid(`Invalid FulfillmentChannels value: ${badChannel}.`)
  const orderIds = list(params, "AmazonOrderIds")
  if (orderIds !== undefined && orderIds.length > 50) return invalid("AmazonOrderIds can contain at most 50 values.")
  return {
    ...base,
    query: {
      ...window,
      marketplaceIds,
      statuses: orderStatuses?.flatMap((status) => v0Statuses[status] ?? []) ?? null,
      fulfilledBy: channels?.map((channel) => (channel === "AFN" ? "AMAZON" : "MERCHANT")) ?? null,
      orderIds: orderIds ?? null
    }
  }
}

/** The filters of a listing as a predicate over order positions. */
export const acceptsOf = (query: ListingQuery): ((book: OrderBook, i: number, now: number) => boolean) => {
  const marketplaceIds = query.marketplaceIds && new Set(query.marketplaceIds)
  const statuses = query.statuses && new Set<string>(query.statuses)
  const byAmazon = query.fulfilledBy && new Set(query.fulfilledBy.map((value) => value === "AMAZON"))
  const orderIds = query.orderIds && new Set(query.orderIds)
  return (book, i, now) =>
    (marketplaceIds === null || marketplaceIds.has(book.marketplaceIds[book.marketplace[i]!]!)) &&
    (byAmazon === null || byAmazon.has(book.fulfilledByAmazon[i] === 1)) &&
    (statuses === null || statuses.has(statusAt(book, i, now))) &&
    (orderIds === null || orderIds.has(orderIdOf(book, i)))
}
