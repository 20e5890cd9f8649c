import { ReportsApi } from "@sp-api-sdk/reports-api-2021-06-30"
import axios from "axios"
import { gunzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, DAY, eventually, seller, start } from "./support.js"
import { BY_ORDER_DATE, parseRows } from "./reportsSupport.js"

describe("a third-party client (@sp-api-sdk/reports-api-2021-06-30)", () => {
  let client: Client
  beforeAll(async () => {
    client = await start({
      timeFactor: 600,
      accessTokenLifetimeSeconds: 600 * 3600,
      sellers: [seller("sdk-reports", 5000, { reports: { documentUrlLifetimeSeconds: 3000 } })]
    })
  })
  afterAll(() => client.simulator.close())

  it("creates, polls and downloads an order report, and reads exactly the ground truth", async () => {
    const accessToken = await client.token("Atzr|sdk-reports")
    const http = axios.create({ headers: { "x-amz-access-token": accessToken } })
    const api = new ReportsApi(undefined, client.simulator.url, http)
    const marketplaceIds = ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
    const end = new Date(Date.now() - 1000)
    const created = await api.createReport({
      body: { reportType: BY_ORDER_DATE, marketplaceIds, dataStartTime: new Date(end.getTime() - 14 * DAY).toISOString(), dataEndTime: end.toISOString() }
    })
    expect(created.status).toBe(202)
    const { reportId } = created.data
    const report = await eventually(async () => {
      const { data } = await api.getReport({ reportId })
      return data.processingStatus === "DONE" ? data : undefined
    })
    const { data: document } = await api.getReportDocument({ reportDocumentId: report.reportDocumentId! })
    expect(document.compressionAlgorithm).toBe("GZIP")
    // The presigned URL needs no SP-API token: a plain client downloads it.
    const file = await axios.get<ArrayBuffer>(document.url, { responseType: "arraybuffer" })
    const charset = /charset=([^;]+)/.exec(String(file.headers["content-type"]))![1]!
    const text = new TextDecoder(charset).decode(gunzipSync(Buffer.from(file.data)))
    const { rows } = parseRows(text)

    const truth = client.simulator.reports.groundTruth("sdk-reports", reportId)
    expect(rows.map((row) => [row["amazon-order-id"], row.sku, row.quantity, row["item-price"]])).toEqual(
      truth.orders.flatMap((order) => order.items.map((item) => [order.orderId, item.sku, String(item.quantity), item.itemPrice ?? ""]))
    )
    const orders = client.simulator.groundTruth("sdk-reports", { createdAfter: new Date(end.getTime() - 14 * DAY), createdBefore: end, asOf: truth.asOf })
    expect([...new Set(rows.map((row) => row["amazon-order-id"]))]).toEqual(orders.map((order) => order.orderId))

    const { data: listed } = await api.getReports({ reportTypes: [BY_ORDER_DATE] })
    expect(listed.reports.map((r) => r.reportId)).toEqual([reportId])
  })
})
