import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Config, Data, Effect, Either, Schema, Stream } from "effect"
import { ReportDocumentError } from "../Domain/ReportErrors.js"
import { schemaBody, type SellerAuth, SpApiClient } from "./SpApi/SpApiClient.js"

/** The flat-file order report by purchase date: every order (one row per item) created in the window. */
export const ORDERS_REPORT = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"

const CreateReportResponse = Schema.Struct({ reportId: Schema.String })
export const Report = Schema.Struct({
  reportId: Schema.String,
  processingStatus: Schema.Literal("IN_QUEUE", "IN_PROGRESS", "DONE", "CANCELLED", "FATAL"),
  createdTime: Schema.String,
  processingStartTime: Schema.optional(Schema.String),
  processingEndTime: Schema.optional(Schema.String),
  reportDocumentId: Schema.optional(Schema.String)
})
export type Report = typeof Report.Type
const ReportDocument = Schema.Struct({
  reportDocumentId: Schema.String,
  url: Schema.String,
  compressionAlgorithm: Schema.optional(Schema.String)
})
export type ReportDocument = typeof ReportDocument.Type

/** The document URL did not serve the document: expired (403), or the download failed. A fresh URL may. */
/** A document past ORDERSYNC_REPORT_DOCUMENT_MAX_MB, as downloaded or decompressed. */
export const tooLarge = (maxBytes: number, what: "downloaded" | "decompressed") =>
  new ReportDocumentError({
    reason: `the document is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB ${what} (ORDERSYNC_REPORT_DOCUMENT_MAX_MB); not read further`
  })

export class DownloadFailed extends Data.TaggedError("DownloadFailed")<{ readonly reason: string }> {
  override get message() {
    return `report document download failed: ${this.reason}`
  }
}

/** A report document as it downloads: its declared content type and its bytes, never whole in memory. */
export interface Download {
  readonly contentType: string | undefined
  /** At most `maxBytes`: one more is a ReportDocumentError. */
  readonly body: Stream.Stream<Uint8Array, DownloadFailed | ReportDocumentError>
  /** The most bytes a document may have, downloaded and decompressed (ORDERSYNC_REPORT_DOCUMENT_MAX_MB). */
  readonly maxBytes: number
}

/**
 * Where report documents may be downloaded from, and how large they may be. Amazon's presigned document URLs are on
 * S3 (`https://tortuga-prod-na.s3-external-1.amazonaws.com/…`); the simulator serves http on its own origin, which
 * its client settings add.
 */
export const DocumentsConfig = Config.all({
  /**
   * Origins, comma-separated: `https://*.amazonaws.com` (the default), `http://127.0.0.1:4100`; a `*.` host matches
   * its subdomains; without a scheme, https.
   */
  origins: Config.string("ORDERSYNC_REPORT_DOCUMENT_ORIGINS").pipe(
    Config.withDefault("https://*.amazonaws.com"),
    Config.map((list) => list.split(",").map((origin) => origin.trim()).filter((origin) => origin !== ""))
  ),
  /**
   * A document (≤ 30 days) of 1 GiB is ~1.5 million orders in a month at ~600 bytes a row: a gzip bomb stops there,
   * a real document does not.
   */
  maxMegabytes: Config.integer("ORDERSYNC_REPORT_DOCUMENT_MAX_MB").pipe(
    Config.withDefault(1024),
    Config.validate({ message: "ORDERSYNC_REPORT_DOCUMENT_MAX_MB must be at least 1", validation: (n) => n >= 1 })
  )
})

/** A URL without its query and fragment: a presigned URL's signature and token never reach a log or `lastError`. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return url.replace(/[?#].*$/s, "")
  }
}

/** Every URL in a text, redacted (an HTTP client's message names the request's URL). */
export const redactUrls = (text: string): string => text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi, redactUrl)

/** Whether `url` is on one of the allowed `origins` (see DocumentsConfig). */
export const allowedDocumentUrl = (origins: ReadonlyArray<string>, url: URL): boolean =>
  origins.some((origin) => {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(origin)
    const protocol = scheme ? `${scheme[1]!.toLowerCase()}:` : "https:"
    const rest = scheme ? origin.slice(scheme[0].length) : origin
    const [host, port] = rest.toLowerCase().replace(/\/+$/, "").split(/:(?=[^:\]]*$)/) as [string, string | undefined]
    if (url.protocol !== protocol) return false
    if ((port ?? "") !== url.port) return false
    const hostname = url.hostname.toLowerCase()
    return host.startsWith("*.") ? hostname.endsWith(host.slice(1)) && hostname.length > host.length - 1 : hostname === host
  })

