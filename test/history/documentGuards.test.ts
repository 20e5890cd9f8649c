import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Zlib from "node:zlib"
import { Backfill } from "../../src/Services/Backfill.js"
import { allowedDocumentUrl, redactUrls } from "../../src/Services/Reports.js"
import { scoped as simulator, type SimulatorHandle } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, requestsOf, storedOrders, testSeller } from "../support/Engine.js"

const FACTOR = 3600

/** What the proxy does to a presigned download: rewrite the document's text, cut the connection, or serve other bytes. */
type Tamper =
  | { readonly _tag: "Rewrite"; readonly text: (text: string) => string }
  | { readonly _tag: "Reset" }
  | { readonly _tag: "Serve"; readonly gzipped: Buffer }

/**
 * Amazon as the simulator serves it, behind a local proxy: presigned URLs name the Host the client used, so document
 * downloads come through here too, where a test changes them (rows Amazon could send, a gzip bomb, a cut connection).
 */
const tamperingProxy = (sim: SimulatorHandle, tamper: Tamper) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly server: Http.Server; readonly documents: Array<string> }>((resume) => {
      const upstream = new URL(sim.url)
      const documents: Array<string> = []
      const server = Http.createServer((req, res) => {
        const isDocument = req.url!.startsWith("/_documents/")
        if (isDocument) documents.push(req.url!)
        if (isDocument && tamper._tag === "Reset") return req.socket.destroy()
        const forward = Http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
          const pieces: Array<Buffer> = []
          answer.on("data", (piece: Buffer) => pieces.push(piece))
          answer.on("end", () => {
            let body: Buffer = Buffer.concat(pieces)
            if (isDocument && answer.statusCode === 200) {
              body = tamper._tag === "Serve"
                ? tamper.gzipped
                : tamper._tag === "Rewrite"
                ? Zlib.gzipSync(Buffer.from(tamper.text(Zlib.gunzipSync(body).toString("utf8")), "utf8"))
                : body
            }
            res.writeHead(answer.statusCode!, { ...answer.headers, "content-length": String(body.length) })
            res.end(body)
          })
        })
        req.pipe(forward)
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, documents })))
    }),
    ({ server }) => Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
  )

/** The engine talking to the simulator through the proxy, order reports for history. */
const throughProxy = (sim: SimulatorHandle, proxy: string, extra: Record<string, string> = {}) =>
  engineFor(sim, {
    SPAPI_ENDPOINT: proxy,
    LWA_ENDPOINT: `${proxy}/auth/o2/token`,
    ORDERSYNC_REPORT_DOCUMENT_ORIGINS: proxy,
    ORDERSYNC_HISTORY_SOURCE: "reports",
    ...extra
  })

const BOM = "\uFEFF"

/** The document's data rows by order id, in order (the header first, a byte-order mark kept on it). */
const split = (text: string) => {
  const [header, ...rows] = text.split("\n").filter((line) => line !== "")
  const columns = header!.replace(BOM, "").split("\t")
  return { header: header!, rows, column: (name: string) => columns.indexOf(name) }
}

const quarantine = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ externalOrderId: string; error: string }>`
      SELECT "externalOrderId", "error" FROM "OrderSyncQuarantine" WHERE "tenantId" = ${tenantId} ORDER BY "externalOrderId"`.pipe(Effect.orDie))

const lastError = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ lastError: string | null }>`SELECT "lastError" FROM "MarketplaceSyncState" WHERE "tenantId" = ${tenantId}`.pipe(
      Effect.orDie,
      Effect.map(([row]) => row?.lastError ?? null)
    ))

