import { Either } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeReportOrder, reportHeader, siteMarketplace } from "../../src/Domain/ReportOrders.js"
import { contentTypeCharset } from "../../src/Services/History/ReportDocument.js"
import { REPORT_MAX_DAYS, reportRanges } from "../../src/Services/History/ReportsSource.js"
import { ORDERS_REPORT } from "../../src/Services/Reports.js"
import { DEFAULT_PLANS } from "../../src/Services/SpApi/TokenBucket.js"
import { defaultUsagePlans } from "../../src/Simulator/Config.js"
import { columnsFor, documentedColumns } from "../../src/Simulator/Reports/Document.js"
import { defaultReportSettings, orderReportTypes } from "../../src/Simulator/Reports/Settings.js"
import { type Client, DAY, eventually, seller, start } from "./support.js"
import { awaitReport, BY_LAST_UPDATE, call, createReport, documentOf, download, parseRows, startWithTokens } from "./reportsSupport.js"

// One `it` per row (or small group of rows) of test/FIDELITY.md's Reports API sections that no other simulator test
// already covers; the names are the rows'. Each asserts on the simulator's answers, and where the row is about what
// ordersync reads, on what ordersync's own decoder makes of them.

const US = "ATVPDKIKX0DER"
const CA = "A2EUQ1WTGCTBG2"
const REPORTS = "/reports/2021-06-30/reports"
const DOCUMENTS = "/reports/2021-06-30/documents"
/** What ordersync sends for a date: `Date.toISOString()`, milliseconds included (src/Services/Reports.ts). */
const sent = (ms: number) => new Date(ms).toISOString()
/** The createReport body exactly as src/Services/Reports.ts builds it. */
const asOrdersyncSends = (marketplaceIds: ReadonlyArray<string>, startAt: number, endAt: number) => ({
  reportType: ORDERS_REPORT,
  marketplaceIds,
  dataStartTime: sent(startAt),
  dataEndTime: sent(endAt)
})

/** Amazon's "Order Tracking reports attributes" list for GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL. */
const amazonColumns = [
  "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status", "fulfillment-channel",
  "sales-channel", "order-channel", "ship-service-level", "product-name", "sku", "asin", "item-status", "quantity",
  "currency", "item-price", "item-tax", "shipping-price", "shipping-tax", "gift-wrap-price", "gift-wrap-tax",
  "item-promotion-discount", "ship-promotion-discount", "ship-city", "ship-state", "ship-postal-code", "ship-country",
  "promotion-ids", "cpf", "is-business-order", "purchase-order-number", "price-designation"
]
/** Columns real files carry beyond that list (SP-API.md § Reports API). */
const extras = ["signature-confirmation-recommended", "is-iba"]

