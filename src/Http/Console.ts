import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"

/**
 * The console's only sources are these files: no inline script or style, nothing from elsewhere, no framing.
 * `connect-src 'self'` is the API it polls.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join("; ")

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache"
} as const

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml"
}

/**
 * The `console/` folder of the package: beside `src/` when run from the sources, two levels further up from
 * `dist/src/Http/` when built, and the same from an installed package.
 */
export const consoleDirectory = (): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (true) {
    const candidate = path.join(dir, "console")
    if (fs.existsSync(path.join(candidate, "index.html"))) return candidate
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error("the console's files (console/index.html) are missing from the package")
    dir = parent
  }
}

/** Serves the operator console: `/` is its page, `/console/*` its scripts, styles and icon, read once at start. */
export const ConsoleLive = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function*() {
    const files = yield* Effect.sync(() => {
      const dir = consoleDirectory()
      return fs.readdirSync(dir)
        .filter((name) => TYPES[path.extname(name)] !== undefined)
        .map((name) => ({ name, body: fs.readFileSync(path.join(dir, name)), contentType: TYPES[path.extname(name)]! }))
    })
    for (const { name, body, contentType } of files) {
      const response = HttpServerResponse.uint8Array(body, { contentType, headers: SECURITY_HEADERS })
      yield* router.get(name === "index.html" ? "/" : `/console/${name}`, Effect.succeed(response))
    }
  })
)