describe("report documents Amazon could send: bad rows, bombs, cut downloads, URLs", () => {
  it.scopedLive("a NUL in a field and quantities past 2^31 quarantine their two orders; every other order is stored, the run succeeds", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("bad-rows", 3000, 71)] })
      const bad: { nul?: string; overflow?: string } = {}
      const proxy = yield* tamperingProxy(sim, {
        _tag: "Rewrite",
        text: (text) => {
          const { column, header, rows } = split(text)
          const id = column("amazon-order-id")
          const ids = [...new Set(rows.map((row) => row.split("\t")[id]!))]
          // The same two orders in every document they are in (a fresh URL serves the same rows).
          bad.nul ??= ids[0]
          bad.overflow ??= ids[1]
          const out: Array<string> = []
          for (const row of rows) {
            const fields = row.split("\t")
            if (fields[id] === bad.nul) fields[column("product-name")] = `${fields[column("product-name")]}\u0000`
            if (fields[id] === bad.overflow) {
              fields[column("quantity")] = "2147483647"
              // A second item of the same quantity: together past PostgreSQL's INTEGER.
              out.push(fields.join("\t"))
              fields[column("sku")] = `${fields[column("sku")]}-2`
            }
            out.push(fields.join("\t"))
          }
          return [header, ...out].join("\n") + "\n"
        }
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("bad-rows", 60)
        expect(status.initialBackfillStatus).toBe("success")
        expect(proxy.documents.length).toBeGreaterThan(0)
        const kept = yield* quarantine("bad-rows")
        expect(kept).toEqual([
          { externalOrderId: bad.nul, error: "data row 1 holds a NUL character, which PostgreSQL cannot store" },
          { externalOrderId: bad.overflow, error: "itemsCount 4294967294 does not fit PostgreSQL's integer column (at most 2147483647)" }
        ].sort((a, b) => a.externalOrderId!.localeCompare(b.externalOrderId!)))
        const stored = yield* storedOrders("bad-rows")
        const [run] = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql<{ rangeStart: Date; rangeEnd: Date }>`SELECT "rangeStart", "rangeEnd" FROM "OrderSyncBackfill" WHERE "tenantId" = 'bad-rows'`)
        const truth = sim.groundTruth("bad-rows", { createdAfter: run!.rangeStart, createdBefore: run!.rangeEnd })
        expectExactly(
          stored.filter((o) => o.orderDate >= run!.rangeStart && o.orderDate <= run!.rangeEnd),
          truth.filter((o) => o.orderId !== bad.nul && o.orderId !== bad.overflow)
        )
      }).pipe(Effect.provide(throughProxy(sim, proxy.url)))
    }), 120_000)

  it.scopedLive("a gzip bomb stops at ORDERSYNC_REPORT_DOCUMENT_MAX_MB with a clear error, not parsed to its end", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("bomb", 3000, 72)] })
      // A valid header, then 64 MiB of one row repeated with fresh ids every 5,000 rows: ~200 KiB of gzip.
      const header = "amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tquantity\tcurrency\titem-price\n"
      const rows = (n: number) => `111-${String(n).padStart(7, "0")}-0000000\t2026-05-08T23:36:26+00:00\t2026-05-09T10:00:00+00:00\tShipped\t1\tUSD\t10.00\n`.repeat(5000)
      const zip = Zlib.createGzip({ level: 9 })
      const pieces: Array<Buffer> = []
      zip.on("data", (piece: Buffer) => pieces.push(piece))
      zip.write(header)
      for (let n = 0; n < 150; n++) zip.write(rows(n))
      yield* Effect.async<void>((resume) => {
        zip.end(() => resume(Effect.void))
      })
      const gzipped = Buffer.concat(pieces)
      expect(gzipped.length).toBeLessThan(2 * 1024 * 1024)
      const proxy = yield* tamperingProxy(sim, { _tag: "Serve", gzipped })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const result = yield* Effect.either((yield* Backfill).runInitialBackfill("bomb", 60))
        expect(result._tag).toBe("Left")
        const status = yield* (yield* Backfill).getBackfillStatus("bomb")
        expect(status.initialBackfillStatus).toBe("failed")
        expect(status.lastError).toBe(
          "report document: the document is larger than 8 MiB decompressed (ORDERSYNC_REPORT_DOCUMENT_MAX_MB); not read further"
        )
        // Not a cut download: no fresh URL is fetched for a document (the next window's may be opened meanwhile).
        const paths = proxy.documents.map((url) => url.replace(/\?.*$/, ""))
        expect(new Set(paths).size).toBe(paths.length)
        // None of the bomb's 150 orders (of 5,000 rows each) was stored: the cap came before its first chunk.
        expect((yield* storedOrders("bomb")).filter((o) => o.externalOrderId.startsWith("111-"))).toEqual([])
      }).pipe(Effect.provide(throughProxy(sim, proxy.url, { ORDERSYNC_REPORT_DOCUMENT_MAX_MB: "8" })))
    }), 120_000)

  it.scopedLive("a cut download never puts the presigned URL's query in lastError", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("cut", 3000, 73)] })
      const proxy = yield* tamperingProxy(sim, { _tag: "Reset" })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const result = yield* Effect.either((yield* Backfill).runInitialBackfill("cut", 60))
        expect(result._tag).toBe("Left")
        // Five fresh URLs tried for the window, each cut (the next window's document may be opened meanwhile).
        expect(proxy.documents.length).toBeGreaterThanOrEqual(5)
        const error = (yield* lastError("cut"))!
        expect(error).toMatch(/^report document download failed: /)
        expect(error).toContain(`${proxy.url}/_documents/cut/`)
        expect(error).not.toMatch(/signature|expires=|\?/)
      }).pipe(Effect.provide(throughProxy(sim, proxy.url)))
    }), 120_000)

  it.scopedLive("by default only https to Amazon's S3 hosts: the simulator's http URL is refused before any download", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("strict", 3000, 74)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const result = yield* Effect.either((yield* Backfill).runInitialBackfill("strict", 60))
        expect(result._tag).toBe("Left")
        expect(sim.stats("strict").reports.downloads).toBe(0)
        expect(requestsOf(sim, "strict", "getReportDocument")).toBeGreaterThan(0)
        const error = (yield* lastError("strict"))!
        expect(error).toMatch(/^report document: the document URL http:\/\/127\.0\.0\.1:\d+\/_documents\/strict\/[^?\s]+ is not on an allowed origin \(ORDERSYNC_REPORT_DOCUMENT_ORIGINS: https:\/\/\*\.amazonaws\.com\)$/)
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_HISTORY_SOURCE: "reports", ORDERSYNC_REPORT_DOCUMENT_ORIGINS: "https://*.amazonaws.com" })))
    }), 120_000)
})

