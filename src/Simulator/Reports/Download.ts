import { createHmac, timingSafeEqual } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { SimulatorConfig } from "../Config.js"
import { SECOND } from "../OrderBook.js"
import type { SellerState } from "../Sellers.js"
import { columnsFor, renderReport, storeDocument } from "./Document.js"
import { rangeExceeded, type ReportRecord } from "./Lifecycle.js"

/** Where presigned document URLs point: served by the simulator itself, without an SP-API token, like S3. */
export const DOCUMENTS_PATH = "/_documents/"

type Encoding = "gzip" | "identity"

const sign = (secret: string, sellerId: string, documentId: string, expires: number, encoding: Encoding): string =>
  createHmac("sha256", secret).update(`${sellerId}\n${documentId}\n${expires}\n${encoding}`).digest("hex")

/**
 * A presigned URL: `${origin}/_documents/<seller>/<documentId>?expires=<epoch ms>&encoding=…&signature=…`.
 * `encoding=gzip` (getReportDocument's enableContentEncodingUrlHeader) adds `Content-Encoding: gzip`.
 */
export const presignedUrl = (
  config: SimulatorConfig,
  origin: string,
  seller: SellerState,
  documentId: string,
  now: number,
  contentEncodingHeader: boolean
): string => {
  const expires = Math.floor(now + (seller.config.reports.documentUrlLifetimeSeconds * SECOND) / config.timeFactor)
  const encoding: Encoding = contentEncodingHeader ? "gzip" : "identity"
  const signature = sign(config.tokenSecret, seller.config.sellerId, documentId, expires, encoding)
  const path = `${DOCUMENTS_PATH}${encodeURIComponent(seller.config.sellerId)}/${encodeURIComponent(documentId)}`
  return `${origin}${path}?${new URLSearchParams({ expires: String(expires), encoding, signature })}`
}

const FATAL_TEXT =
  "Report processing failed with an internal error (simulated FATAL). Amazon gives no further detail: request the report again later, and less often.\n"
const RANGE_TEXT = "Date range exceeded. Report can be requested only upto 30 days\n"

const documentText = (seller: SellerState, report: ReportRecord): string => {
  if (report.fate === "fatal") return FATAL_TEXT
  if (rangeExceeded(report)) return RANGE_TEXT
  return renderReport(columnsFor(report.reportType, report.marketplaceIds[0]!), seller.reports.contents(report))
}

/** The report's charset: the one configured for its first marketplace, else the seller's. */
export const charsetOf = (seller: SellerState, report: ReportRecord) =>
  seller.config.reports.charsets[report.marketplaceIds[0]!] ?? seller.config.reports.charset

const cache = new WeakMap<ReportRecord, ReturnType<typeof storeDocument>>()

const documentOf = (seller: SellerState, report: ReportRecord) => {
  let stored = cache.get(report)
  if (!stored) {
    stored = storeDocument(documentText(seller, report), charsetOf(seller, report))
    cache.set(report, stored)
  }
  return stored
}

const xmlError = (res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string>, requestId: string): void => {
  const fields = Object.entries({ Code: code, Message: message, ...extra, RequestId: requestId, HostId: "simulator" })
    .map(([name, value]) => `<${name}>${value}</${name}>`)
    .join("")
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${fields}</Error>`
  res.writeHead(status, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(body), "x-amz-request-id": requestId })
  res.end(body)
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z")

/** Serves a presigned document URL as S3 would: 403 XML when the signature is wrong or the URL has expired. */
export const handleDownload = (
  context: { readonly config: SimulatorConfig; readonly sellers: ReadonlyMap<string, SellerState>; readonly now: () => number },
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  requestId: string
): void => {
  if (req.method !== "GET") {
    return xmlError(res, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.", {}, requestId)
  }
  const match = /^\/_documents\/([^/]+)\/([^/]+)$/.exec(url.pathname)
  const sellerId = match ? decodeURIComponent(match[1]!) : ""
  const documentId = match ? decodeURIComponent(match[2]!) : ""
  const expires = Number(url.searchParams.get("expires"))
  const encoding = url.searchParams.get("encoding")
  const given = Buffer.from(url.searchParams.get("signature") ?? "", "hex")
  const seller = context.sellers.get(sellerId)
  const valid =
    seller !== undefined && Number.isFinite(expires) && (encoding === "gzip" || encoding === "identity") &&
    given.length === 32 && timingSafeEqual(given, Buffer.from(sign(context.config.tokenSecret, sellerId, documentId, expires, encoding), "hex"))
  if (!valid) {
    return xmlError(res, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", {}, requestId)
  }
  const now = context.now()
  if (now > expires || seller.reports.takeForcedExpiry()) {
    seller.stats.reports.expiredDownloads++
    const lifetime = String(Math.round(seller.config.reports.documentUrlLifetimeSeconds))
    return xmlError(res, 403, "AccessDenied", "Request has expired", { "X-Amz-Expires": lifetime, Expires: iso(expires), ServerTime: iso(now) }, requestId)
  }
  const report = seller.reports.findDocument(documentId, now)
  if (!report) return xmlError(res, 403, "AccessDenied", "Access Denied", {}, requestId)
  const stored = documentOf(seller, report)
  seller.stats.reports.downloads++
  res.writeHead(200, {
    // S3 serves the object with the charset Amazon stored it with; the body stays gzip either way.
    "Content-Type": `text/plain; charset=${stored.charset}`,
    "Content-Length": stored.gzipped.length,
    ...(encoding === "gzip" ? { "Content-Encoding": "gzip" } : {}),
    "x-amz-request-id": requestId
  })
  res.end(stored.gzipped)
}
