import { readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { DEFAULT_PLANS } from "../../src/Services/SpApi/TokenBucket.js"
import { defaultUsagePlans } from "../../src/Simulator/Config.js"
import { ORDERS_2026, ORDERS_V0, readModel, REPORTS, resolveCitation } from "./models.js"

const audit = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../FIDELITY.md")

/** Every `file #/pointer` of the audit table; a bare `#/pointer` belongs to the last file named before it on its line. */
const citations = (text: string): ReadonlyArray<{ readonly file: string; readonly pointer: string; readonly line: number }> =>
  text.split("\n").flatMap((line, n) => {
    let file: string | undefined
    const found: Array<{ file: string; pointer: string; line: number }> = []
    for (const [token] of line.matchAll(/orders_2026-01-01\.json|ordersV0\.json|reports_2021-06-30\.json|#\/[^\s`,;)]+/g)) {
      if (!token.startsWith("#/")) file = token
      else if (file !== undefined) found.push({ file, pointer: token, line: n + 1 })
    }
    return found
  })

const usagePlan = (description: string) => {
  const match = /\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|/.exec(description)!
  return { rate: Number(match[1]), burst: Number(match[2]) }
}

describe("fidelity: the audit table (test/FIDELITY.md) cites what the models say", () => {
  it("resolves every model citation of the audit table", () => {
    const models: Record<string, unknown> = {
      [ORDERS_2026]: readModel(ORDERS_2026),
      [ORDERS_V0]: readModel(ORDERS_V0),
      [REPORTS]: readModel(REPORTS)
    }
    const cited = citations(readFileSync(audit, "utf8"))
    // Every model is cited, each often enough that a citation regex gone wrong (matching nothing) fails here.
    const perFile = Object.fromEntries(Object.keys(models).map((file) => [file, cited.filter((c) => c.file === file).length]))
    expect(perFile[ORDERS_2026]).toBeGreaterThanOrEqual(40)
    expect(perFile[ORDERS_V0]).toBeGreaterThanOrEqual(20)
    expect(perFile[REPORTS]).toBeGreaterThanOrEqual(50)
    const unresolved = cited.filter(({ file, pointer }) => resolveCitation(models[file], pointer) === undefined)
    expect(unresolved).toEqual([])
    // A check that accepts everything checks nothing.
    expect(resolveCitation(models[REPORTS], "#/definitions/ReportDocument/properties/expiresAt")).toBeUndefined()
    expect(resolveCitation(models[REPORTS], "#/paths/~1reports~12021-06-30~1reports/get/parameters[reportType]")).toBeUndefined()
  })

  it("numbers the rows 1, 2, 3… without a gap or a repeat", () => {
    const numbers = readFileSync(audit, "utf8").split("\n").flatMap((line) => {
      const match = /^\| (\d+) \|/.exec(line)
      return match ? [Number(match[1])] : []
    })
    expect(numbers.length).toBeGreaterThan(70)
    expect(numbers).toEqual(numbers.map((_, k) => k + 1))
  })

  it("every row says what the field reports beside what the model says, with the thread", () => {
    const rows = readFileSync(audit, "utf8").split("\n").filter((line) => /^\| \d+ \|/.test(line))
    const field = rows.map((line) => line.split(" | ")[3]!)
    // Six cells a row: #, what, model, field, client, test (a row that lost its field cell shifts the others).
    expect(rows.filter((line) => line.split(" | ").length !== 6)).toEqual([])
    // A field cell is "—" (nothing contradicts the model) or cites at least one public thread as owner/repo#N.
    const thread = /[\w.-]+\/[\w.-]+#\d+/
    expect(field.filter((cell) => cell !== "—" && !thread.test(cell))).toEqual([])
    // The field reports ordersync was built against (issue 30), each cited somewhere in the audit.
    // "owner/repo#1, #2" cites #2 of the same repository.
    const cited = new Set<string>()
    for (const line of readFileSync(audit, "utf8").split("\n")) {
      let repo: string | undefined
      for (const m of line.matchAll(/([\w.-]+\/[\w.-]+)?#(\d+)\b/g)) {
        if (m[1] !== undefined) repo = m[1]
        if (repo !== undefined) cited.add(`${repo}#${m[2]}`)
      }
    }
    const known = [
      "amzn/selling-partner-api-models#2209", "amzn/selling-partner-api-models#534", "amzn/selling-partner-api-docs#1404",
      "amzn/selling-partner-api-models#1269", "amzn/selling-partner-api-models#1148", "amzn/selling-partner-api-models#2091",
      "amzn/selling-partner-api-models#2382", "amzn/selling-partner-api-docs#326", "amzn/selling-partner-api-docs#2004",
      "amzn/selling-partner-api-models#1167", "jlevers/selling-partner-api#473"
    ]
    expect(known.filter((t) => !cited.has(t))).toEqual([])
    expect(field.filter((cell) => cell !== "—").length).toBeGreaterThanOrEqual(8)
  })

  it("the datasets ordersync asks for are in the model's includedData enum", () => {
    const enumValues = resolveCitation(readModel(ORDERS_2026), "#/paths/~1orders~12026-01-01~1orders/get/parameters[includedData]/items/enum")
    expect(enumValues).toEqual(expect.arrayContaining(["FULFILLMENT", "PROCEEDS"]))
  })

  it("the default usage plans are the models'", () => {
    const orders2026 = readModel(ORDERS_2026)
    const ordersV0 = readModel(ORDERS_V0)
    const reports = readModel(REPORTS)
    const plans = {
      searchOrders: usagePlan(orders2026.paths["/orders/2026-01-01/orders"].get.description),
      getOrder: usagePlan(orders2026.paths["/orders/2026-01-01/orders/{orderId}"].get.description),
      getOrders: usagePlan(ordersV0.paths["/orders/v0/orders"].get.description),
      getOrderV0: usagePlan(ordersV0.paths["/orders/v0/orders/{orderId}"].get.description),
      getOrderItems: usagePlan(ordersV0.paths["/orders/v0/orders/{orderId}/orderItems"].get.description),
      createReport: usagePlan(reports.paths["/reports/2021-06-30/reports"].post.description),
      getReports: usagePlan(reports.paths["/reports/2021-06-30/reports"].get.description),
      getReport: usagePlan(reports.paths["/reports/2021-06-30/reports/{reportId}"].get.description),
      cancelReport: usagePlan(reports.paths["/reports/2021-06-30/reports/{reportId}"].delete.description),
      getReportDocument: usagePlan(reports.paths["/reports/2021-06-30/documents/{reportDocumentId}"].get.description)
    }
    expect(defaultUsagePlans).toEqual(plans)
    for (const operation of ["searchOrders", "getOrders", "getOrder", "createReport", "getReport", "getReports", "getReportDocument", "cancelReport"] as const) {
      expect(DEFAULT_PLANS[operation], operation).toEqual(plans[operation])
    }
  })
})
