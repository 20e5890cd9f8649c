import { gunzipSync } from "node:zlib"
import { expect } from "vitest"
import type { SimulatorHandle } from "../../src/Simulator/Server.js"
import type { SimulatorConfigInput } from "../../src/Simulator/Config.js"
import { type Client, eventually, type Reply, start } from "./support.js"

/**
 * A simulator for the reports suites: an Amazon minute is 0.1 s (a report takes a fraction of a second, the 30-minute
 * lag 3 s), access tokens outlive the run, and each seller's access token is fetched once.
 */
export const startWithTokens = async (config: Omit<SimulatorConfigInput, "timeFactor" | "accessTokenLifetimeSeconds">) => {
  const client = await start({ timeFactor: 600, accessTokenLifetimeSeconds: 600 * 3600, ...config })
  const tokens: Record<string, string> = {}
  for (const { sellerId } of config.sellers ?? []) tokens[sellerId] = await client.token(`Atzr|${sellerId}`)
  return { client, tokens }
}

export const BY_ORDER_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
export const BY_LAST_UPDATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"

/** Every Reports API answer the tests saw, for the model check. */
export const seen: Array<{ readonly operation: string; readonly status: number; readonly body: unknown }> = []

const operationOf = (method: string, pathname: string): string =>
  pathname.startsWith("/reports/2021-06-30/documents/") ? "getReportDocument" :
  pathname === "/reports/2021-06-30/reports" ? (method === "POST" ? "createReport" : "getReports") :
  method === "DELETE" ? "cancelReport" : "getReport"

export const call = async (simulator: SimulatorHandle, method: string, pathAndQuery: string, token: string | undefined, body?: unknown): Promise<Reply> => {
  const headers: Record<string, string> = {}
  if (token !== undefined) headers["x-amz-access-token"] = token
  if (body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(`${simulator.url}${pathAndQuery}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = text === "" ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  seen.push({ operation: operationOf(method, new URL(pathAndQuery, simulator.url).pathname), status: response.status, body: parsed })
  return { status: response.status, headers: response.headers, body: parsed, text }
}

export const createReport = async (client: Client, token: string, spec: Record<string, unknown>): Promise<string> => {
  const reply = await call(client.simulator, "POST", "/reports/2021-06-30/reports", token, spec)
  expect(reply.status, reply.text).toBe(202)
  return reply.body.reportId as string
}

const terminal = new Set(["DONE", "CANCELLED", "FATAL"])

/** Polls getReport until the report is DONE, CANCELLED or FATAL; returns it and the statuses seen on the way. */
export const awaitReport = async (client: Client, token: string, reportId: string, timeoutMs = 20_000) => {
  const statuses: Array<string> = []
  const report = await eventually(async () => {
    const reply = await call(client.simulator, "GET", `/reports/2021-06-30/reports/${reportId}`, token)
    expect(reply.status, reply.text).toBe(200)
    if (statuses[statuses.length - 1] !== reply.body.processingStatus) statuses.push(reply.body.processingStatus)
    return terminal.has(reply.body.processingStatus) ? reply.body : undefined
  }, timeoutMs)
  return { report, statuses }
}

export interface Download {
  readonly status: number
  readonly headers: Headers
  readonly raw: Buffer
  readonly charset: string
  readonly text: string
}

/** Downloads a presigned URL without any SP-API token, gunzips, decodes with the Content-Type's charset. */
export const download = async (url: string): Promise<Download> => {
  const response = await fetch(url)
  const body = Buffer.from(await response.arrayBuffer())
  if (response.status !== 200) return { status: response.status, headers: response.headers, raw: body, charset: "", text: body.toString("utf8") }
  const charset = /charset=([^;]+)/i.exec(response.headers.get("content-type") ?? "")?.[1] ?? "utf-8"
  const raw = gunzipSync(body)
  return { status: 200, headers: response.headers, raw, charset, text: new TextDecoder(charset).decode(raw) }
}

export const documentOf = async (client: Client, token: string, report: { reportDocumentId: string }): Promise<Download> => {
  const reply = await call(client.simulator, "GET", `/reports/2021-06-30/documents/${encodeURIComponent(report.reportDocumentId)}`, token)
  expect(reply.status, reply.text).toBe(200)
  expect(reply.body.compressionAlgorithm).toBe("GZIP")
  return download(reply.body.url)
}

/** Rows of a tab-separated report as records keyed by header name. */
export const parseRows = (text: string): { readonly header: ReadonlyArray<string>; readonly rows: ReadonlyArray<Record<string, string>> } => {
  const lines = text.split("\n").filter((line) => line !== "")
  const header = lines[0]!.split("\t")
  return {
    header,
    rows: lines.slice(1).map((line) => {
      const cells = line.split("\t")
      expect(cells.length).toBe(header.length)
      return Object.fromEntries(header.map((name, k) => [name, cells[k]!]))
    })
  }
}