describe("fidelity audit, Reports API (test/FIDELITY.md)", () => {
  let client: Client
  let tokens: Record<string, string>
  beforeAll(async () => {
    ;({ client, tokens } = await startWithTokens({
      sellers: [
        seller("audit", 3000, { reports: { documentUrlLifetimeSeconds: 3000 } }),
        // Ten Amazon minutes in the queue and ten processing: one second each here, long enough to watch.
        seller("paced", 300, { seed: 21, reports: { queueSeconds: 600, fixedSeconds: 600 } }),
        // Amazon's defaults for reports.
        seller("plain", 300, { seed: 22 })
      ]
    }))
  })
  afterAll(() => client.simulator.close())

  it("createReport: the request ordersync sends is accepted as sent, and answered 202 {reportId}", async () => {
    const end = Date.now() - 1000
    const body = asOrdersyncSends([US, CA], end - 10 * DAY, end)
    const reply = await call(client.simulator, "POST", REPORTS, tokens.audit!, body)
    expect(reply.status, reply.text).toBe(202)
    expect(Object.keys(reply.body)).toEqual(["reportId"])
    expect(typeof reply.body.reportId).toBe("string")
    const report = await call(client.simulator, "GET", `${REPORTS}/${reply.body.reportId}`, tokens.audit!)
    expect(report.status).toBe(200)
    // The report describes what was asked, to the millisecond.
    expect(report.body).toMatchObject({ reportType: ORDERS_REPORT, marketplaceIds: [US, CA] })
    expect(Date.parse(report.body.dataStartTime)).toBe(end - 10 * DAY)
    expect(Date.parse(report.body.dataEndTime)).toBe(end)
  })

  it("marketplaceIds: 1 to 25 of the seller's, and the report holds every one asked for", async () => {
    const end = Date.now() - 1000
    for (const marketplaceIds of [[], Array.from({ length: 26 }, () => US)]) {
      const reply = await call(client.simulator, "POST", REPORTS, tokens.audit!, asOrdersyncSends(marketplaceIds, end - DAY, end))
      expect(reply.status, String(marketplaceIds.length)).toBe(400)
      expect(reply.body.errors[0].code).toBe("InvalidInput")
    }
    const id = await createReport(client, tokens.audit!, asOrdersyncSends([US, CA], end - 20 * DAY, end))
    const { rows } = parseRows((await documentOf(client, tokens.audit!, (await awaitReport(client, tokens.audit!, id)).report)).text)
    expect(new Set(rows.map((row) => siteMarketplace(row["sales-channel"]!)))).toEqual(new Set([US, CA]))
  })

  it("dataStartTime and dataEndTime: by purchase date, both bounds inclusive", async () => {
    const truth = client.simulator.groundTruth("audit", { createdAfter: new Date(Date.now() - 200 * DAY), createdBefore: new Date(Date.now() - 100 * DAY) })
    const order = truth[Math.floor(truth.length / 2)]!
    const at = Date.parse(order.createdTime)
    const exact = await createReport(client, tokens.audit!, asOrdersyncSends([order.marketplaceId], at, at))
    const { report } = await awaitReport(client, tokens.audit!, exact)
    expect(report.processingStatus).toBe("DONE")
    const { rows } = parseRows((await documentOf(client, tokens.audit!, report)).text)
    expect(rows.map((row) => row["amazon-order-id"])).toContain(order.orderId)
    expect(rows.every((row) => Date.parse(row["purchase-date"]!) === at)).toBe(true)
    // A window that ends a millisecond before the purchase does not hold it.
    const before = await createReport(client, tokens.audit!, asOrdersyncSends([order.marketplaceId], at - DAY, at - 1))
    const earlier = (await awaitReport(client, tokens.audit!, before)).report
    const ids = earlier.reportDocumentId === undefined
      ? []
      : parseRows((await documentOf(client, tokens.audit!, earlier)).text).rows.map((row) => row["amazon-order-id"])
    expect(ids).not.toContain(order.orderId)
  })

  it("30 days: a window of exactly 30 days is served, a millisecond more is \"Date range exceeded\"; ordersync's windows are at most 30 days", async () => {
    const end = Date.now() - 1000
    const thirty = await createReport(client, tokens.audit!, asOrdersyncSends([US], end - 30 * DAY, end))
    const served = (await documentOf(client, tokens.audit!, (await awaitReport(client, tokens.audit!, thirty)).report)).text
    expect(served.replace(/^\uFEFF/, "").startsWith("amazon-order-id\t")).toBe(true)
    const over = await createReport(client, tokens.audit!, asOrdersyncSends([US], end - 30 * DAY - 1, end))
    const refused = (await documentOf(client, tokens.audit!, (await awaitReport(client, tokens.audit!, over)).report)).text
    expect(refused.replace(/^\uFEFF/, "").trim()).toBe("Date range exceeded. Report can be requested only upto 30 days")

    expect(REPORT_MAX_DAYS).toBe(30)
    const start_ = Date.parse("2025-11-29T22:00:00.000Z")
    const ranges = reportRanges(new Date(start_), new Date(start_ + 365 * DAY))
    expect(ranges[0]!.startAt.getTime()).toBe(start_)
    expect(ranges[ranges.length - 1]!.endAt.getTime()).toBe(start_ + 365 * DAY)
    ranges.forEach((range, k) => {
      expect(range.endAt.getTime() - range.startAt.getTime()).toBeLessThanOrEqual(30 * DAY)
      if (k > 0) expect(range.startAt.getTime()).toBe(ranges[k - 1]!.endAt.getTime())
    })
  })

  it("lifecycle: IN_QUEUE, IN_PROGRESS, then DONE for good; cancelReport refused once IN_PROGRESS; a cancelled report is still listed", async () => {
    const token = tokens.paced!
    const end = Date.now() - 1000
    const id = await createReport(client, token, asOrdersyncSends([US, CA], end - 300 * DAY, end))
    const queued = await createReport(client, token, asOrdersyncSends([US, CA], end - 300 * DAY, end))
    const seen: Array<any> = []
    let refusedWhileRunning: number | undefined
    let cancelledInQueue: number | undefined
    await eventually(async () => {
      const reply = await call(client.simulator, "GET", `${REPORTS}/${id}`, token)
      if (seen[seen.length - 1]?.processingStatus !== reply.body.processingStatus) seen.push(reply.body)
      if (reply.body.processingStatus === "IN_PROGRESS" && refusedWhileRunning === undefined) {
        refusedWhileRunning = (await call(client.simulator, "DELETE", `${REPORTS}/${id}`, token)).status
        // The second report waits behind the first: still IN_QUEUE, so it can be cancelled.
        cancelledInQueue = (await call(client.simulator, "DELETE", `${REPORTS}/${queued}`, token)).status
      }
      return reply.body.processingStatus === "DONE" ? true : undefined
    }, 20_000)
    expect(seen.map((report) => report.processingStatus)).toEqual(["IN_QUEUE", "IN_PROGRESS", "DONE"])
    const [inQueue, inProgress, done] = seen
    expect(inQueue.processingStartTime).toBeUndefined()
    expect(inProgress.processingStartTime).toBeDefined()
    expect(inProgress.processingEndTime).toBeUndefined()
    expect(inProgress.reportDocumentId).toBeUndefined()
    expect(done.processingEndTime).toBeDefined()
    expect(typeof done.reportDocumentId).toBe("string")
    expect(refusedWhileRunning).toBe(400)
    expect(cancelledInQueue).toBe(200)
    // Terminal means terminal.
    for (let k = 0; k < 3; k++) {
      const again = await call(client.simulator, "GET", `${REPORTS}/${id}`, token)
      expect(again.body).toEqual(done)
    }

    // Cancelled, it stays CANCELLED, and getReports still lists it.
    expect((await call(client.simulator, "GET", `${REPORTS}/${queued}`, token)).body.processingStatus).toBe("CANCELLED")
    const listed = await call(client.simulator, "GET", `${REPORTS}?reportTypes=${ORDERS_REPORT}&processingStatuses=CANCELLED`, token)
    expect(listed.body.reports.map((report: any) => report.reportId)).toEqual([queued])
  })

  it("getReportDocument: a url that needs no token, GZIP, no Content-Encoding unless asked, a charset in the Content-Type", async () => {
    const end = Date.now() - 1000
    const id = await createReport(client, tokens.audit!, asOrdersyncSends([US], end - 5 * DAY, end))
    const { report } = await awaitReport(client, tokens.audit!, id)
    const reply = await call(client.simulator, "GET", `${DOCUMENTS}/${encodeURIComponent(report.reportDocumentId)}`, tokens.audit!)
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ reportDocumentId: report.reportDocumentId, url: expect.any(String), compressionAlgorithm: "GZIP" })
    const response = await fetch(reply.body.url)
    expect(response.status).toBe(200)
    // ordersync gunzips itself: a Content-Encoding of gzip would make an HTTP client inflate first.
    expect(response.headers.get("content-encoding")).toBeNull()
    const charset = contentTypeCharset(response.headers.get("content-type") ?? undefined)
    expect(charset).toBe("utf-8")
    await response.arrayBuffer()
    expect((await download(reply.body.url)).text).toContain("amazon-order-id\t")
  })

  it("the document URL lives 5 minutes by default", async () => {
    expect(defaultReportSettings.documentUrlLifetimeSeconds).toBe(300)
    const end = Date.now() - 1000
    const id = await createReport(client, tokens.plain!, asOrdersyncSends([US], end - 30 * DAY, end))
    const { report } = await awaitReport(client, tokens.plain!, id)
    const asked = Date.now()
    const reply = await call(client.simulator, "GET", `${DOCUMENTS}/${encodeURIComponent(report.reportDocumentId)}`, tokens.plain!)
    const answered = Date.now()
    // 300 Amazon seconds are 0.5 s here.
    const expires = Number(new URL(reply.body.url).searchParams.get("expires"))
    expect(expires).toBeGreaterThanOrEqual(asked + 500 - 1)
    expect(expires).toBeLessThanOrEqual(answered + 500)
    const expired = await eventually(async () => {
      const attempt = await download(reply.body.url)
      return attempt.status === 200 ? undefined : attempt
    })
    expect(expired.status).toBe(403)
  })

  it("document: tab-separated, a header, then one row per order item, each order's rows together", async () => {
    const end = Date.now() - 1000
    const id = await createReport(client, tokens.audit!, asOrdersyncSends([US, CA], end - 30 * DAY, end))
    const file = await documentOf(client, tokens.audit!, (await awaitReport(client, tokens.audit!, id)).report)
    const lines = file.text.replace(/^\uFEFF/, "").split("\n").filter((line) => line !== "")
    const header = lines[0]!.split("\t")
    for (const line of lines) expect(line.split("\t")).toHaveLength(header.length)
    const truth = client.simulator.reports.groundTruth("audit", id)
    expect(lines.length - 1).toBe(truth.orders.reduce((sum, order) => sum + order.items.length, 0))
    const ids = lines.slice(1).map((line) => line.split("\t")[header.indexOf("amazon-order-id")]!)
    const runs = ids.filter((orderId, k) => k === 0 || ids[k - 1] !== orderId)
    expect(new Set(runs).size).toBe(runs.length)
    expect(runs).toEqual(truth.orders.map((order) => order.orderId))
  })

  it("header: Amazon's attribute names; every header the simulator writes has the columns ordersync reads", () => {
    expect([...documentedColumns]).toEqual(amazonColumns)
    for (const reportType of orderReportTypes) {
      for (const marketplaceId of [US, CA, "A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A1VC38T7YXB528", "A39IBJ37TRP1C6"]) {
        const columns = columnsFor(reportType, marketplaceId)
        expect(Either.isRight(reportHeader(columns)), `${reportType} ${marketplaceId}`).toBe(true)
        // Reordered or extended by marketplace, never renamed: a column is Amazon's or one of the extras seen in the field.
        expect(columns.filter((column) => !amazonColumns.includes(column))).toEqual(columns.filter((column) => extras.includes(column)))
        if (reportType === BY_LAST_UPDATE) expect(columns).not.toContain("cpf")
      }
    }
  })

  it("columns ordersync reads: dates, order-status, sales-channel, quantity, item-price and currency decode to the Orders API's ground truth", async () => {
    const end = Date.now() - 1000
    const window = { start: end - 30 * DAY, end }
    const id = await createReport(client, tokens.audit!, asOrdersyncSends([US, CA], window.start, window.end))
    const file = await documentOf(client, tokens.audit!, (await awaitReport(client, tokens.audit!, id)).report)
    const lines = file.text.replace(/^\uFEFF/, "").split("\n").filter((line) => line !== "")
    const header = reportHeader(lines[0]!.split("\t"))
    if (Either.isLeft(header)) throw new Error(header.left)
    const byOrder = new Map<string, Array<Array<string>>>()
    for (const line of lines.slice(1)) {
      const fields = line.split("\t")
      const orderId = fields[header.right.index.orderId]!
      byOrder.set(orderId, [...(byOrder.get(orderId) ?? []), fields])
    }
    const truth = client.simulator.reports.groundTruth("audit", id)
    const orders = new Map(
      client.simulator.groundTruth("audit", { createdAfter: new Date(window.start), createdBefore: new Date(window.end), asOf: truth.asOf })
        .map((order) => [order.orderId, order])
    )
    const statuses = new Set<string>()
    for (const reportOrder of truth.orders) {
      const decoded = decodeReportOrder(header.right, ORDERS_REPORT, byOrder.get(reportOrder.orderId)!, 1)
      if (decoded._tag !== "Order") throw new Error(`${reportOrder.orderId} quarantined: ${decoded.quarantined.error}`)
      const { order } = decoded
      const expected = orders.get(reportOrder.orderId)!
      statuses.add(reportOrder.orderStatus)
      expect(order.orderStatus, reportOrder.orderStatus).toBe(expected.status)
      expect(order.orderDate.toISOString()).toBe(new Date(expected.createdTime).toISOString())
      expect(order.marketplaceId).toBe(expected.marketplaceId)
      expect(order.fulfillmentChannel).toBe(expected.fulfillmentChannel)
      expect(order.itemsCount).toBe(reportOrder.items.reduce((sum, item) => sum + item.quantity, 0))
      if (expected.status === "PENDING" || expected.status === "PENDING_AVAILABILITY") expect(order.totalAmount).toBeNull()
      else expect([order.totalAmount, order.currency]).toEqual([expected.totalAmount, expected.currency])
    }
    expect(statuses.size).toBeGreaterThan(3)
  })

  it("lag: orders of the last 30 minutes before processing are not in a report, by default", () => {
    expect(defaultReportSettings.lagSeconds).toBe(1800)
  })
})

