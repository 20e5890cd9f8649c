import { readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { DEFAULT_PLANS } from "../../src/Services/SpApi/TokenBucket.js"
import { defaultUsagePlans } from "../../src/Simulator/Config.js"
import { ORDERS_2026, ORDERS_V0, readModel, resolveCitation } from "./models.js"

const audit = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../FIDELITY.md")

/** Every `file #/pointer` of the audit table; a bare `#/pointer` belongs to the last file named before it on its line. */
const citations = (text: string): ReadonlyArray<{ readonly file: string; readonly pointer: string; readonly line: number }> =>
  text.split("\n").flatMap((line, n) => {
    let file: string | undefined
    const found: Array<{ file: string; pointer: string; line: number }> = []
    for (const [token] of line.matchAll(/orders_2026-01-01\.json|ordersV0\.json|#\/[^\s`,;)]+/g)) {
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
    const models: Record<string, unknown> = { [ORDERS_2026]: readModel(ORDERS_2026), [ORDERS_V0]: readModel(ORDERS_V0) }
    const cited = citations(readFileSync(audit, "utf8"))
    expect(cited.length).toBeGreaterThan(60)
    const unresolved = cited.filter(({ file, pointer }) => resolveCitation(models[file], pointer) === undefined)
    expect(unresolved).toEqual([])
  })

  it("the datasets ordersync asks for are in the model's includedData enum", () => {
    const enumValues = resolveCitation(readModel(ORDERS_2026), "#/paths/~1orders~12026-01-01~1orders/get/parameters[includedData]/items/enum")
    expect(enumValues).toEqual(expect.arrayContaining(["FULFILLMENT", "PROCEEDS"]))
  })

  it("the default usage plans are the models'", () => {
    const orders2026 = readModel(ORDERS_2026)
    const ordersV0 = readModel(ORDERS_V0)
    const reports = readModel("reports_2021-06-30.json")
    const plans = {
      searchOrders: usagePlan(orders2026.paths["/orders/2026-01-01/orders"].get.description),
      getOrder: usagePlan(orders2026.paths["/orders/2026-01-01/orders/{orderId}"].get.description),
      getOrders: usagePlan(ordersV0.paths["/orders/v0/orders"].get.description),
      getOrderV0: usagePlan(ordersV0.paths["/orders/v0/orders/{orderId}"].get.description),
      createReport: usagePlan(reports.paths["/reports/2021-06-30/reports"].post.description),
      getReports: usagePlan(reports.paths["/reports/2021-06-30/reports"].get.description),
      getReport: usagePlan(reports.paths["/reports/2021-06-30/reports/{reportId}"].get.description),
      cancelReport: usagePlan(reports.paths["/reports/2021-06-30/reports/{reportId}"].delete.description),
      getReportDocument: usagePlan(reports.paths["/reports/2021-06-30/documents/{reportDocumentId}"].get.description)
    }
    expect(defaultUsagePlans).toEqual(plans)
    for (const operation of ["searchOrders", "getOrders", "getOrder"] as const) expect(DEFAULT_PLANS[operation]).toEqual(plans[operation])
  })
})
