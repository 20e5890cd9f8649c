import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import fc from "fast-check"
import iconv from "iconv-lite"
import { Readable } from "node:stream"
import * as V8 from "node:v8"
import * as Vm from "node:vm"
import * as Zlib from "node:zlib"
import type { DecodedOrder, Order, QuarantinedOrder } from "../../src/Domain/Order.js"
import { ReportDateRangeExceeded, ReportDocumentError } from "../../src/Domain/ReportErrors.js"
import { documentOrders, type ReportChunk } from "../../src/Services/History/ReportDocument.js"

// Documents are written here as TSV text, encoded and gzipped, and fed as a stream of byte pieces.

const REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
const COLUMNS = [
  "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
  "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "product-name", "sku", "asin",
  "item-status", "quantity", "currency", "item-price", "item-tax", "shipping-price", "shipping-tax",
  "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount", "ship-promotion-discount", "ship-city",
  "ship-state", "ship-postal-code", "ship-country", "promotion-ids", "cpf", "is-business-order",
  "purchase-order-number", "price-designation"
]

type Row = Record<string, string>

const row = (id: string, fields: Row = {}): Row => ({
  "amazon-order-id": id,
  "purchase-date": "2026-05-08T23:36:26+00:00",
  "last-updated-date": "2026-05-09T10:00:00+00:00",
  "order-status": "Shipped",
  "fulfillment-channel": "Amazon",
  "sales-channel": "Amazon.com",
  "product-name": "Widget",
  "sku": "SKU-1",
  "quantity": "1",
  "currency": "USD",
  "item-price": "10.00",
  ...fields
})

const tsv = (rows: ReadonlyArray<Row>, columns: ReadonlyArray<string> = COLUMNS, eol = "\n") =>
  [columns.join("\t"), ...rows.map((r) => columns.map((c) => r[c] ?? "").join("\t"))].join(eol) + eol

const gzip = (bytes: Uint8Array) => new Uint8Array(Zlib.gzipSync(bytes))

/** The bytes as a download delivers them: one buffer per stream chunk, cut at the given sizes. */
const pieces = (bytes: Uint8Array, size = 7): Stream.Stream<Uint8Array> => {
  const out: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return Stream.fromIterable(out).pipe(Stream.rechunk(1))
}

interface Options {
  readonly contentType?: string | undefined
  readonly skipRows?: number
  readonly chunkOrders?: number
  readonly compressed?: boolean
}

