import { Ajv } from "ajv"
import formatsPlugin from "ajv-formats"
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, DAY, eventually, seller, start } from "../simulator/support.js"
import { BY_LAST_UPDATE, BY_ORDER_DATE, call, seen } from "../simulator/reportsSupport.js"

// The official model is read from SPAPI_MODELS_DIR (the shared reference copy); missing is a failure, not a skip.
const modelsDir = process.env.SPAPI_MODELS_DIR
const modelFile = modelsDir === undefined ? undefined : path.join(modelsDir, "reports_2021-06-30.json")

const definitionOf = (operation: string, status: number): string =>
  status >= 400 ? "ErrorList" :
  operation === "createReport" ? "CreateReportResponse" :
  operation === "getReport" ? "Report" :
  operation === "getReports" ? "GetReportsResponse" :
  operation === "getReportDocument" ? "ReportDocument" :
  "none"

describe("fidelity: Reports API answers match reports_2021-06-30.json", () => {
  it("has the official model", () => {
    expect(modelsDir, "SPAPI_MODELS_DIR is not set").toBeDefined()
    expect(existsSync(modelFile!), `${modelFile} is missing`).toBe(true)
  })

  let client: Client
  beforeAll(async () => {
    client = await start({
      timeFactor: 600,
      accessTokenLifetimeSeconds: 600 * 3600,
      usagePlans: { createReport: { rate: 1, burst: 40 }, getReports: { rate: 1, burst: 40 } },
      sellers: [seller("model", 3000, { marketplaceIds: ["A1PA6795UKMFR9", "A13V1IB3VIYZZH"] })]
    })
  })
  afterAll(() => client.simulator.close())

  it("validates every success and error body the simulator gives", async () => {
    const token = await client.token("Atzr|model")
    const now = Date.now()
    const spec = (extra: Record<string, unknown>) => ({ reportType: BY_ORDER_DATE, marketplaceIds: ["A1PA6795UKMFR9"], ...extra })
    const ids: Array<string> = []
    for (const body of [
      spec({ dataStartTime: new Date(now - 3 * DAY).toISOString() }),
      spec({ reportType: BY_LAST_UPDATE, marketplaceIds: ["A1PA6795UKMFR9", "A13V1IB3VIYZZH"], dataStartTime: new Date(now - 2 * DAY).toISOString() }),
      spec({ dataStartTime: new Date(now - 40 * DAY).toISOString() }),
      spec({})
    ]) {
      const reply = await call(client.simulator, "POST", "/reports/2021-06-30/reports", token, body)
      ids.push(reply.body.reportId)
    }
    client.simulator.reports.forceNext("model", "fatal")
    ids.push((await call(client.simulator, "POST", "/reports/2021-06-30/reports", token, spec({ dataStartTime: new Date(now - DAY).toISOString() }))).body.reportId)
    const queued = await call(client.simulator, "POST", "/reports/2021-06-30/reports", token, spec({}))
    await call(client.simulator, "GET", `/reports/2021-06-30/reports/${queued.body.reportId}`, token)
    await call(client.simulator, "DELETE", `/reports/2021-06-30/reports/${queued.body.reportId}`, token)

    for (const id of ids) {
      const report = await eventually(async () => {
        const reply = await call(client.simulator, "GET", `/reports/2021-06-30/reports/${id}`, token)
        return ["DONE", "CANCELLED", "FATAL"].includes(reply.body.processingStatus) ? reply.body : undefined
      })
      if (report.reportDocumentId) {
        await call(client.simulator, "GET", `/reports/2021-06-30/documents/${encodeURIComponent(report.reportDocumentId)}`, token)
        await call(client.simulator, "GET", `/reports/2021-06-30/documents/${encodeURIComponent(report.reportDocumentId)}?enableContentEncodingUrlHeader=true`, token)
      }
    }
    const first = await call(client.simulator, "GET", `/reports/2021-06-30/reports?reportTypes=${BY_ORDER_DATE},${BY_LAST_UPDATE}&pageSize=2`, token)
    await call(client.simulator, "GET", `/reports/2021-06-30/reports?nextToken=${encodeURIComponent(first.body.nextToken)}`, token)
    // Errors: validation, not found, cancel too late, missing token.
    await call(client.simulator, "POST", "/reports/2021-06-30/reports", token, { reportType: "GET_NO_SUCH_REPORT", marketplaceIds: ["A1PA6795UKMFR9"] })
    await call(client.simulator, "POST", "/reports/2021-06-30/reports", token, spec({ dataStartTime: "yesterday" }))
    await call(client.simulator, "GET", "/reports/2021-06-30/reports", token)
    await call(client.simulator, "GET", "/reports/2021-06-30/reports/999", token)
    await call(client.simulator, "GET", "/reports/2021-06-30/documents/amzn1.spdoc.nothing", token)
    await call(client.simulator, "DELETE", `/reports/2021-06-30/reports/${ids[0]}`, token)
    await call(client.simulator, "GET", `/reports/2021-06-30/reports/${ids[0]}`, undefined)

    const ajv = new Ajv({ strict: false, allErrors: true })
    const addFormats = ((formatsPlugin as unknown as { default?: unknown }).default ?? formatsPlugin) as (ajv: Ajv) => void
    addFormats(ajv)
    ajv.addSchema(JSON.parse(readFileSync(modelFile!, "utf8")), "reports")
    const statuses = new Set<string>()
    let validated = 0
    for (const answer of seen) {
      const definition = definitionOf(answer.operation, answer.status)
      if (definition === "none") {
        // cancelReport's 200 has no schema: the model declares no body.
        expect(answer.body).toBeUndefined()
        continue
      }
      const validate = ajv.getSchema(`reports#/definitions/${definition}`)!
      expect(validate(answer.body) ? [] : validate.errors, `${answer.operation} ${answer.status} matches ${definition}`).toEqual([])
      statuses.add(`${answer.operation} ${answer.status}`)
      if (answer.operation === "getReport" && answer.status === 200) statuses.add((answer.body as { processingStatus: string }).processingStatus)
      validated++
    }
    expect(validated).toBeGreaterThan(20)
    for (const expected of [
      "createReport 202", "createReport 400", "getReport 200", "getReport 404", "getReport 403", "getReports 200", "getReports 400",
      "getReportDocument 200", "getReportDocument 404", "cancelReport 400", "DONE", "CANCELLED", "FATAL"
    ]) expect([...statuses]).toContain(expected)
    // A check that rejects nothing checks nothing.
    expect(ajv.getSchema("reports#/definitions/Report")!({ reportId: 1 })).toBe(false)
  })
})