describe("document URLs", () => {
  it("allowed origins: https by default, *. for subdomains, the port as written", () => {
    const allowed = (origins: ReadonlyArray<string>, url: string) => allowedDocumentUrl(origins, new URL(url))
    const amazon = ["https://*.amazonaws.com"]
    expect(allowed(amazon, "https://tortuga-prod-na.s3-external-1.amazonaws.com/abc?X-Amz-Signature=1")).toBe(true)
    expect(allowed(amazon, "https://tortuga-prod-fe.s3-us-west-2.amazonaws.com/abc")).toBe(true)
    expect(allowed(amazon, "http://tortuga-prod-na.s3-external-1.amazonaws.com/abc")).toBe(false)
    expect(allowed(amazon, "https://amazonaws.com.evil.example/abc")).toBe(false)
    expect(allowed(amazon, "https://evilamazonaws.com/abc")).toBe(false)
    expect(allowed(amazon, "https://x.amazonaws.com:8443/abc")).toBe(false)
    expect(allowed(["*.amazonaws.com"], "https://x.amazonaws.com/abc")).toBe(true)
    expect(allowed(["http://127.0.0.1:4100"], "http://127.0.0.1:4100/_documents/a/b")).toBe(true)
    expect(allowed(["http://127.0.0.1:4100"], "http://127.0.0.1:4101/_documents/a/b")).toBe(false)
    expect(allowed(["http://127.0.0.1:4100"], "https://127.0.0.1:4100/_documents/a/b")).toBe(false)
  })

  it("every URL in a message keeps its host and path only", () => {
    expect(redactUrls("Transport: fetch failed (GET https://tortuga-prod-na.s3-external-1.amazonaws.com/a/b.txt?X-Amz-Security-Token=IQo&X-Amz-Signature=f00)"))
      .toBe("Transport: fetch failed (GET https://tortuga-prod-na.s3-external-1.amazonaws.com/a/b.txt)")
  })
})