const read = (bytes: Uint8Array, options: Options = {}) => {
  const compressed = options.compressed ?? true
  return documentOrders(pieces(compressed ? gzip(bytes) : bytes), {
    contentType: "contentType" in options ? options.contentType : "text/plain; charset=UTF-8",
    compressed,
    reportType: REPORT_TYPE,
    skipRows: options.skipRows ?? 0,
    chunkOrders: options.chunkOrders ?? 100
  }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
}

const utf8 = (text: string) => new TextEncoder().encode(text)
const orders = (chunks: ReadonlyArray<ReportChunk>) => chunks.flatMap((chunk) => chunk.orders)
const ok = (decoded: DecodedOrder): Order => {
  if (decoded._tag !== "Order") throw new Error(`quarantined: ${decoded.quarantined.error}`)
  return decoded.order
}
const quarantined = (decoded: DecodedOrder): QuarantinedOrder => {
  if (decoded._tag !== "Quarantined") throw new Error(`decoded: ${decoded.order.externalOrderId}`)
  return decoded.quarantined
}
const rawRows = (order: { readonly raw: unknown }) => (order.raw as { rows: ReadonlyArray<Row> }).rows

describe("report documents", () => {
  it.effect("multi-item orders, a repeated SKU, a Pending MFN order without price, a cancelled one", () =>
    Effect.gen(function*() {
      const text = tsv([
        row("111-0000001-0000001", { "sku": "A", "quantity": "2", "item-price": "19.98" }),
        row("111-0000001-0000001", { "sku": "B", "quantity": "1", "item-price": "5.5" }),
        row("111-0000001-0000001", { "sku": "A", "quantity": "1", "item-price": "9.99" }),
        row("111-0000002-0000002", {
          "order-status": "Pending",
          "fulfillment-channel": "Merchant",
          "currency": "",
          "item-price": ""
        }),
        row("111-0000003-0000003", { "order-status": "Cancelled", "quantity": "0", "item-price": "0.00" }),
        row("111-0000004-0000004", { "order-status": "Shipped - Delivered to Buyer", "sales-channel": "Amazon.fr", "currency": "EUR" }),
        row("111-0000005-0000005", { "order-status": "Shipping", "sales-channel": "Non-Amazon" }),
        row("111-0000006-0000006", { "order-status": "Pending - Waiting for Pick Up" }),
        row("111-0000007-0000007", { "order-status": "Brand New Status" }),
        row("111-0000008-0000008", { "order-status": "Shipping", "item-status": "Unshipped" }),
        row("111-0000008-0000008", { "order-status": "Shipping", "item-status": "Shipped" }),
        row("111-0000009-0000009", { "order-status": "Pending", "fulfillment-channel": "Amazon", "item-price": "12.00" })
      ])
      const chunks = yield* read(utf8(text))
      const [multi, pending, cancelled, fr, shipping, pickUp, unknown, partial, pendingAfn] = orders(chunks).map(ok)
      expect(multi).toMatchObject({
        externalOrderId: "111-0000001-0000001",
        marketplaceId: "ATVPDKIKX0DER",
        orderStatus: "SHIPPED",
        fulfillmentChannel: "AMAZON",
        salesChannel: "Amazon.com",
        totalAmount: "35.47",
        currency: "USD",
        itemsCount: 4
      })
      expect(multi!.orderDate.toISOString()).toBe("2026-05-08T23:36:26.000Z")
      expect(multi!.lastUpdateDate.toISOString()).toBe("2026-05-09T10:00:00.000Z")
      expect(multi!.raw).toMatchObject({ source: "report", reportType: REPORT_TYPE })
      expect(rawRows(multi!).map((r) => r["sku"])).toEqual(["A", "B", "A"])
      expect(Object.keys(rawRows(multi!)[0]!)).toEqual(COLUMNS)
      expect(pending).toMatchObject({ orderStatus: "PENDING", fulfillmentChannel: "MERCHANT", totalAmount: null, currency: null })
      expect(cancelled).toMatchObject({ orderStatus: "CANCELLED", totalAmount: "0.00", itemsCount: 0 })
      expect(fr).toMatchObject({ orderStatus: "SHIPPED", marketplaceId: "A13V1IB3VIYZZH", currency: "EUR" })
      // "Shipping" is unshipped unless a row's item-status says Shipped.
      expect(shipping).toMatchObject({ orderStatus: "UNSHIPPED", marketplaceId: null, salesChannel: "Non-Amazon" })
      expect(partial!.orderStatus).toBe("PARTIALLY_SHIPPED")
      // An Amazon-fulfilled Pending order has a price in the report, but no total yet.
      expect(pendingAfn).toMatchObject({ orderStatus: "PENDING", totalAmount: null, currency: null })
      // Not a pre-order: pending, without a total like every pending order (the price stays in raw).
      expect(pickUp).toMatchObject({ orderStatus: "PENDING", totalAmount: null, currency: null })
      expect(unknown!.orderStatus).toBe("Brand New Status")
      expect(chunks.at(-1)!.rowsThrough).toBe(12)
    }))

  it.effect("columns go by header name: shuffled, extra ones kept in raw, optional ones missing", () =>
    Effect.gen(function*() {
      const columns = [
        "signature-confirmation-recommended", "currency", "item-price", "quantity", "order-status",
        "last-updated-date", "purchase-date", "sku", "amazon-order-id"
      ]
      const text = tsv([row("222-1", { "signature-confirmation-recommended": "false", "currency": "JPY", "item-price": "1200" })], columns)
      const [order] = orders(yield* read(utf8(text))).map(ok)
      expect(order).toMatchObject({
        externalOrderId: "222-1",
        marketplaceId: null,
        salesChannel: null,
        fulfillmentChannel: null,
        totalAmount: "1200",
        currency: "JPY"
      })
      expect(rawRows(order!)[0]).toEqual({
        "signature-confirmation-recommended": "false",
        "currency": "JPY",
        "item-price": "1200",
        "quantity": "1",
        "order-status": "Shipped",
        "last-updated-date": "2026-05-09T10:00:00+00:00",
        "purchase-date": "2026-05-08T23:36:26+00:00",
        "sku": "SKU-1",
        "amazon-order-id": "222-1"
      })
    }))

  it.effect("a header without a column we need fails the whole document, saying which", () =>
    Effect.gen(function*() {
      const columns = COLUMNS.filter((c) => c !== "purchase-date" && c !== "quantity")
      const error = yield* Effect.flip(read(utf8(tsv([row("1")], columns))))
      expect(error).toBeInstanceOf(ReportDocumentError)
      expect(error.message).toContain("no purchase-date, quantity columns")
    }))

  it.effect("windows-1252 and ISO-8859-1: é, ü, ß, € and – decoded right", () =>
    Effect.gen(function*() {
      const text = tsv([row("333-1", { "product-name": "Crème brûlée für Große Küche – €5", "sales-channel": "Amazon.de" })])
      // é ü ß are the same byte in latin1 and windows-1252; € (0x80) and – (0x96) are windows-1252 only, and Node's
      // TextDecoder gets them wrong.
      const bytes = new Uint8Array(Buffer.from(text.replace("€", "\u0080").replace("–", "\u0096"), "latin1"))
      for (const contentType of ["text/plain; charset=windows-1252", "text/plain;charset=\"ISO-8859-1\""]) {
        const [order] = orders(yield* read(bytes, { contentType })).map(ok)
        expect(rawRows(order!)[0]!["product-name"]).toBe("Crème brûlée für Große Küche – €5")
        expect(order!.marketplaceId).toBe("A1PA6795UKMFR9")
      }
    }))

  it.effect("Shift_JIS: Japanese product names decoded right", () =>
    Effect.gen(function*() {
      const header = utf8(tsv([row("444-1", { "product-name": "@@", "sales-channel": "Amazon.co.jp", "currency": "JPY", "item-price": "980" })]))
      // "日本語の商品テスト" in Shift_JIS, spliced in where "@@" is (the rest is ASCII, the same in both).
      const name = [0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea, 0x82, 0xcc, 0x8f, 0xa4, 0x95, 0x69, 0x83, 0x65, 0x83, 0x58, 0x83, 0x67]
      const at = Buffer.from(header).indexOf("@@")
      const bytes = new Uint8Array([...header.subarray(0, at), ...name, ...header.subarray(at + 2)])
      // Cut between the two bytes of a character, too: pieces of 7.
      const [order] = orders(yield* read(bytes, { contentType: "text/plain; charset=Shift_JIS" })).map(ok)
      expect(rawRows(order!)[0]!["product-name"]).toBe("日本語の商品テスト")
      expect(order).toMatchObject({ marketplaceId: "A1VC38T7YXB528", totalAmount: "980", currency: "JPY" })
    }))

  it.effect("Cp932 (Java's name for Windows-31J, as Amazon labels JP documents): Japanese names and NEC/IBM extensions decoded right", () =>
    Effect.gen(function*() {
      const text = tsv([row("444-2", { "product-name": "①髙﨑の歯ブラシ～セット", "sales-channel": "Amazon.co.jp", "currency": "JPY", "item-price": "980" })])
      const bytes = new Uint8Array(iconv.encode(text, "cp932"))
      const [order] = orders(yield* read(bytes, { contentType: "text/plain; charset=Cp932" })).map(ok)
      expect(rawRows(order!)[0]!["product-name"]).toBe("①髙﨑の歯ブラシ～セット")
    }))

  it.effect("a gzip bomb stops at maxBytes decompressed, before it is parsed to its end", () =>
    Effect.gen(function*() {
      const text = tsv([row("555-1")]) + "\n".repeat(4 * 1024 * 1024)
      const error = yield* Effect.flip(documentOrders(pieces(gzip(utf8(text)), 65_536), {
        contentType: undefined,
        compressed: true,
        reportType: REPORT_TYPE,
        skipRows: 0,
        chunkOrders: 100,
        maxBytes: 1024 * 1024
      }).pipe(Stream.runDrain))
      expect(error).toBeInstanceOf(ReportDocumentError)
      expect((error as ReportDocumentError).reason).toBe("the document is larger than 1 MiB decompressed (ORDERSYNC_REPORT_DOCUMENT_MAX_MB); not read further")
    }))

  it.effect("a UTF-8 byte-order mark, CRLF line ends, no Content-Type, not compressed", () =>
    Effect.gen(function*() {
      const text = "\uFEFF" + tsv([row("555-1", { "product-name": "naïve" }), row("555-2")], COLUMNS, "\r\n")
      const chunks = yield* read(utf8(text), { contentType: undefined, compressed: false })
      const [first, second] = orders(chunks).map(ok)
      expect(first!.externalOrderId).toBe("555-1")
      expect(rawRows(first!)[0]!["product-name"]).toBe("naïve")
      expect(rawRows(second!)[0]!["price-designation"]).toBe("")
      expect(chunks.at(-1)!.rowsThrough).toBe(2)
    }))

  it.effect("an unknown charset is a document error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read(utf8(tsv([row("1")])), { contentType: "text/plain; charset=klingon-8" }))
      expect(error).toBeInstanceOf(ReportDocumentError)
      expect(error.message).toContain(`unknown charset "klingon-8"`)
    }))

  it.effect("\"Date range exceeded\" instead of a header is ReportDateRangeExceeded", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read(utf8("Date range exceeded. Report can be requested only upto 30 days\n")))
      expect(error).toBeInstanceOf(ReportDateRangeExceeded)
      expect((error as ReportDateRangeExceeded).text).toBe("Date range exceeded. Report can be requested only upto 30 days")
    }))

  it.effect("a bad price, a bad date, a short row and mixed currencies quarantine their order with the reason", () =>
    Effect.gen(function*() {
      const text = tsv([
        row("666-1"),
        row("666-2", { "item-price": "12,50" }),
        row("666-3", { "sku": "A" }),
        row("666-3", { "sku": "B", "purchase-date": "08/05/2026 23:36" }),
        row("666-4", { "currency": "USD" }),
        row("666-4", { "currency": "CAD" }),
        row("666-6")
      ]).replace(/\n666-6\t[^\n]*/, (line) => line.split("\t").slice(0, 5).join("\t"))
      const [good, badPrice, badDate, mixed, short] = orders(yield* read(utf8(text)))
      expect(ok(good!).externalOrderId).toBe("666-1")
      expect(quarantined(badPrice!)).toMatchObject({ externalOrderId: "666-2", error: `item-price "12,50" is not a decimal number` })
      expect(quarantined(badDate!)).toMatchObject({
        externalOrderId: "666-3",
        error: `data row 4: purchase-date "08/05/2026 23:36" is not an ISO 8601 date-time`
      })
      expect(rawRows(quarantined(badDate!)).length).toBe(2)
      expect(quarantined(mixed!).error).toBe(`rows in different currencies ("USD" and "CAD")`)
      expect(quarantined(short!).error).toBe(`data row 7 has 5 fields, the header has ${COLUMNS.length}`)
    }))

  it.effect("values PostgreSQL cannot store quarantine their order: a NUL in a field, quantities past INTEGER, a total past NUMERIC(18, 2)", () =>
    Effect.gen(function*() {
      const text = tsv([
        row("777-1"),
        row("777-2", { "product-name": "Widget\u0000 blue" }),
        row("777-3", { "sku": "A", "quantity": "2147483647" }),
        row("777-3", { "sku": "B", "quantity": "1" }),
        row("777-4", { "item-price": "99999999999999999.00" }),
        row("777-5", { "quantity": "2147483647" })
      ])
      const [good, nul, overflow, amount, most] = orders(yield* read(utf8(text)))
      expect(ok(good!).externalOrderId).toBe("777-1")
      expect(quarantined(nul!)).toMatchObject({ externalOrderId: "777-2", error: "data row 2 holds a NUL character, which PostgreSQL cannot store" })
      expect(rawRows(quarantined(nul!))[0]!["product-name"]).toBe("Widget\u0000 blue")
      expect(quarantined(overflow!)).toMatchObject({
        externalOrderId: "777-3",
        error: "itemsCount 2147483648 does not fit PostgreSQL's integer column (at most 2147483647)"
      })
      expect(quarantined(amount!).error).toBe("totalAmount 99999999999999999.00 does not fit the NUMERIC(18, 2) column")
      expect(ok(most!).itemsCount).toBe(2147483647)
    }))

  it.effect("a NUL in the header fails the document: no order of it could be stored", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(read(utf8(tsv([row("777-1")], [...COLUMNS.slice(0, -1), "price\u0000designation"]))))
      expect(error).toBeInstanceOf(ReportDocumentError)
      expect((error as ReportDocumentError).reason).toMatch(/header holds a NUL/)
    }))

  it.effect("chunks of chunkOrders orders; rowsThrough ends each chunk at an order's last row; skipRows resumes exactly", () =>
    Effect.gen(function*() {
      // Orders of 1, 2, 3, 1, 2, 3… rows: 10 orders, 19 rows.
      const rows = Array.from({ length: 10 }, (_, i) => Array.from({ length: (i % 3) + 1 }, () => row(`777-${i}`))).flat()
      const bytes = utf8(tsv(rows))
      const chunks = yield* read(bytes, { chunkOrders: 3 })
      expect(chunks.map((c) => c.orders.length)).toEqual([3, 3, 3, 1])
      expect(chunks.map((c) => c.rowsThrough)).toEqual([6, 12, 18, 19])
      const resumed = yield* read(bytes, { chunkOrders: 4, skipRows: 6 })
      expect(orders(resumed).map((o) => ok(o).externalOrderId)).toEqual(["777-3", "777-4", "777-5", "777-6", "777-7", "777-8", "777-9"])
      expect(resumed.map((c) => c.rowsThrough)).toEqual([13, 19])
      expect(yield* read(bytes, { skipRows: 19 })).toEqual([])
      const inside = yield* Effect.flip(read(bytes, { skipRows: 5 }))
      expect(inside.message).toContain("skipRows 5 falls inside order \"777-2\"")
    }))

  it.effect("a consumer that stops early stops the download: nothing hangs, zlib is released", () =>
    Effect.gen(function*() {
      const rows = Array.from({ length: 20_000 }, (_, i) => row(`999-${i}`, { "product-name": `Product ${Math.random()}` }))
      const zipped = gzip(utf8(tsv(rows)))
      let pulled = 0
      const body = pieces(zipped, 512).pipe(Stream.tap(() => Effect.sync(() => pulled++)))
      const [first] = yield* documentOrders(body, {
        contentType: undefined,
        compressed: true,
        reportType: REPORT_TYPE,
        skipRows: 0,
        chunkOrders: 10
      }).pipe(Stream.take(1), Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      expect(first!.rowsThrough).toBe(10)
      // Backpressure: the download was read only as far as the first chunk needed, not to its end.
      expect(pulled).toBeLessThan(10)
      expect(zipped.length / 512).toBeGreaterThan(500)
    }))

  it.effect("a cut-off gzip is a document error", () =>
    Effect.gen(function*() {
      const zipped = gzip(utf8(tsv([row("888-1"), row("888-2")])))
      const error = yield* Effect.flip(
        Stream.runCollect(documentOrders(pieces(zipped.subarray(0, zipped.length - 12)), {
          contentType: undefined,
          compressed: true,
          reportType: REPORT_TYPE,
          skipRows: 0,
          chunkOrders: 10
        }))
      )
      expect(error).toBeInstanceOf(ReportDocumentError)
      expect(error.message).toContain("gunzip failed")
    }))
})

