import { randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"

export const newRequestId = (): string => randomUUID()

export interface ApiError {
  readonly code: string
  /** `null` only where the field shows Amazon sending it (see FieldErrors.ts). */
  readonly message: string | null
  readonly details?: string
}

export const errorBody = (error: ApiError) => ({ errors: [error] })

export const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {}
): void => {
  // An operation without a response body (cancelReport's 200) sends none.
  if (body === undefined) {
    res.writeHead(status, { "Content-Length": 0, ...headers })
    return void res.end()
  }
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    ...headers
  })
  res.end(text)
}

/** Announces the whole body, sends half of it, then drops the connection. */
export const sendTruncated = (res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>>): void => {
  const bytes = Buffer.from(JSON.stringify(body))
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": bytes.length, ...headers })
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.destroy())
}

/** A complete HTTP response whose body is not valid JSON. */
export const sendMalformed = (res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>>): void => {
  const text = JSON.stringify(body)
  const broken = `${text.slice(0, Math.max(1, Math.floor(text.length / 2)))}<html>502 Bad Gateway`
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(broken), ...headers })
  res.end(broken)
}

const MAX_BODY_BYTES = 1 << 20

export const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) req.destroy(new Error("body too large"))
      else chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

/** A token request body, form-encoded or JSON, as Login with Amazon accepts both. */
export const parseFormOrJson = (body: string, contentType: string | undefined): Record<string, string | undefined> => {
  const trimmed = body.trim()
  if (contentType?.includes("json") || trimmed.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(trimmed)
      if (parsed !== null && typeof parsed === "object") {
        return Object.fromEntries(
          Object.entries(parsed).map(([key, value]) => [key, typeof value === "string" ? value : undefined])
        )
      }
    } catch {
      return {}
    }
    return {}
  }
  return Object.fromEntries(new URLSearchParams(body))
}
