import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Data, Effect, Either, ParseResult, Schema, Stream } from "effect"
import { type SellerAuth, SpApiClient, type SpApiError, type SpApiResponse } from "./SpApi/SpApiClient.js"

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

const decoder = <A, I>(schema: Schema.Schema<A, I>) => (body: unknown) =>
  Either.mapLeft(Schema.decodeUnknownEither(schema)(body), (e) => ParseResult.TreeFormatter.formatErrorSync(e))

/** The document URL did not serve the document: expired (403), or the download failed. A fresh URL may. */
export class DownloadFailed extends Data.TaggedError("DownloadFailed")<{ readonly reason: string; readonly expired: boolean }> {
  override get message() {
    return `report document download failed: ${this.reason}`
  }
}

/** A report document as it downloads: its declared content type and its bytes, never whole in memory. */
export interface Download {
  readonly contentType: string | undefined
  readonly body: Stream.Stream<Uint8Array, DownloadFailed>
}

/** Amazon's Reports API 2021-06-30, as far as order history needs it; every call paced by the tenant's buckets. */
export class Reports extends Effect.Service<Reports>()("ordersync/Reports", {
  effect: Effect.gen(function*() {
    const client = yield* SpApiClient
    const http = yield* HttpClient.HttpClient
    const base = "/reports/2021-06-30"

    const createReport = (
      seller: SellerAuth,
      window: { readonly startAt: Date; readonly endAt: Date; readonly marketplaceIds: ReadonlyArray<string> }
    ): Effect.Effect<SpApiResponse<{ readonly reportId: string }>, SpApiError> =>
      client.request(seller, {
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
      }, decoder(CreateReportResponse)) as Effect.Effect<SpApiResponse<{ readonly reportId: string }>, SpApiError>

    const getReport = (seller: SellerAuth, reportId: string) =>
      client.request(seller, {
        operation: "getReport",
        path: `${base}/reports/${encodeURIComponent(reportId)}`,
        params: [],
        paginated: false
      }, decoder(Report)) as Effect.Effect<SpApiResponse<Report>, SpApiError>

    /** Only a report still IN_QUEUE can be cancelled; Amazon refuses the others (400), which is fine here. */
    const cancelReport = (seller: SellerAuth, reportId: string) =>
      client.request(seller, {
        operation: "cancelReport",
        method: "DELETE",
        path: `${base}/reports/${encodeURIComponent(reportId)}`,
        params: [],
        paginated: false
      }, (body) => Either.right(body)) as Effect.Effect<SpApiResponse<unknown>, SpApiError>

    const getReportDocument = (seller: SellerAuth, documentId: string) =>
      client.request(seller, {
        operation: "getReportDocument",
        path: `${base}/documents/${encodeURIComponent(documentId)}`,
        params: [],
        paginated: false
      }, decoder(ReportDocument)) as Effect.Effect<SpApiResponse<ReportDocument>, SpApiError>

    /** Opens a document URL (presigned: no SP-API token) and hands over its bytes as they arrive. */
    const download = (url: string): Effect.Effect<Download, DownloadFailed> =>
      http.execute(HttpClientRequest.get(url)).pipe(
        Effect.mapError((e) => new DownloadFailed({ reason: e.message, expired: false })),
        Effect.flatMap((response) =>
          response.status === 200
            ? Effect.succeed({
              contentType: response.headers["content-type"],
              body: response.stream.pipe(Stream.mapError((e) => new DownloadFailed({ reason: e.message, expired: false })))
            })
            : Effect.flatMap(Effect.orElseSucceed(response.text, () => ""), (text) =>
              Effect.fail(new DownloadFailed({
                reason: `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`,
                expired: response.status === 403
              }))))
      )

    return { createReport, getReport, cancelReport, getReportDocument, download } as const
  })
}) {}