describe("fidelity audit, Reports API on Amazon's own clock and plans (test/FIDELITY.md)", () => {
  let client: Client
  beforeAll(async () => {
    client = await start({
      timeFactor: 1,
      sellers: [seller("plans", 50, { usagePlans: { ...defaultUsagePlans } }), seller("errors", 50), seller("kept", 3000, { seed: 23 })]
    })
  })
  afterAll(() => client.simulator.close())

  const spec = { reportType: ORDERS_REPORT, marketplaceIds: [US] }

  it("default usage plans: createReport 0.0167/15, getReport 2/15, getReports 0.0222/10, getReportDocument 0.0167/15, cancelReport 0.0222/10, as the client assumes", async () => {
    const plans = {
      createReport: { rate: 0.0167, burst: 15 },
      getReport: { rate: 2, burst: 15 },
      getReports: { rate: 0.0222, burst: 10 },
      getReportDocument: { rate: 0.0167, burst: 15 },
      cancelReport: { rate: 0.0222, burst: 10 }
    }
    expect(defaultUsagePlans).toMatchObject(plans)
    for (const operation of Object.keys(plans)) expect(DEFAULT_PLANS[operation], operation).toEqual(defaultUsagePlans[operation as keyof typeof plans])
    const token = await client.token("Atzr|plans")
    const replies = []
    for (let n = 0; n < 16; n++) replies.push(await call(client.simulator, "POST", REPORTS, token, spec))
    expect(replies.map((reply) => reply.status)).toEqual([...Array.from({ length: 15 }, () => 202), 429])
    expect(replies[0]!.headers.get("x-amzn-ratelimit-limit")).toBe("0.0167")
    const report = await call(client.simulator, "GET", `${REPORTS}/${replies[0]!.body.reportId}`, token)
    expect(report.headers.get("x-amzn-ratelimit-limit")).toBe("2")
  })

  it("error bodies and x-amzn-RateLimit-Limit: {errors:[{code,message}]} with x-amzn-RequestId; the rate header on 200, 202, 400 and 404 only", async () => {
    const token = await client.token("Atzr|errors")
    const seen: Array<{ status: number; body: any; headers: Headers }> = []
    seen.push(await call(client.simulator, "POST", REPORTS, token, spec))
    seen.push(await call(client.simulator, "GET", `${REPORTS}/${seen[0]!.body.reportId}`, token))
    seen.push(await call(client.simulator, "POST", REPORTS, token, { ...spec, dataStartTime: "yesterday" }))
    seen.push(await call(client.simulator, "GET", `${REPORTS}/1`, token))
    seen.push(await call(client.simulator, "GET", `${REPORTS}/1`, "Atza|forged"))
    const plain = await fetch(`${client.simulator.url}${REPORTS}`, {
      method: "POST",
      headers: { "x-amz-access-token": token, "content-type": "text/plain" },
      body: JSON.stringify(spec)
    })
    seen.push({ status: plain.status, body: await plain.json(), headers: plain.headers })
    for (const faults of [{ extra429Probability: 1 }, { error500Probability: 1 }, { error503Probability: 1 }]) {
      client.simulator.setFaults("errors", faults)
      seen.push(await call(client.simulator, "GET", `${REPORTS}/1`, token))
    }
    client.simulator.setFaults("errors", {})
    expect(seen.map(({ body, headers, status }) => [status, body?.errors?.[0]?.code ?? null, headers.get("x-amzn-ratelimit-limit") !== null])).toEqual([
      [202, null, true],
      [200, null, true],
      [400, "InvalidInput", true],
      [404, "NotFound", true],
      [403, "Unauthorized", false],
      [415, "UnsupportedMediaType", false],
      [429, "QuotaExceeded", false],
      [500, "InternalFailure", false],
      [503, "ServiceUnavailable", false]
    ])
    for (const { body, headers, status } of seen) {
      expect(headers.get("x-amzn-requestid"), String(status)).toBeTruthy()
      if (status < 400) continue
      expect(headers.get("content-type")).toMatch(/^application\/json/)
      expect(body.errors).toHaveLength(1)
      expect(typeof body.errors[0].message).toBe("string")
    }
  })

  // Last: it moves Amazon's clock forward a month.
  it("retention: an order report is answered for 30 days, then getReport and getReportDocument are 404", async () => {
    const end = Date.now() - 1000
    const created = await call(client.simulator, "POST", REPORTS, await client.token("Atzr|kept"), { ...spec, dataStartTime: sent(end - 30 * DAY), dataEndTime: sent(end) })
    expect(created.status, created.text).toBe(202)
    const id = created.body.reportId as string
    const at = async (days: number) => {
      client.simulator.setClockOffset(days * 86_400)
      const fresh = await client.token("Atzr|kept")
      const report = await call(client.simulator, "GET", `${REPORTS}/${id}`, fresh)
      const document = report.body?.reportDocumentId === undefined
        ? undefined
        : await call(client.simulator, "GET", `${DOCUMENTS}/${encodeURIComponent(report.body.reportDocumentId)}`, fresh)
      return { report, document, fresh }
    }
    // A day later the report is long DONE (an Amazon day of processing is plenty).
    const early = await at(1)
    expect(early.report.status).toBe(200)
    expect(early.report.body.processingStatus).toBe("DONE")
    expect(early.document?.status).toBe(200)
    const documentId = early.report.body.reportDocumentId as string
    const late = await at(29)
    expect([late.report.status, late.document?.status]).toEqual([200, 200])
    const gone = await at(31)
    expect(gone.report.status).toBe(404)
    expect(gone.report.body.errors[0].code).toBe("NotFound")
    const document = await call(client.simulator, "GET", `${DOCUMENTS}/${encodeURIComponent(documentId)}`, gone.fresh)
    expect(document.status).toBe(404)
    // getReports looks back 90 days by default (the model), yet the order report is no longer there.
    const listed = await call(client.simulator, "GET", `${REPORTS}?reportTypes=${ORDERS_REPORT}`, gone.fresh)
    expect(listed.status).toBe(200)
    expect(listed.body.reports.map((report: any) => report.reportId)).not.toContain(id)
  })
})
