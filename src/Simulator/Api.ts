import { createHash } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Operation, SimulatorConfig } from "./Config.js"
import { corruptOrder, drawBodyFault, drawDelayMs, drawRequestFault, isCorruptOrder, isDatasetsDropped, isNulItemText, isNulText, withNulText } from "./Faults.js"
import { listPage } from "./Listing.js"
import type { Lwa } from "./Lwa.js"
import { HORIZON_MS, isVisible, SECOND } from "./OrderBook.js"
import { decodePageToken, encodePageToken } from "./PageToken.js"
import {
  acceptsOf,
  includedDataValues,
  type InvalidInput,
  type ListingQuery,
  type Params,
  parseGetOrders,
  parseSearchOrders,
  readParams
} from "./Queries.js"
import { type IncludedData, renderOrder2026, renderOrderItemsV0, renderOrderV0 } from "./Render.js"
import { handleReports, type ReportsRoute, routeReports } from "./Reports/Api.js"
import { DOCUMENTS_PATH, handleDownload } from "./Reports/Download.js"
import { type ApiError, errorBody, parseFormOrJson, readBody, sendJson, sendMalformed, sendTruncated } from "./Respond.js"
import type { SellerState } from "./Sellers.js"
import type { SellerStatsRecorder } from "./Stats.js"
import { formatRate } from "./UsagePlans.js"

export interface ApiContext {
  readonly config: SimulatorConfig
  readonly lwa: Lwa
  readonly sellers: ReadonlyMap<string, SellerState>
  /** Requests whose seller is unknown (no or bad access token). */
  readonly anonymous: SellerStatsRecorder
  /** Connections held open by the hang fault; closed with the server. */
  readonly hung: Set<ServerResponse>
  readonly now: () => number
}