// -----------------------------------------------------------------------------------------------------------------
// Property: whatever the orders, the chunk size and where the gzip stream is cut, the orders come back as written.

const CURRENCIES = [["USD", 2, "Amazon.com"], ["EUR", 2, "Amazon.de"], ["JPY", 0, "Amazon.co.jp"]] as const
const STATUSES = [
  ["Pending", "PENDING"],
  ["Unshipped", "UNSHIPPED"],
  ["Shipping", "UNSHIPPED"],
  ["Shipped", "SHIPPED"],
  ["Shipped - Returned to Seller", "SHIPPED"],
  ["Canceled", "CANCELLED"],
  ["Complete", "SHIPPED"]
] as const

const text = fc.fullUnicodeString({ maxLength: 12 }).map((s) => s.replace(/[\t\r\n]/g, " "))
const arbitraryOrder = fc.record({
  currency: fc.constantFrom(...CURRENCIES),
  status: fc.constantFrom(...STATUSES),
  priced: fc.boolean(),
  purchase: fc.integer({ min: 1_700_000_000, max: 1_800_000_000 }),
  items: fc.array(fc.record({ sku: fc.constantFrom("A", "B", "C"), name: text, quantity: fc.integer({ min: 0, max: 5 }), minor: fc.integer({ min: 0, max: 99_999 }) }), { minLength: 1, maxLength: 4 })
})

