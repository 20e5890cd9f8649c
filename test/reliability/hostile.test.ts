import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import { Backfill } from "../../src/Services/Backfill.js"
import { ApiTokens } from "../../src/Services/Store/ApiTokens.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { ADMIN_TOKENS, apiFor, baseUrl } from "../http/support.js"
import { addSellers, testSeller } from "../support/Engine.js"
import { report } from "./support.js"
import { amazonShaped, type RawRequest, send, tableChecksums, tally } from "./support2.js"

const REQUESTS = 6000
const TENANTS = ["alpha", "beta"] as const

const ROUTES = [
  ["GET", "/api/v1/orders/sync/backfill/status"],
  ["GET", "/api/v1/orders/sync/backfill"],
  ["POST", "/api/v1/orders/sync/backfill/run"],
  ["POST", "/api/v1/orders/sync/backfill/pause"],
  ["POST", "/api/v1/orders/sync/backfill/resume"],
  ["POST", "/api/v1/orders/sync/delta/run"],
  ["GET", "/health"],
  ["GET", "/ready"],
  ["GET", "/metrics"],
  ["GET", "/openapi.json"],
  ["GET", "/docs"]
] as const

interface Tokens {
  readonly alpha: string
  readonly revoked: string
}

// ---- What a hostile client sends ----

const oddTenantId = fc.oneof(
  fc.constantFrom(
    "alpha", " alpha ", "ALPHA", "beta", "nobody", "", " ", "\t", "../beta", "alpha/../beta", "alpha/beta", "alpha\\beta",
    "alpha\u0000", "'; DROP TABLE \"Order\"; --", "alpha' OR '1'='1", "%", "%25", "%2e%2e", "\u202ealpha", "ａｌｐｈａ",
    "alpha\u200b", "🦄", "null", "undefined", "[object Object]", "__proto__", "\ud800", "a".repeat(200), "a".repeat(201)
  ),
  fc.string({ maxLength: 40 }),
  fc.fullUnicodeString({ maxLength: 40 }),
  fc.integer({ min: 1, max: 50_000 }).map((n) => "é".repeat(n))
)

const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 })
)

const days = fc.oneof(
  fc.integer({ min: 1, max: 730 }),
  fc.constantFrom(0, -1, 731, 30.5, 1e308, -0, "365", "30", null, true, [30]),
  fc.integer(),
  fc.double()
)

/** A JSON object near the real payloads: the right fields with odd values, wrong types, and unknown fields. */
const payload = fc.record({
  tenantId: fc.oneof(oddTenantId, wrongType),
  days,
  restart: fc.oneof(fc.boolean(), fc.constantFrom("yes", "true", 1, 0, null)),
  extra: fc.dictionary(
    fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "tenantid", "TenantId", "epoch", "owner")),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 3 }
  )
}, { requiredKeys: [] }).map(({ extra, ...fields }) => JSON.stringify({ ...extra, ...fields }))

const body = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 10, arbitrary: payload },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "", "{not json", "{", "{\"tenantId\":", "{\"tenantId\":\"alpha\"", "\u0000", "\ufeff{\"tenantId\":\"nobody\"}", "null", "[]",
      "true", "0", "\"alpha\"", "{\"tenantId\":\"nobody\",\"tenantId\":\"nobody2\"}", "{\"__proto__\":{\"tenantId\":\"alpha\"}}",
      "{\"constructor\":{\"prototype\":{\"admin\":true}}}", "tenantId=alpha", "{\"tenantId\":\"\\ud800\"}", "{\"tenantId\":1e999}"
    )
  },
  {
    // Huge: a multi-megabyte field, a long array, deep nesting.
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer({ min: 100_000, max: 3_000_000 }).map((n) => JSON.stringify({ tenantId: "x".repeat(n) })),
      fc.integer({ min: 10_000, max: 200_000 }).map((n) => JSON.stringify({ tenantId: "nobody", days: Array.from({ length: n }, () => 1) })),
      fc.integer({ min: 1_000, max: 200_000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
      fc.integer({ min: 1_000, max: 100_000 }).map((n) => `${"{\"a\":".repeat(n)}1${"}".repeat(n)}`)
    )
  }
)

// The route itself most of the time (so validation is reached), a trick otherwise.
const pathTrick = (route: string) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(route) }, { weight: 2, arbitrary: trick(route) })