/** An S3 error body names its code and message; the rest (StringToSign, CanonicalRequest) can echo the URL's query. */
const s3Error = (text: string): string => {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1]
  const message = /<Message>([^<]{1,200})<\/Message>/.exec(text)?.[1]
  return code === undefined ? "" : `: ${code}${message === undefined ? "" : ` (${message})`}`
}

/** Amazon's Reports API 2021-06-30, as far as order history needs it; every call paced by the tenant's buckets. */
export class Reports extends Effect.Service<Reports>()("ordersync/Reports", {
  effect: Effect.gen(function*() {
    const client = yield* SpApiClient
    // No span of the HTTP client: its attributes hold the full URL (the signature, the session token).
    const http = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true))
    const documents = yield* DocumentsConfig
    const maxBytes = documents.maxMegabytes * 1024 * 1024
    const base = "/reports/2021-06-30"

    const createReport = (
      seller: SellerAuth,
      window: { readonly startAt: Date; readonly endAt: Date; readonly marketplaceIds: ReadonlyArray<string> }
    ) =>
      client.call(seller, {
        operation: "createReport",
        method: "POST",
        path: `${base}/reports`,
        params: [],
        paginated: false,
        body: {
          reportType: ORDERS_REPORT,
          marketplaceIds: window.marketplaceIds,
          dataStartTime: window.startAt.toISOString(),
          dataEndTime: window.endAt.toISOString()
        }
      }, schemaBody(CreateReportResponse))

    const getReport = (seller: SellerAuth, reportId: string) =>
      client.call(seller, {
        operation: "getReport",
        path: `${base}/reports/${encodeURIComponent(reportId)}`,
        params: [],
        paginated: false
      }, schemaBody(Report))

    /** Only a report still IN_QUEUE can be cancelled; Amazon refuses the others (400), which is fine here. */
    const cancelReport = (seller: SellerAuth, reportId: string) =>
      client.call(seller, {
        operation: "cancelReport",
        method: "DELETE",
        path: `${base}/reports/${encodeURIComponent(reportId)}`,
        params: [],
        paginated: false
      }, (body) => Either.right(body))

    const getReportDocument = (seller: SellerAuth, documentId: string) =>
      client.call(seller, {
        operation: "getReportDocument",
        path: `${base}/documents/${encodeURIComponent(documentId)}`,
        params: [],
        paginated: false
      }, schemaBody(ReportDocument))

    /** Fails once more than `maxBytes` have come: a document larger than the cap is not read to its end. */
    const capped = <E>(body: Stream.Stream<Uint8Array, E>): Stream.Stream<Uint8Array, E | ReportDocumentError> =>
      Stream.suspend(() => {
        let total = 0
        return Stream.mapEffect(body, (bytes) => {
          total += bytes.length
          return total > maxBytes ? Effect.fail(tooLarge(maxBytes, "downloaded")) : Effect.succeed(bytes)
        })
      })

    /**
     * Opens a document URL (presigned: no SP-API token) and hands over its bytes as they arrive. Only https to the
     * allowed origins; what fails names the URL's host and path, never its query.
     */
    const download = (url: string): Effect.Effect<Download, DownloadFailed | ReportDocumentError> =>
      Effect.gen(function*() {
        const parsed = URL.canParse(url) ? new URL(url) : undefined
        if (parsed === undefined || !allowedDocumentUrl(documents.origins, parsed)) {
          return yield* new ReportDocumentError({
            reason: `the document URL ${redactUrl(url)} is not on an allowed origin (ORDERSYNC_REPORT_DOCUMENT_ORIGINS: ${documents.origins.join(", ")})`
          })
        }
        const response = yield* http.execute(HttpClientRequest.get(url)).pipe(
          Effect.mapError((e) => new DownloadFailed({ reason: redactUrls(e.message) }))
        )
        if (response.status !== 200) {
          const text = yield* Effect.orElseSucceed(response.text, () => "")
          return yield* new DownloadFailed({ reason: `HTTP ${response.status}${s3Error(text)} (${redactUrl(url)})` })
        }
        return {
          contentType: response.headers["content-type"],
          body: capped(response.stream.pipe(Stream.mapError((e) => new DownloadFailed({ reason: redactUrls(e.message) })))),
          maxBytes
        }
      }).pipe(Effect.withSpan("report.download", { attributes: { "url.redacted": redactUrl(url) }, captureStackTrace: false }))

    return { createReport, getReport, cancelReport, getReportDocument, download } as const
  })
}) {}
