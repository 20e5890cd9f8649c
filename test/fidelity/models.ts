import { Ajv, type ValidateFunction } from "ajv"
import formatsPlugin from "ajv-formats"
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { expect } from "vitest"
import type { Operation } from "../simulator/support.js"

/**
 * Amazon's official SP-API models (Apache-2.0, Amazon's text) are not in the repository: the fidelity suite reads them
 * from SPAPI_MODELS_DIR, and a missing directory or file fails it, never skips it.
 */
export const modelsDir = (): string => {
  const dir = process.env.SPAPI_MODELS_DIR
  if (dir === undefined || dir === "") {
    throw new Error("SPAPI_MODELS_DIR is not set: point it at a directory holding Amazon's SP-API models (orders_2026-01-01.json, ordersV0.json, …)")
  }
  if (!existsSync(dir)) throw new Error(`SPAPI_MODELS_DIR=${dir} does not exist`)
  return dir
}

/** The path of one model file; throws when it is absent. */
export const modelPath = (file: string): string => {
  const file_ = path.join(modelsDir(), file)
  if (!existsSync(file_)) throw new Error(`the SP-API model ${file} is not in SPAPI_MODELS_DIR (${modelsDir()})`)
  return file_
}

export const readModel = (file: string): any => JSON.parse(readFileSync(modelPath(file), "utf8"))

export const ORDERS_2026 = "orders_2026-01-01.json"
export const ORDERS_V0 = "ordersV0.json"
export const REPORTS = "reports_2021-06-30.json"

const definitionFor: Record<Operation, (status: number) => string> = {
  searchOrders: (status) => `orders2026#/definitions/${status === 200 ? "SearchOrdersResponse" : "ErrorList"}`,
  getOrder: (status) => `orders2026#/definitions/${status === 200 ? "GetOrderResponse" : "ErrorList"}`,
  getOrders: () => "ordersV0#/definitions/GetOrdersResponse",
  getOrderV0: () => "ordersV0#/definitions/GetOrderResponse",
  getOrderItems: () => "ordersV0#/definitions/GetOrderItemsResponse"
}

let ajv: Ajv | undefined
const validators = new Map<string, ValidateFunction>()

const validatorFor = (ref: string): ValidateFunction => {
  if (!ajv) {
    const made = new Ajv({ strict: false, allErrors: true })
    const addFormats = ((formatsPlugin as unknown as { default?: unknown }).default ?? formatsPlugin) as (ajv: Ajv) => void
    addFormats(made)
    made.addSchema(readModel(ORDERS_2026), "orders2026")
    made.addSchema(readModel(ORDERS_V0), "ordersV0")
    ajv = made
  }
  let validate = validators.get(ref)
  if (!validate) {
    validate = ajv.getSchema(ref)!
    validators.set(ref, validate)
  }
  return validate
}

export const checked = { count: 0 }

/** Asserts that a body matches the model's definition for this operation and status. */
export const expectMatchesModel = (operation: Operation, status: number, body: unknown): void => {
  const validate = validatorFor(definitionFor[operation](status))
  const valid = validate(body)
  expect(valid ? [] : validate.errors, `${operation} ${status} body matches the model`).toEqual([])
  checked.count++
}

/**
 * Resolves a citation of the audit table, a JSON pointer into a model with `[name]` picking the element of an array
 * whose `name` is that (e.g. `#/paths/~1orders~12026-01-01~1orders/get/parameters[includedData]`).
 */
export const resolveCitation = (model: unknown, pointer: string): unknown => {
  const steps = pointer.replace(/^#\//, "").split("/").flatMap((step) => {
    const match = /^([^[]*)((?:\[[^\]]+\])*)$/.exec(step)!
    const names = [...match[2]!.matchAll(/\[([^\]]+)\]/g)].map((m) => ({ pick: m[1]! }))
    return [...(match[1] === "" ? [] : [match[1]!.replaceAll("~1", "/").replaceAll("~0", "~")]), ...names]
  })
  let at: any = model
  for (const step of steps) {
    if (at === undefined || at === null) return undefined
    at = typeof step === "string" ? at[step] : Array.isArray(at) ? at.find((item: any) => item?.name === step.pick) : undefined
  }
  return at
}
