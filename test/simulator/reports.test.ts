import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, DAY, eventually, seller } from "./support.js"
import { awaitReport, BY_LAST_UPDATE, BY_ORDER_DATE, call, createReport, documentOf, download, parseRows, startWithTokens } from "./reportsSupport.js"

const US = "ATVPDKIKX0DER"
const CA = "A2EUQ1WTGCTBG2"
const DE = "A1PA6795UKMFR9"
const FR = "A13V1IB3VIYZZH"
const JP = "A1VC38T7YXB528"

const iso = (ms: number) => new Date(ms).toISOString()

const statusWord: Record<string, ReadonlyArray<string>> = {
  PENDING: ["Pending"],
  UNSHIPPED: ["Shipping"],
  PARTIALLY_SHIPPED: ["Shipping"],
  SHIPPED: ["Shipped", "Shipped - Delivered to Buyer"],
  CANCELLED: ["Cancelled"]
}

describe("Reports API 2021-06-30 (order tracking reports)", () => {
  let client: Client
  let tokens: Record<string, string>
  beforeAll(async () => {
    ;({ client, tokens } = await startWithTokens({
      sellers: [
        seller("us", 20_000, { late: { share: 0.02, horizonSeconds: 3600, maxDelaySeconds: 1 }, reports: { documentUrlLifetimeSeconds: 3000 } }),
        // The model's reading (a report holds the marketplaces asked): this seller's reports ask for one at a time.
        seller("eu", 20_000, { marketplaceIds: [DE, FR], seed: 11, reports: { regionWide: false, charsets: { [DE]: "windows-1252" } } }),
        seller("jp", 8_000, { marketplaceIds: [JP], seed: 12, reports: { charsets: { [JP]: "Shift_JIS" } } }),
        seller("slow", 500, { reports: { queueSeconds: 36_000 } }),
        seller("tight", 500, { usagePlans: { createReport: { rate: 0.001, burst: 3 } } }),
        seller("faulty", 3_000, { seed: 13 })
      ]
    }))
  })
  afterAll(() => client.simulator.close())

  /** The report's rows must be its ground truth, which must be the Orders API's orders at the report's snapshot. */
  const expectGroundTruth = (sellerId: string, reportId: string, rows: ReadonlyArray<Record<string, string>>, window: { start: number; end: number }, marketplaceIds: ReadonlyArray<string>) => {
    const truth = client.simulator.reports.groundTruth(sellerId, reportId)
    const expected = truth.orders.flatMap((order) =>
      order.items.map((item) => ({
        "amazon-order-id": order.orderId,
        "purchase-date": order.purchaseDate,
        "last-updated-date": order.lastUpdatedDate,
        "order-status": order.orderStatus,
        "fulfillment-channel": order.fulfillmentChannel,
        "sales-channel": order.salesChannel,
        "product-name": item.productName,
        sku: item.sku,
        asin: item.asin,
        "item-status": item.itemStatus,
        quantity: String(item.quantity),
        currency: order.currency ?? "",
        "item-price": item.itemPrice ?? "",
        "item-tax": item.itemTax ?? "",
        "shipping-price": item.shippingPrice ?? "",
        "shipping-tax": item.shippingTax ?? "",
        "gift-wrap-price": item.giftWrapPrice ?? "",
        "gift-wrap-tax": item.giftWrapTax ?? "",
        "item-promotion-discount": item.itemPromotionDiscount ?? "",
        "ship-promotion-discount": item.shipPromotionDiscount ?? ""
      })))
    expect(rows.map((row) => Object.fromEntries(Object.keys(expected[0] ?? {}).map((name) => [name, row[name]])))).toEqual(expected)

    // The same orders as the Orders API's ground truth at the snapshot, with the same totals.
    const orders = client.simulator
      .groundTruth(sellerId, { createdAfter: new Date(window.start), createdBefore: new Date(window.end), asOf: truth.asOf })
      .filter((order) => marketplaceIds.includes(order.marketplaceId))
    expect([...new Set(rows.map((row) => row["amazon-order-id"]))]).toEqual(orders.map((order) => order.orderId))
    for (const order of orders) {
      const mine = rows.filter((row) => row["amazon-order-id"] === order.orderId)
      expect(statusWord[order.status]).toContain(mine[0]!["order-status"])
      expect(mine[0]!["purchase-date"]).toBe(order.createdTime.replace("Z", "+00:00"))
      if (order.totalAmount !== null) {
        // The total rule: the rows' charges minus their discounts (by absolute value) are the Orders API's total.
        const digits = order.currency === "JPY" ? 0 : 2
        const minor = (value: string | undefined) => Math.round(Number(value) * 10 ** digits)
        const charges = ["item-price", "item-tax", "shipping-price", "shipping-tax", "gift-wrap-price", "gift-wrap-tax"]
        const discounts = ["item-promotion-discount", "ship-promotion-discount"]
        const sum = mine.reduce((total, row) =>
          total + charges.reduce((n, column) => n + minor(row[column]), 0) -
          discounts.reduce((n, column) => n + Math.abs(minor(row[column])), 0), 0)
        expect((sum / 10 ** digits).toFixed(digits)).toBe(order.totalAmount)
        expect(mine[0]!.currency).toBe(order.currency)
      }
    }
    return truth
  }

  it("takes a report through IN_QUEUE, IN_PROGRESS to DONE and serves a document that is the ground truth", async () => {
    const token = tokens.us!
    const end = Date.now() - 1000
    const window = { start: end - 7 * DAY, end }
    const created = await call(client.simulator, "POST", "/reports/2021-06-30/reports", token, {
      reportType: BY_ORDER_DATE, marketplaceIds: [US, CA], dataStartTime: iso(window.start), dataEndTime: iso(window.end)
    })
    expect(created.status).toBe(202)
    expect(created.headers.get("x-amzn-ratelimit-limit")).toBe("10.02")
    expect(created.headers.get("x-amzn-requestid")).toBeTruthy()
    const reportId = created.body.reportId as string
    const { report, statuses } = await awaitReport(client, token, reportId)
    expect(["IN_QUEUE", "IN_PROGRESS", "DONE"]).toEqual(expect.arrayContaining(statuses))
    expect(statuses[statuses.length - 1]).toBe("DONE")
    expect(report).toMatchObject({ reportId, reportType: BY_ORDER_DATE, marketplaceIds: [US, CA], dataStartTime: iso(window.start), dataEndTime: iso(window.end) })
    expect(Date.parse(report.createdTime)).toBeLessThanOrEqual(Date.parse(report.processingStartTime))
    expect(Date.parse(report.processingStartTime)).toBeLessThanOrEqual(Date.parse(report.processingEndTime))

    const file = await documentOf(client, token, report)
    expect(file.status).toBe(200)
    expect(file.headers.get("content-type")).toBe("text/plain; charset=UTF-8")
    expect([...file.raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const { header, rows } = parseRows(file.text)
    // US files carry an extra column; the documented ones are all there.
    expect(header).toContain("signature-confirmation-recommended")
    expect(header.slice(0, 5)).toEqual(["amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status"])
    expect(rows[0]!["purchase-date"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/)
    const truth = expectGroundTruth("us", reportId, rows, window, [US, CA])

    // Rows are items: multi-item orders, a SKU repeated within an order, seller-fulfilled Pending orders without prices.
    expect(truth.orders.some((order) => order.items.length > 1)).toBe(true)
    expect(truth.orders.some((order) => new Set(order.items.map((item) => item.sku)).size < order.items.length)).toBe(true)
    const pendingMfn = rows.filter((row) => row["order-status"] === "Pending" && row["fulfillment-channel"] === "Merchant")
    expect(pendingMfn.length).toBeGreaterThan(0)
    for (const row of pendingMfn) expect([row["item-price"], row.currency]).toEqual(["", ""])
    expect(new Set(rows.map((row) => row["sales-channel"]))).toEqual(new Set(["Amazon.com", "Amazon.ca"]))
    // item-price is for the row's whole quantity.
    const several = truth.orders.flatMap((order) => order.items).find((item) => item.quantity > 1 && item.itemPrice !== null)
    expect(several).toBeDefined()
    expect(client.simulator.stats("us").requests.createReport).toEqual({ 202: 1 })
  })

  it("writes legacy charsets where configured and shuffles columns by marketplace: a reader maps by header name", async () => {
    const end = Date.now() - 1000
    const window = { start: end - 5 * DAY, end }
    const de = await createReport(client, tokens.eu!, { reportType: BY_ORDER_DATE, marketplaceIds: [DE], dataStartTime: iso(window.start), dataEndTime: iso(window.end) })
    const fr = await createReport(client, tokens.eu!, { reportType: BY_ORDER_DATE, marketplaceIds: [FR], dataStartTime: iso(window.start), dataEndTime: iso(window.end) })
    const jp = await createReport(client, tokens.jp!, { reportType: BY_ORDER_DATE, marketplaceIds: [JP], dataStartTime: iso(window.start), dataEndTime: iso(window.end) })

    const deFile = await documentOf(client, tokens.eu!, (await awaitReport(client, tokens.eu!, de)).report)
    expect(deFile.headers.get("content-type")).toBe("text/plain; charset=windows-1252")
    expect([...deFile.raw.subarray(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf])
    const deRows = parseRows(deFile.text)
    expect(deRows.header).toContain("is-iba")
    expect(deRows.header.indexOf("sku")).toBeLessThan(deRows.header.indexOf("product-name"))
    expect(deRows.rows.some((row) => /[äöüß]/.test(row["product-name"]!))).toBe(true)
    // The same bytes read as UTF-8 are garbled: the charset matters.
    expect(new TextDecoder("utf-8").decode(deFile.raw)).toContain("\uFFFD")
    expectGroundTruth("eu", de, deRows.rows, window, [DE])

    const frFile = await documentOf(client, tokens.eu!, (await awaitReport(client, tokens.eu!, fr)).report)
    expect(frFile.headers.get("content-type")).toBe("text/plain; charset=UTF-8")
    const frRows = parseRows(frFile.text)
    expect(frRows.rows.some((row) => /[éàÉ]/.test(row["product-name"]!))).toBe(true)
    expect(new Set(frRows.rows.map((row) => row["sales-channel"]))).toEqual(new Set(["Amazon.fr"]))
    expectGroundTruth("eu", fr, frRows.rows, window, [FR])

    const jpFile = await documentOf(client, tokens.jp!, (await awaitReport(client, tokens.jp!, jp)).report)
    expect(jpFile.headers.get("content-type")).toBe("text/plain; charset=Shift_JIS")
    const jpRows = parseRows(jpFile.text)
    expect(jpRows.header).not.toContain("cpf")
    expect(jpRows.rows.some((row) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(row["product-name"]!))).toBe(true)
    expect(jpRows.rows.every((row) => /^\d+$/.test(row["item-price"]!) || row["item-price"] === "")).toBe(true)
    expectGroundTruth("jp", jp, jpRows.rows, window, [JP])
  })

  it("selects by last update in BY_LAST_UPDATE reports, which have no cpf column", async () => {
    const end = Date.now() - 1000
    const id = await createReport(client, tokens.eu!, { reportType: BY_LAST_UPDATE, marketplaceIds: [FR, DE], dataStartTime: iso(end - 3 * DAY), dataEndTime: iso(end) })
    const { report } = await awaitReport(client, tokens.eu!, id)
    const file = await documentOf(client, tokens.eu!, report)
    const { header, rows } = parseRows(file.text)
    expect(header).not.toContain("cpf")
    const truth = client.simulator.reports.groundTruth("eu", id)
    expect(rows.map((row) => row["amazon-order-id"])).toEqual(truth.orders.flatMap((order) => order.items.map(() => order.orderId)))
    expect(truth.orders.length).toBeGreaterThan(0)
    for (const row of rows) {
      const updated = Date.parse(row["last-updated-date"]!)
      expect(updated).toBeGreaterThanOrEqual(end - 3 * DAY)
      expect(updated).toBeLessThanOrEqual(end)
    }
    // Some of them were bought before the window: it is the update that counts.
    expect(rows.some((row) => Date.parse(row["purchase-date"]!) < end - 3 * DAY)).toBe(true)
  })

  it("leaves out orders that arrived within the 30-minute lag before processing", async () => {
    const token = tokens.us!
    // Wait until orders keep arriving (late orders of the run), then ask for everything up to now.
    await eventually(() => client.simulator.groundTruth("us", { createdAfter: new Date(Date.now() - 4000) }).length > 3 ? true : undefined)
    const end = Date.now()
    const id = await createReport(client, token, { reportType: BY_ORDER_DATE, marketplaceIds: [US, CA], dataStartTime: iso(end - DAY), dataEndTime: iso(end) })
    const { report } = await awaitReport(client, token, id)
    const { rows } = parseRows((await documentOf(client, token, report)).text)
    const ids = new Set(rows.map((row) => row["amazon-order-id"]))
    const lagMs = (1800 * 1000) / 600
    const snapshot = Date.parse(report.processingStartTime) - lagMs
    expect(client.simulator.reports.groundTruth("us", id).asOf.getTime()).toBe(snapshot)
    const now = client.simulator.groundTruth("us", { createdAfter: new Date(end - DAY), createdBefore: new Date(end) })
    const recent = now.filter((order) => Date.parse(order.createdTime) > snapshot)
    const older = now.filter((order) => Date.parse(order.createdTime) <= snapshot - 100)
    expect(recent.length).toBeGreaterThan(0)
    for (const order of recent) expect(ids.has(order.orderId)).toBe(false)
    for (const order of older) expect(ids.has(order.orderId)).toBe(true)
  })

  it("answers a window over 30 days with a DONE report saying the date range is exceeded", async () => {
    const end = Date.now() - 1000
    const id = await createReport(client, tokens.faulty!, { reportType: BY_ORDER_DATE, marketplaceIds: [US], dataStartTime: iso(end - 31 * DAY), dataEndTime: iso(end) })
    const { report } = await awaitReport(client, tokens.faulty!, id)
    expect(report.processingStatus).toBe("DONE")
    const file = await documentOf(client, tokens.faulty!, report)
    expect(file.text).toContain("Date range exceeded. Report can be requested only upto 30 days")
  })

  it("cancels a report without data, and cancelReport works only IN_QUEUE", async () => {
    const id = await createReport(client, tokens.faulty!, { reportType: BY_ORDER_DATE, marketplaceIds: [US], dataStartTime: iso(Date.now() - 1000 * DAY), dataEndTime: iso(Date.now() - 999 * DAY) })
    const { report } = await awaitReport(client, tokens.faulty!, id)
    expect(report.processingStatus).toBe("CANCELLED")
    expect(report.reportDocumentId).toBeUndefined()
    const late = await call(client.simulator, "DELETE", `/reports/2021-06-30/reports/${id}`, tokens.faulty!)
    expect(late.status).toBe(400)
    expect(late.body.errors[0].code).toBe("InvalidInput")
    expect(late.headers.get("x-amzn-ratelimit-limit")).toBe("13.32")

    // The slow seller's reports wait an Amazon hour in the queue.
    const queued = await createReport(client, tokens.slow!, { reportType: BY_ORDER_DATE, marketplaceIds: [US], dataStartTime: iso(Date.now() - DAY) })
    const after = await createReport(client, tokens.slow!, { reportType: BY_ORDER_DATE, marketplaceIds: [US], dataStartTime: iso(Date.now() - DAY) })
    expect((await call(client.simulator, "GET", `/reports/2021-06-30/reports/${queued}`, tokens.slow!)).body.processingStatus).toBe("IN_QUEUE")
    const cancelled = await call(client.simulator, "DELETE", `/reports/2021-06-30/reports/${queued}`, tokens.slow!)
    expect(cancelled.status).toBe(200)
    expect(cancelled.text).toBe("")
    const gone = await call(client.simulator, "GET", `/reports/2021-06-30/reports/${queued}`, tokens.slow!)
    expect(gone.body.processingStatus).toBe("CANCELLED")
    expect(gone.body.processingStartTime).toBeUndefined()
    expect((await call(client.simulator, "DELETE", `/reports/2021-06-30/reports/${queued}`, tokens.slow!)).status).toBe(400)
    expect((await call(client.simulator, "GET", `/reports/2021-06-30/reports/${after}`, tokens.slow!)).body.processingStatus).toBe("IN_QUEUE")
    expect(client.simulator.stats("slow").reports).toMatchObject({ created: 2, cancelled: 1 })
  })

  it("queues a seller's reports one after another", async () => {
    const ids: Array<string> = []
    for (let k = 0; k < 3; k++) ids.push(await createReport(client, tokens.faulty!, { reportType: BY_ORDER_DATE, marketplaceIds: [US], dataStartTime: iso(Date.now() - 20 * DAY) }))
    const reports = []
    for (const id of ids) reports.push((await awaitReport(client, tokens.faulty!, id)).report)
    for (let k = 1; k < reports.length; k++) {
      expect(Date.parse(reports[k].processingStartTime)).toBeGreaterThanOrEqual(Date.parse(reports[k - 1].processingEndTime))
    }
  })

  it("lets a presigned URL expire with S3's 403 AccessDenied", async () => {
    const token = tokens.eu!
    const id = await createReport(client, token, { reportType: BY_ORDER_DATE, marketplaceIds: [FR], dataStartTime: iso(Date.now() - DAY) })
    const { report } = await awaitReport(client, token, id)
    const reply = await call(client.simulator, "GET", `/reports/2021-06-30/documents/${encodeURIComponent(report.reportDocumentId)}`, token)
    const url = reply.body.url as string
    // Valid without any token, then expired after 5 Amazon minutes (0.5 s here).
    expect((await download(url)).status).toBe(200)
    const expired = await eventually(async () => {
      const attempt = await download(url)
      return attempt.status === 200 ? undefined : attempt
    })
    expect(expired.status).toBe(403)
    expect(expired.headers.get("content-type")).toBe("application/xml")
    expect(expired.text).toContain("<Code>AccessDenied</Code><Message>Request has expired</Message>")
    const forged = await download(url.replace(/signature=[0-9a-f]/, "signature=z"))
    expect(forged.status).toBe(403)
    expect(forged.text).toContain("SignatureDoesNotMatch")
    expect(client.simulator.stats("eu").reports.expiredDownloads).toBeGreaterThan(0)
  })

  it("sets Content-Encoding: gzip when enableContentEncodingUrlHeader is true", async () => {
    const token = tokens.eu!
    const id = await createReport(client, token, { reportType: BY_ORDER_DATE, marketplaceIds: [FR], dataStartTime: iso(Date.now() - DAY) })
    const { report } = await awaitReport(client, token, id)
    const reply = await call(client.simulator, "GET", `/reports/2021-06-30/documents/${encodeURIComponent(report.reportDocumentId)}?enableContentEncodingUrlHeader=true`, token)
    const response = await fetch(reply.body.url)
    expect(response.headers.get("content-encoding")).toBe("gzip")
    // fetch inflates it: the text starts with the BOM and the header.
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(await response.arrayBuffer())
    expect(text.startsWith("\uFEFFamazon-order-id\t")).toBe(true)
  })

  it("lists reports with getReports: filters, pageSize, nextToken alone", async () => {
    const token = tokens.jp!
    const since = iso(Date.now() - 1)
    const ids: Array<string> = []
    for (let k = 0; k < 5; k++) ids.push(await createReport(client, token, { reportType: k % 2 ? BY_LAST_UPDATE : BY_ORDER_DATE, marketplaceIds: [JP], dataStartTime: iso(Date.now() - DAY) }))
    const first = await call(client.simulator, "GET", `/reports/2021-06-30/reports?reportTypes=${BY_ORDER_DATE},${BY_LAST_UPDATE}&pageSize=2&createdSince=${since}`, token)
    expect(first.status, first.text).toBe(200)
    expect(first.headers.get("x-amzn-ratelimit-limit")).toBe("13.32")
    const listed: Array<string> = first.body.reports.map((report: any) => report.reportId)
    let next: string | undefined = first.body.nextToken
    while (next) {
      const page = await call(client.simulator, "GET", `/reports/2021-06-30/reports?nextToken=${encodeURIComponent(next)}`, token)
      expect(page.status, page.text).toBe(200)
      expect(page.body.reports.length).toBeLessThanOrEqual(2)
      listed.push(...page.body.reports.map((report: any) => report.reportId))
      next = page.body.nextToken
    }
    expect(listed).toEqual([...ids].reverse())
    const onlyLastUpdate = await call(client.simulator, "GET", `/reports/2021-06-30/reports?reportTypes=${BY_LAST_UPDATE}&createdSince=${since}`, token)
    expect(onlyLastUpdate.body.reports.map((report: any) => report.reportId)).toEqual([ids[3], ids[1]])
    expect(onlyLastUpdate.body.nextToken).toBeUndefined()
    for (const id of ids) await awaitReport(client, token, id)
    const done = await call(client.simulator, "GET", `/reports/2021-06-30/reports?reportTypes=${BY_ORDER_DATE}&processingStatuses=DONE&marketplaceIds=${JP}&createdSince=${since}`, token)
    expect(done.body.reports.map((report: any) => report.reportId)).toEqual([ids[4], ids[2], ids[0]])
    const none = await call(client.simulator, "GET", `/reports/2021-06-30/reports?reportTypes=${BY_ORDER_DATE}&processingStatuses=FATAL&createdSince=${since}`, token)
    expect(none.body).toEqual({ reports: [] })

    const mixed = await call(client.simulator, "GET", `/reports/2021-06-30/reports?nextToken=${encodeURIComponent(first.body.nextToken)}&pageSize=2`, token)
    expect(mixed.status).toBe(400)
    expect(mixed.body.errors[0].code).toBe("InvalidInput")
    for (const query of ["", "?reportTypes=X&pageSize=0", "?reportTypes=X&pageSize=101", "?reportTypes=X&processingStatuses=DONE,SOON", "?reportTypes=X&createdSince=yesterday", "?nextToken=garbage"]) {
      const reply = await call(client.simulator, "GET", `/reports/2021-06-30/reports${query}`, token)
      expect(reply.status, query).toBe(400)
    }
  })

  it("validates createReport like Amazon", async () => {
    const token = tokens.faulty!
    const post = (body: unknown) => call(client.simulator, "POST", "/reports/2021-06-30/reports", token, body)
    const unknown = await post({ reportType: "GET_NO_SUCH_REPORT", marketplaceIds: [US] })
    expect(unknown.status).toBe(400)
    expect(unknown.body.errors[0]).toMatchObject({ code: "InvalidInput" })
    expect(unknown.body.errors[0].details).toContain("GET_NO_SUCH_REPORT")
    const unsupported = await post({ reportType: "GET_MERCHANT_LISTINGS_ALL_DATA", marketplaceIds: [US] })
    expect(unsupported.status).toBe(400)
    expect(unsupported.body.errors[0].details).toContain("not supported by the simulator")
    const cases: ReadonlyArray<unknown> = [
      { marketplaceIds: [US] },
      { reportType: BY_ORDER_DATE },
      { reportType: BY_ORDER_DATE, marketplaceIds: [] },
      { reportType: BY_ORDER_DATE, marketplaceIds: [DE] },
      { reportType: BY_ORDER_DATE, marketplaceIds: [US], dataStartTime: "2026-01-01" },
      { reportType: BY_ORDER_DATE, marketplaceIds: [US], dataStartTime: "last week" },
      { reportType: BY_ORDER_DATE, marketplaceIds: [US], dataStartTime: iso(Date.now() + DAY) },
      { reportType: BY_ORDER_DATE, marketplaceIds: [US], dataStartTime: iso(Date.now() - DAY), dataEndTime: iso(Date.now() - 2 * DAY) },
      { reportType: BY_ORDER_DATE, marketplaceIds: [US], dataEndTime: iso(Date.now() - DAY) },
      { reportType: BY_ORDER_DATE, marketplaceIds: [US], reportOptions: { a: 1 } },
      [BY_ORDER_DATE]
    ]
    for (const body of cases) {
      const reply = await post(body)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body.errors[0].code).toBe("InvalidInput")
      expect(reply.headers.get("x-amzn-ratelimit-limit")).toBe("10.02")
    }
    // Both dates default to now: an empty window, so no data.
    const defaults = await createReport(client, token, { reportType: BY_ORDER_DATE, marketplaceIds: [US] })
    const { report } = await awaitReport(client, token, defaults)
    expect(report.dataStartTime).toBe(report.dataEndTime)
    expect(report.processingStatus).toBe("CANCELLED")
  })

  it("checks the access token, and answers 404 for other sellers' reports and documents", async () => {
    const id = await createReport(client, tokens.eu!, { reportType: BY_ORDER_DATE, marketplaceIds: [FR], dataStartTime: iso(Date.now() - DAY) })
    const { report } = await awaitReport(client, tokens.eu!, id)
    const missing = await call(client.simulator, "GET", `/reports/2021-06-30/reports/${id}`, undefined)
    expect(missing.status).toBe(403)
    expect(missing.body.errors[0].code).toBe("Unauthorized")
    const foreign = await call(client.simulator, "GET", `/reports/2021-06-30/reports/${id}`, tokens.jp!)
    expect(foreign.status).toBe(404)
    expect(foreign.body.errors[0].code).toBe("NotFound")
    expect(foreign.headers.get("x-amzn-ratelimit-limit")).toBe("1200")
    expect((await call(client.simulator, "GET", `/reports/2021-06-30/documents/${encodeURIComponent(report.reportDocumentId)}`, tokens.jp!)).status).toBe(404)
    expect((await call(client.simulator, "DELETE", `/reports/2021-06-30/reports/${id}`, tokens.jp!)).status).toBe(404)
    expect((await call(client.simulator, "GET", "/reports/2021-06-30/reports/123", tokens.eu!)).status).toBe(404)
  })

  it("applies the usage plans per seller: burst, then 429 QuotaExceeded", async () => {
    const token = tokens.tight!
    const replies = []
    for (let k = 0; k < 5; k++) replies.push(await call(client.simulator, "POST", "/reports/2021-06-30/reports", token, { reportType: BY_ORDER_DATE, marketplaceIds: [US] }))
    expect(replies.map((reply) => reply.status)).toEqual([202, 202, 202, 429, 429])
    expect(replies[0]!.headers.get("x-amzn-ratelimit-limit")).toBe("0.6")
    expect(replies[3]!.headers.get("x-amzn-ratelimit-limit")).toBeNull()
    expect(replies[3]!.body).toEqual({ errors: [{ code: "QuotaExceeded", message: "You exceeded your quota for the requested resource." }] })
    expect(client.simulator.stats("tight").requests.createReport).toEqual({ 202: 3, 429: 2 })
    expect(client.simulator.stats("tight").throttled.quota).toBe(2)
  })

  it("ends FATAL with an explaining document, or stays stuck IN_PROGRESS, when told to", async () => {
    const token = tokens.faulty!
    const spec = { reportType: BY_ORDER_DATE, marketplaceIds: [US], dataStartTime: iso(Date.now() - 2 * DAY) }
    client.simulator.reports.forceNext("faulty", "fatal")
    const fatal = await createReport(client, token, spec)
    const { report } = await awaitReport(client, token, fatal)
    expect(report.processingStatus).toBe("FATAL")
    expect(report.reportDocumentId).toBeTruthy()
    const file = await documentOf(client, token, report)
    expect(file.text).toMatch(/FATAL|failed/)

    client.simulator.reports.forceNext("faulty", "stuck")
    const stuck = await createReport(client, token, spec)
    const next = await createReport(client, token, spec)
    // The report behind it finishes: the stuck one does not hold the queue, yet never ends.
    expect((await awaitReport(client, token, next)).report.processingStatus).toBe("DONE")
    const still = await call(client.simulator, "GET", `/reports/2021-06-30/reports/${stuck}`, token)
    expect(still.body.processingStatus).toBe("IN_PROGRESS")
    expect(still.body.processingEndTime).toBeUndefined()

    // A share of FATAL reports set at run time through the faults.
    client.simulator.setFaults("faulty", { fatalReportShare: 1 })
    const drawn = await createReport(client, token, spec)
    expect((await awaitReport(client, token, drawn)).report.processingStatus).toBe("FATAL")
    client.simulator.setFaults("faulty", {})
    expect(client.simulator.stats("faulty").reports).toMatchObject({ fatal: 2, stuck: 1 })
  })

  it("applies request faults to the reports routes too", async () => {
    client.simulator.setFaults("faulty", { error503Probability: 1 })
    const reply = await call(client.simulator, "GET", `/reports/2021-06-30/reports?reportTypes=${BY_ORDER_DATE}`, tokens.faulty!)
    client.simulator.setFaults("faulty", {})
    expect(reply.status).toBe(503)
    expect(reply.body.errors[0].code).toBe("ServiceUnavailable")
  })
})