const money = (minor: number, digits: number) =>
  digits === 0 ? String(minor) : `${Math.floor(minor / 10 ** digits)}.${String(minor % 10 ** digits).padStart(digits, "0")}`
const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "+00:00")

describe("report documents (property)", () => {
  it("decoded orders equal the written ones, for any chunk size and any cut of the gzip stream", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbitraryOrder, { minLength: 0, maxLength: 25 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        async (written, chunkOrders, cuts, crlf) => {
          const rows = written.flatMap((order, i) =>
            order.items.map((item) =>
              row(`order-${i}`, {
                "purchase-date": iso(order.purchase),
                "last-updated-date": iso(order.purchase + 3600),
                "order-status": order.status[0],
                "sales-channel": order.currency[2],
                "sku": item.sku,
                "product-name": item.name,
                "quantity": String(item.quantity),
                "currency": order.priced ? order.currency[0] : "",
                "item-price": order.priced ? money(item.minor, order.currency[1]) : ""
              })
            )
          )
          const zipped = gzip(utf8(tsv(rows, COLUMNS, crlf ? "\r\n" : "\n")))
          const buffers: Array<Uint8Array> = []
          for (let at = 0, i = 0; at < zipped.length; i++) {
            const size = cuts[i % cuts.length]!
            buffers.push(zipped.subarray(at, at + size))
            at += size
          }
          const chunks = await Effect.runPromise(
            documentOrders(Stream.fromIterable(buffers).pipe(Stream.rechunk(1)), {
              contentType: "text/plain; charset=utf-8",
              compressed: true,
              reportType: REPORT_TYPE,
              skipRows: 0,
              chunkOrders
            }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
          )
          expect(chunks.every((c, i) => i === chunks.length - 1 ? c.orders.length <= chunkOrders : c.orders.length === chunkOrders)).toBe(true)
          expect(chunks.at(-1)?.rowsThrough ?? 0).toBe(rows.length)
          const decoded = orders(chunks).map(ok)
          expect(decoded.map((o) => ({
            id: o.externalOrderId,
            status: o.orderStatus,
            total: o.totalAmount,
            currency: o.currency,
            items: o.itemsCount,
            purchase: o.orderDate.getTime() / 1000,
            names: rawRows(o).map((r) => r["product-name"])
          }))).toEqual(written.map((order, i) => ({
            id: `order-${i}`,
            status: order.status[1],
            // A Pending order keeps no total, as on the Orders API.
            total: order.priced && order.status[1] !== "PENDING" ? money(order.items.reduce((sum, item) => sum + item.minor, 0), order.currency[1]) : null,
            currency: order.priced && order.status[1] !== "PENDING" ? order.currency[0] : null,
            items: order.items.reduce((sum, item) => sum + item.quantity, 0),
            purchase: order.purchase,
            names: order.items.map((item) => item.name)
          })))
        }
      ),
      { numRuns: 150 }
    )
  })
})