const trick = (route: string) =>
  fc.constantFrom(
    `${route}/`,
    route.replace(/\/([^/]+)$/, "/x/../$1"),
    route.replace(/\/([^/]+)$/, "/%2e%2e/$1"),
    route.replace(/\/([^/]+)$/, "/%2E%2E/x/$1"),
    route.replace(/\/([^/]+)$/, "/./$1"),
    route.replace(/\//g, "//"),
    route.replace(/^\/api/, "/api/"),
    route.replace(/\/([^/]+)$/, "%2F$1"),
    route.replace(/\/([^/]+)$/, "\\$1"),
    route.toUpperCase(),
    `${route}%00`,
    `${route};jsessionid=1`,
    `${route}#fragment`,
    `http://evil.example${route}`,
    "/api/v1/orders/sync/backfill/../status",
    "/api/v1/orders/sync/backfill/run/../status",
    "/api/v1/orders/sync/backfill/%2e%2e/backfill/run",
    "/api/v1/orders/sync/backfill/..%2Fstatus",
    "//api/v1/orders/sync/backfill/status",
    "/api/v1/orders/sync/../../../../etc/passwd",
    "/",
    "/api",
    "/api/v1/orders/sync/nothing",
    "*"
  )

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Percent-encodes, with a lone surrogate (which has no UTF-8) sent as the invalid bytes ED A0 80. */
const encode = (value: string) => value.split(loneSurrogate).map(encodeURIComponent).join("%ED%A0%80")

const query = fc.oneof(
  fc.constant(""),
  fc.constant("?"),
  oddTenantId.map((id) => `?tenantId=${encode(id)}`),
  fc.constantFrom(
    "?tenantId=alpha", "?tenantId=beta", "?tenantId=alpha&tenantId=beta", "?tenantId=beta&tenantId=alpha", "?tenantId=alpha&tenantId=alpha",
    "?tenantId[]=alpha", "?tenantId[a]=alpha", "?tenantid=alpha", "?tenantId", "?tenantId=", "?tenantId=%", "?tenantId=%zz",
    "?tenantId=%E0%A4%A", "?tenantId=%C0%AE%C0%AE", "?tenantId=alpha%00", "?&&&", "?=&=", "?limit=1&limit=2", "?limit=0",
    "?limit=-1", "?limit=501", "?limit=1.5", "?limit=abc", "?limit=1e2", "?limit=0x10", "?offset=-1", "?offset=99999999999999999999",
    "?limit=50&offset=0&extra=1", "?offset=1&offset=", "?limit=%20"
  ),
  fc.tuple(fc.constantFrom("limit", "offset", "tenantId", "x"), fc.string({ maxLength: 10 }), fc.constantFrom("limit", "offset", "tenantId"), fc.string({ maxLength: 10 }))
    .map(([k1, v1, k2, v2]) => `?${k1}=${encode(v1)}&${k2}=${encode(v2)}`)
)

const authorization = (tokens: Tokens) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(`Bearer ${ADMIN_TOKENS[0]}`, `Bearer ${ADMIN_TOKENS[1]}`, `Bearer ${tokens.alpha}`) },
    { weight: 2, arbitrary: fc.constant(undefined) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        `Bearer ${tokens.revoked}`,
        `Bearer ${ADMIN_TOKENS[0]}x`,
        `Bearer ${ADMIN_TOKENS[0].slice(0, -1)}`,
        `Bearer ${ADMIN_TOKENS[0].toUpperCase()}`,
        `Bearer ${tokens.alpha.slice(0, -1)}A`,
        `Bearer ${tokens.alpha.toUpperCase()}`,
        `Bearer ${ADMIN_TOKENS[0]},${ADMIN_TOKENS[1]}`,
        `Basic ${Buffer.from(`${ADMIN_TOKENS[0]}:`).toString("base64")}`,
        `Basic ${ADMIN_TOKENS[0]}`,
        "Bearer",
        "Bearer ",
        "Bearer null",
        "Bearer undefined",
        `Bearer ${"a".repeat(10_000)}`,
        ADMIN_TOKENS[0],
        "Bearer ' OR '1'='1",
        `Bearer ${Buffer.alloc(32).toString("hex")}`
      )
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)).map((s) => `Bearer ${s}`) }
  )

const contentType = fc.constantFrom(
  "application/json", "application/json", "application/json; charset=utf-8", undefined, "text/plain",
  "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x", "application/json; charset=utf-16",
  "*/*", "application/xml", "garbage"
)

// The route's own method most of the time, another one otherwise.
const method = (own: string) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(own) },
    { weight: 2, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO") }
  )

const request = (tokens: Tokens) =>
  fc.constantFrom(...ROUTES).chain(([own, route]) => fc.record({
    method: method(own),
    path: pathTrick(route),
    query,
    authorization: authorization(tokens),
    contentType,
    body
  })).map(({ authorization, body, contentType, method, path, query }): RawRequest => ({
    method,
    path: path + query,
    headers: {
      ...(authorization !== undefined ? { authorization } : {}),
      ...(contentType !== undefined ? { "content-type": contentType } : {})
    },
    ...(body !== undefined && method !== "GET" && method !== "HEAD" ? { body } : {})
  }))

/**
 * A trigger the API must accept: a payload that passes the schema (whatever the route and method, to be safe about how
 * the router treats path tricks) for an existing tenant, from a caller allowed to reach it. Such a request changes
 * the database by design (a pending run, a paused tenant), so it is left out; everything else must change nothing.
 */