/** What an operation answers before faults and headers are applied. */
interface Outcome {
  readonly status: number
  readonly body: unknown
  /** Identifies the page served, to count pages fetched again. */
  readonly pageKey?: string
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z")

const denied = (details: string): ApiError => ({ code: "Unauthorized", message: "Access to requested resource is denied.", details })

/** The undecodable token's words, as the field quotes them (amzn/selling-partner-api-models#2382, #2387). */
const UNDECODABLE_TOKEN = "We could not decode your NextToken. Possible reasons include: a transmission error, improper quoting or a truncation problem."

const quotaExceeded: ApiError = { code: "QuotaExceeded", message: "You exceeded your quota for the requested resource." }

const invalidInput = (error: InvalidInput): Outcome => ({
  status: 400,
  body: errorBody({ code: "InvalidInput", message: error.message, details: error.details })
})

/** v0 getOrders refusing a NextToken, as the field quotes it: a null message and no details, the code alone. */
const nullMessage: Outcome = { status: 400, body: { errors: [{ message: null, code: "InvalidInput" }] } }

const notFound = (orderId: string): Outcome => ({
  status: 404,
  body: errorBody({ code: "NotFound", message: "The requested order was not found.", details: `Order ${orderId} was not found.` })
})

const hash = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("base64url").slice(0, 22)

interface Route {
  readonly operation: Operation
  readonly orderId?: string
  readonly reports?: ReportsRoute
}

const route = (method: string | undefined, pathname: string): Route | undefined => {
  const reports = routeReports(method, pathname)
  if (reports) return { operation: reports.operation, reports }
  if (method !== "GET") return undefined
  if (pathname === "/orders/2026-01-01/orders") return { operation: "searchOrders" }
  if (pathname === "/orders/v0/orders") return { operation: "getOrders" }
  const items = /^\/orders\/v0\/orders\/([^/]+)\/orderItems$/.exec(pathname)
  if (items) return { operation: "getOrderItems", orderId: decodeURIComponent(items[1]!) }
  const match = /^\/orders\/(2026-01-01|v0)\/orders\/([^/]+)$/.exec(pathname)
  if (!match) return undefined
  return { operation: match[1] === "v0" ? "getOrderV0" : "getOrder", orderId: decodeURIComponent(match[2]!) }
}

export const handleApi = async (context: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void> => {
  const requestHeaders = { "x-amzn-RequestId": requestId }
  if (url.pathname === "/auth/o2/token") return handleToken(context, req, res, requestHeaders)
  if (url.pathname.startsWith(DOCUMENTS_PATH)) return handleDownload(context, req, res, url, requestId)
  const target = route(req.method, url.pathname)
  if (!target) {
    context.anonymous.response("unknown", 404)
    return sendJson(res, 404, errorBody({ code: "NotFound", message: "Resource not found.", details: `${req.method} ${url.pathname}` }), requestHeaders)
  }
  const { operation } = target
  const now = context.now()
  const access = context.lwa.checkAccessToken(headerValue(req.headers["x-amz-access-token"]), now)
  if (access._tag === "Missing" || access._tag === "Invalid") {
    context.anonymous.invalidAccessTokens++
    context.anonymous.response(operation, 403)
    const details = access._tag === "Missing"
      ? "Access token is missing in the request header."
      : "The access token you provided is revoked, malformed or invalid."
    return sendJson(res, 403, errorBody(denied(details)), requestHeaders)
  }
  const seller = context.sellers.get(access.sellerId)!
  const { stats } = seller
  if (access._tag === "Expired") {
    stats.expiredAccessTokens++
    stats.response(operation, 403)
    return sendJson(res, 403, errorBody(denied("The access token you provided has expired.")), requestHeaders)
  }
  // A good token for an operation the seller's authorisation does not cover: Amazon says nothing more.
  if (!seller.config.roles.includes(target.reports ? "reports" : "orders")) {
    stats.response(operation, 403)
    return sendJson(res, 403, errorBody(denied("")), requestHeaders)
  }

  stats.begin()
  res.once("close", () => stats.end())
  const fault = drawRequestFault(seller.faultRandom, seller.faults)
  if (fault === "hang") {
    stats.fault("hang")
    stats.response(operation, 0)
    context.hung.add(res)
    res.once("close", () => context.hung.delete(res))
    return
  }
  if (fault !== undefined) {
    stats.fault(fault)
    if (fault === "extra429") stats.throttledInjected++
    const [status, error]: readonly [number, ApiError] =
      fault === "extra429" ? [429, quotaExceeded] :
      fault === "error500" ? [500, { code: "InternalFailure", message: "We encountered an internal error. Please try again." }] :
      [503, { code: "ServiceUnavailable", message: "Service temporarily unavailable. Please try again." }]
    stats.response(operation, status)
    return sendJson(res, status, errorBody(error), requestHeaders)
  }
  const bucket = seller.buckets.get(operation)!
  if (!bucket.tryTake(now)) {
    stats.throttledQuota++
    stats.response(operation, 429)
    return sendJson(res, 429, errorBody(quotaExceeded), requestHeaders)
  }

  const params = readParams(url.searchParams)
  const outcome: Outcome =
    target.reports ? await handleReports({ config: context.config, seller, now, origin: `http://${req.headers.host}` }, target.reports, req, params) :
    operation === "searchOrders" ? searchOrders(context, seller, params, now) :
    operation === "getOrders" ? getOrders(context, seller, params, now) :
    operation === "getOrderItems" ? getOrderItems(context, seller, target.orderId!, params, now) :
    getOrder(seller, operation, target.orderId!, params, now)

  const headers = outcome.status === 200 || outcome.status === 202 || outcome.status === 400 || outcome.status === 404
    ? { ...requestHeaders, "x-amzn-RateLimit-Limit": formatRate(bucket.rate) }
    : requestHeaders
  const delayMs = drawDelayMs(seller.faultRandom, seller.faults)
  if (delayMs > 0) {
    stats.fault("slowResponse")
    await new Promise((resolve) => setTimeout(resolve, delayMs).unref())
    if (res.destroyed) return
  }
  stats.response(operation, outcome.status)
  if (outcome.pageKey !== undefined) stats.page(operation, outcome.pageKey)
  const bodyFault = outcome.status === 200 && outcome.body !== undefined ? drawBodyFault(seller.faultRandom, seller.faults) : undefined
  if (bodyFault !== undefined) stats.fault(bodyFault)
  if (bodyFault === "truncatedBody") return sendTruncated(res, outcome.status, outcome.body, headers)
  if (bodyFault === "malformedJson") return sendMalformed(res, outcome.status, outcome.body, headers)
  return sendJson(res, outcome.status, outcome.body, headers)
}

const headerValue = (value: string | ReadonlyArray<string> | undefined): string | undefined =>
  typeof value === "string" ? value : value?.[0]

const handleToken = async (
  context: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  headers: Readonly<Record<string, string>>
): Promise<void> => {
  if (req.method !== "POST") {
    return sendJson(res, 405, { error: "invalid_request", error_description: "The token endpoint accepts POST only" }, headers)
  }
  const form = parseFormOrJson(await readBody(req), req.headers["content-type"])
  const { config } = context
  const now = context.now()
  const result = context.lwa.requestToken(form, now, (sellerId) => {
    const override = context.sellers.get(sellerId)?.faults.accessTokenLifetimeSeconds
    return {
      // The advertised lifetime is the normal one: an early expiry is the fault.
      advertisedSeconds: Math.max(1, Math.round(config.accessTokenLifetimeSeconds / config.timeFactor)),
      realMs: ((override ?? config.accessTokenLifetimeSeconds) * SECOND) / config.timeFactor
    }
  })
  switch (result._tag) {
    case "Granted": {
      context.sellers.get(result.sellerId)?.stats.response("token", 200)
      return sendJson(res, 200, {
        access_token: result.grant.accessToken,
        refresh_token: result.refreshToken,
        token_type: "bearer",
        expires_in: result.grant.expiresInSeconds
      }, headers)
    }
    case "InvalidClient":
      context.anonymous.response("token", 401)
      return sendJson(res, 401, { error: "invalid_client", error_description: "Client authentication failed" }, headers)
    case "InvalidGrant":
      context.anonymous.response("token", 400)
      return sendJson(res, 400, { error: "invalid_grant", error_description: result.description }, headers)
    case "InvalidRequest":
      context.anonymous.response("token", 400)
      return sendJson(res, 400, { error: "invalid_request", error_description: result.description }, headers)
    case "UnsupportedGrantType":
      context.anonymous.response("token", 400)
      return sendJson(res, 400, { error: "unsupported_grant_type", error_description: "The authorization grant type is not supported by the authorization server" }, headers)
  }
}

interface ResolvedListing {
  readonly query: ListingQuery
  readonly cursor: { readonly time: number; readonly orderId: string } | undefined
  readonly limit: number
  readonly fingerprint: string
  readonly includedData: IncludedData
  readonly pageKey: string
}

/** Validates a listing request and resolves its page token, if any. */
const resolveListing = (
  context: ApiContext,
  seller: SellerState,
  parsed: ReturnType<typeof parseSearchOrders>,
  version: "2026-01-01" | "v0",
  now: number
): ResolvedListing | Outcome => {
  const field = context.config.fieldErrors
  if ("_tag" in parsed) return invalidInput(parsed)
  const base = { limit: parsed.limit, fingerprint: parsed.fingerprint, includedData: parsed.includedData }
  if (parsed.pageToken === undefined) {
    return { ...base, query: parsed.query!, cursor: undefined, pageKey: `${parsed.fingerprint}|first` }
  }
  const decoded = decodePageToken(context.config.tokenSecret, parsed.pageToken, now)
  if (decoded._tag === "Expired") {
    seller.stats.expiredPageTokens++
    if (version === "v0" && field.nullMessageOnRefusedV0Token) return nullMessage
    if (field.undecodableTokenWording) return invalidInput({ _tag: "InvalidInput", message: UNDECODABLE_TOKEN, details: "" })
    return invalidInput({
      _tag: "InvalidInput",
      message: "The NextToken you provided has expired.",
      details: "Page tokens expire. Restart the query without a NextToken."
    })
  }
  if (decoded._tag === "Undecodable" || decoded.content.sellerId !== seller.config.sellerId) {
    seller.stats.undecodablePageTokens++
    if (field.undecodableTokenWording) return invalidInput({ _tag: "InvalidInput", message: UNDECODABLE_TOKEN, details: "" })
    return invalidInput({
      _tag: "InvalidInput",
      message: "We could not decode your NextToken. Please try again with a valid NextToken.",
      details: "The NextToken is malformed or altered; it must be URL-encoded."
    })
  }
  const { content } = decoded
  if (version === "2026-01-01" && content.fingerprint !== parsed.fingerprint) {
    return invalidInput({
      _tag: "InvalidInput",
      message: "Invalid Input",
      details: "paginationToken does not match the request: repeat every parameter other than maxResultsPerPage and includedData unchanged."
    })
  }
  return {
    ...base,
    query: content.query,
    cursor: content.cursor,
    pageKey: `${hash(content.query)}|${content.cursor.time}|${content.cursor.orderId}`
  }
}

const listing = (
  context: ApiContext,
  seller: SellerState,
  listingRequest: ResolvedListing,
  lifetimeSeconds: number,
  now: number
) => {
  const book = seller.book()
  const { query } = listingRequest
  const page = listPage(book, { ...query, cursor: listingRequest.cursor, limit: listingRequest.limit, accepts: acceptsOf(query) }, now)
  const lifetime = seller.faults.pageTokenLifetimeSeconds ?? lifetimeSeconds
  const nextToken = page.hasMore && page.last
    ? encodePageToken(context.config.tokenSecret, {
      sellerId: seller.config.sellerId,
      fingerprint: listingRequest.fingerprint,
      query,
      cursor: page.last,
      expiresAt: now + (lifetime * SECOND) / context.config.timeFactor
    })
    : undefined
  return { book, page, nextToken }
}

const noDatasets: IncludedData = new Set()

const parseContext = (context: ApiContext, now: number) => ({
  now,
  twoMinutesMs: (120 * SECOND) / context.config.timeFactor,
  genericTwoMinuteRule: context.config.fieldErrors.genericTwoMinuteRule
})

const searchOrders = (context: ApiContext, seller: SellerState, params: Params, now: number): Outcome => {
  const parsed = parseSearchOrders(params, parseContext(context, now))
  const resolved = resolveListing(context, seller, parsed, "2026-01-01", now)
  if ("status" in resolved) return resolved
  const { book, page, nextToken } = listing(context, seller, resolved, context.config.pageTokenLifetimeSeconds, now)
  const before = iso(resolved.query.before)
  return {
    status: 200,
    pageKey: resolved.pageKey,
    body: {
      orders: page.positions.map((i) => {
        const rendered = renderOrder2026(book, i, now, isDatasetsDropped(seller.faults, i) ? noDatasets : resolved.includedData)
        const order = isNulText(seller.faults, i) ? withNulText(rendered, ["salesChannel", "marketplaceName"]) : rendered
        return isCorruptOrder(seller.faults, i) ? corruptOrder(order, "createdTime") : order
      }),
      ...(nextToken !== undefined ? { pagination: { nextToken } } : {}),
      ...(resolved.query.family === "created" ? { createdBefore: before } : { lastUpdatedBefore: before })
    }
  }
}

const getOrders = (context: ApiContext, seller: SellerState, params: Params, now: number): Outcome => {
  const parsed = parseGetOrders(params, parseContext(context, now))
  const resolved = resolveListing(context, seller, parsed, "v0", now)
  if ("status" in resolved) return resolved
  const { book, page, nextToken } = listing(context, seller, resolved, context.config.v0PageTokenLifetimeSeconds, now)
  const before = iso(resolved.query.before)
  return {
    status: 200,
    pageKey: resolved.pageKey,
    body: {
      payload: {
        Orders: page.positions.map((i) => {
          const rendered = renderOrderV0(book, i, now)
          const order = isNulText(seller.faults, i) ? withNulText(rendered, ["ShipServiceLevel"]) : rendered
          return isCorruptOrder(seller.faults, i) ? corruptOrder(order, "PurchaseDate") : order
        }),
        ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
        ...(resolved.query.family === "created" ? { CreatedBefore: before } : { LastUpdatedBefore: before })
      }
    }
  }
}

/** The order's position if the seller may see it now (visible, inside the two-year horizon), else -1. */
const findVisibleOrder = (seller: SellerState, orderId: string, now: number): number => {
  const book = seller.book()
  const i = seller.findOrder(orderId)
  return i < 0 || !isVisible(book, i, now) || book.created[i]! < now - HORIZON_MS ? -1 : i
}

/**
 * v0 getOrderItems: all of an order's items on one page. The simulator never hands out a `NextToken` here, so one
 * sent is undecodable.
 */
const getOrderItems = (context: ApiContext, seller: SellerState, orderId: string, params: Params, now: number): Outcome => {
  if (params.has("NextToken")) {
    seller.stats.undecodablePageTokens++
    return invalidInput(context.config.fieldErrors.undecodableTokenWording
      ? { _tag: "InvalidInput", message: UNDECODABLE_TOKEN, details: "" }
      : { _tag: "InvalidInput", message: "We could not decode your NextToken. Please try again with a valid NextToken.", details: "" })
  }
  const i = findVisibleOrder(seller, orderId, now)
  if (i < 0) return notFound(orderId)
  const payload = renderOrderItemsV0(seller.book(), i, now)
  if (!isNulItemText(seller.faults, i)) return { status: 200, body: { payload } }
  // A NUL in each item's note, which the client keeps only in raw.
  const items = (payload as { OrderItems: ReadonlyArray<Record<string, unknown>> }).OrderItems
  return { status: 200, body: { payload: { ...payload, OrderItems: items.map((item) => withNulText(item, ["ConditionNote"])) } } }
}

const getOrder = (seller: SellerState, operation: Operation, orderId: string, params: Params, now: number): Outcome => {
  const includedData = (params.get("includedData") ?? []).flatMap((value) => value.split(","))
  const bad = includedData.find((value) => !includedDataValues.has(value))
  if (operation === "getOrder" && bad !== undefined) {
    return invalidInput({ _tag: "InvalidInput", message: "Invalid Input", details: `Invalid includedData value: ${bad}.` })
  }
  const book = seller.book()
  const i = findVisibleOrder(seller, orderId, now)
  if (i < 0) return notFound(orderId)
  return operation === "getOrder"
    ? { status: 200, body: { order: renderOrder2026(book, i, now, new Set(includedData)) } }
    : { status: 200, body: { payload: renderOrderV0(book, i, now) } }
}