// -----------------------------------------------------------------------------------------------------------------
// A million rows, generated and gzipped lazily, streamed through: fast, and the heap stays small.

describe("report documents (volume)", () => {
  it("parses 1,000,000 gzipped rows at well over 50k rows/s; the live heap stays small", async () => {
    const ROWS = 1_000_000
    // One row written once with markers, then the id and the varying columns spliced in: generation stays cheap.
    const [beforeId, beforeSku, beforeName, beforePrice, rest] = COLUMNS.map((c) =>
      row("@", {
        "sku": "@",
        "product-name": "@",
        "item-price": "@",
        "ship-city": "Springfield",
        "ship-postal-code": "12345",
        "ship-country": "US"
      })[c] ?? ""
    ).join("\t").split("@")
    const template = (id: string, n: number, i: number) =>
      `${beforeId}${id}${beforeSku}SKU-${i}${beforeName}Product number ${n} with a longish name, Größe M` +
      `${beforePrice}${(n % 5000) / 100 + 1}${rest}`
    function* lines() {
      yield COLUMNS.join("\t") + "\n"
      let batch = ""
      for (let n = 0, order = 0; n < ROWS; order++) {
        const id = `113-${String(order).padStart(7, "0")}-1234567`
        for (let i = 0; i < (order % 3) + 1 && n < ROWS; i++, n++) batch += template(id, n, i) + "\n"
        if (batch.length > 64 * 1024) {
          yield batch
          batch = ""
        }
      }
      yield batch
    }
    const body = Stream.fromAsyncIterable(
      Readable.from(lines()).pipe(Zlib.createGzip({ level: 1 })) as AsyncIterable<Uint8Array>,
      (error) => error
    )

    // The live heap, after a full collection: what the pipeline holds, not the garbage it has not collected yet.
    V8.setFlagsFromString("--expose-gc")
    const gc = Vm.runInNewContext("gc") as () => void
    gc()
    const heapBefore = process.memoryUsage().heapUsed
    let livePeak = 0
    let rowsSeen = 0
    let ordersSeen = 0
    let quarantinedSeen = 0
    let chunksSeen = 0
    const started = performance.now()
    const cpu = process.cpuUsage()
    await Effect.runPromise(
      documentOrders(body, {
        contentType: "text/plain; charset=UTF-8",
        compressed: true,
        reportType: REPORT_TYPE,
        skipRows: 0,
        chunkOrders: 1000
      }).pipe(
        Stream.runForEach((chunk) =>
          Effect.sync(() => {
            rowsSeen = chunk.rowsThrough
            ordersSeen += chunk.orders.length
            quarantinedSeen += chunk.orders.filter((o) => o._tag === "Quarantined").length
            if (++chunksSeen % 50 === 0) {
              gc()
              livePeak = Math.max(livePeak, process.memoryUsage().heapUsed - heapBefore)
            }
          })
        )
      )
    )
    const seconds = (performance.now() - started) / 1000
    const used = process.cpuUsage(cpu)
    const cpuSeconds = (used.user + used.system) / 1e6
    const rate = Math.round(ROWS / seconds)
    // The assertion uses CPU time: the 2 cores are shared, and wall time says more about the neighbours than the code.
    const cpuRate = Math.round(ROWS / cpuSeconds)
    const liveMb = livePeak / 1024 / 1024
    console.log(
      `1,000,000 rows (${ordersSeen} orders) in ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU: ` +
        `${rate.toLocaleString("en")} rows/s wall, ${cpuRate.toLocaleString("en")} rows per CPU second ` +
        `(lazy generation and gzip in the same process included; ` +
        `${liveMb.toFixed(1)} MB live heap growth at peak, with chunks of 1000 orders)`
    )
    expect(rowsSeen).toBe(ROWS)
    expect(quarantinedSeen).toBe(0)
    expect(cpuRate).toBeGreaterThan(50_000)
    expect(liveMb).toBeLessThan(100)
  })
})
