import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Data, Effect, Either, Schema, Stream } from "effect"
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
export class DownloadFailed extends Data.TaggedError("DownloadFailed")<{ readonly reason: string }> {
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

    /** Opens a document URL (presigned: no SP-API token) and hands over its bytes as they arrive. */
    const download = (url: string): Effect.Effect<Download, DownloadFailed> =>
      http.execute(HttpClientRequest.get(url)).pipe(
        Effect.mapError((e) => new DownloadFailed({ reason: e.message })),
        Effect.flatMap((response) =>
          response.status === 200
            ? Effect.succeed({
              contentType: response.headers["content-type"],
              body: response.stream.pipe(Stream.mapError((e) => new DownloadFailed({ reason: e.message })))
            })
            : Effect.flatMap(Effect.orElseSucceed(response.text, () => ""), (text) =>
              Effect.fail(new DownloadFailed({
                reason: `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`
              }))))
      )

    return { createReport, getReport, cancelReport, getReportDocument, download } as const
  })
}) {}