const legitimateTrigger = (tokens: Tokens) => (request: RawRequest) => {
  if (request.body === undefined) return false
  let parsed: unknown
  try {
    parsed = JSON.parse(request.body.replace(/^\ufeff/, ""))
  } catch {
    return false
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return false
  const fields = parsed as Record<string, unknown>
  if (!Object.keys(fields).every((k) => ["tenantId", "days", "restart"].includes(k))) return false
  const tenantId = typeof fields.tenantId === "string" ? fields.tenantId.trim() : undefined
  if (tenantId === undefined || !(TENANTS as ReadonlyArray<string>).includes(tenantId)) return false
  if (fields.days !== undefined && !(Number.isInteger(fields.days) && (fields.days as number) >= 1 && (fields.days as number) <= 730)) return false
  if (fields.restart !== undefined && typeof fields.restart !== "boolean") return false
  const auth = request.headers.authorization ?? ""
  return ADMIN_TOKENS.some((t) => auth.includes(t)) || (tenantId === "alpha" && auth.includes(tokens.alpha))
}


describe("R5: hostile HTTP input", () => {
  it.scopedLive(`${REQUESTS} generated requests against every route: no 5xx, nothing changes`, () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("alpha", 300, 1), testSeller("beta", 50, 2)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        // alpha has a finished backfill (so a delta trigger would be accepted), beta none; a live and a revoked token.
        yield* (yield* Backfill).runInitialBackfill("alpha", 30)
        const apiTokens = yield* ApiTokens
        const alpha = Redacted.value((yield* apiTokens.create("alpha")).token)
        const revokedToken = yield* apiTokens.create("beta")
        yield* apiTokens.revoke(revokedToken.id)
        const tokens: Tokens = { alpha, revoked: Redacted.value(revokedToken.token) }

        const seed = Number(process.env.R5_SEED ?? Date.now() % 2 ** 31)
        const generated = fc.sample(request(tokens), { numRuns: REQUESTS, seed })
        const requests = generated.filter((r) => !legitimateTrigger(tokens)(r))
        const base = yield* baseUrl

        const before = yield* tableChecksums
        const started = Date.now()
        const answers: Array<{ request: RawRequest; status: number; text: string }> = []
        for (const r of requests) {
          const answer = yield* send(base, r, 5_000)
          answers.push({ request: r, ...answer })
        }
        const seconds = (Date.now() - started) / 1000
        const after = yield* tableChecksums

        // A 5xx, or no answer at all, is a failure.
        const serverErrors = answers.filter((a) => a.status >= 500 || a.status === 0)
        // Every answer the API gives itself on /api is Amazon-shaped. Node's HTTP parser answers an unknown method (400)
        // and oversized headers (431) before the app sees the request, and HEAD has no body.
        const unshaped = answers.filter((a) =>
          a.status >= 400 && a.request.method !== "HEAD" && a.request.method !== "FOO" && a.status !== 431 &&
          a.request.path.startsWith("/api") && !amazonShaped(a.text)
        )
        report("R5", {
          seed,
          generated: generated.length,
          leftOutAsLegitimateTriggers: generated.length - requests.length,
          sent: requests.length,
          seconds,
          byStatus: tally(answers.map((a) => a.status)),
          byMethod: tally(requests.map((r) => r.method)),
          withToken: tally(requests.map((r) => {
            const auth = r.headers.authorization
            return auth === undefined ? "none" : ADMIN_TOKENS.some((t) => auth === `Bearer ${t}`) ? "admin" :
              auth === `Bearer ${tokens.alpha}` ? "tenant" : "forged"
          })),
          largestBodyBytes: Math.max(...requests.map((r) => Buffer.byteLength(r.body ?? ""))),
          serverErrors: serverErrors.length,
          errorsNotAmazonShaped: unshaped.length,
          tablesChanged: Object.keys(after).filter((t) => after[t] !== before[t])
        })
        for (const a of [...serverErrors.slice(0, 6), ...unshaped.slice(0, 6)]) {
          console.log(`[R5] ${a.status} for ${a.request.method} ${a.request.path.slice(0, 200)} ${JSON.stringify(a.request.headers).slice(0, 200)} body=${JSON.stringify(a.request.body?.slice(0, 200))}: ${a.text.slice(0, 300)}`)
        }

        expect(requests.length).toBeGreaterThanOrEqual(5000)
        expect(serverErrors.map((a) => `${a.status} ${a.request.method} ${a.request.path.slice(0, 100)}`)).toEqual([])
        expect(after).toEqual(before)
        expect(unshaped.map((a) => `${a.status} ${a.request.method} ${a.request.path.slice(0, 100)}`)).toEqual([])
        // The server is still up and answering.
        expect((yield* send(base, { method: "GET", path: "/health", headers: {} })).status).toBe(200)
      }).pipe(Effect.provide(apiFor(sim)))
    }))
})
