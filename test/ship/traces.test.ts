import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import type * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option } from "effect"
import { TracingConfig, tracesUrl } from "../../src/Services/Tracing.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { freshDatabaseUrl } from "../support/Database.js"
import { simulatorEnv, testSeller } from "../support/Engine.js"
import { eventually, ordersync, ordersyncDone, repoRoot } from "../support/Process.js"
import { parse } from "yaml"
import { freePort } from "./support.js"

interface Span {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes: Record<string, unknown>
}

type AnyValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number }
const valueOf = (v: AnyValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.boolValue ?? v.doubleValue)

/** A small OTLP/HTTP JSON receiver: every span POSTed to /v1/traces. */
const receiver = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly spans: Array<Span> }>((resume) => {
    const spans: Array<Span> = []
    const server = http.createServer((req, res) => {
      let body = ""
      req.on("data", (chunk) => (body += String(chunk)))
      req.on("end", () => {
        if (req.url === "/v1/traces" && req.headers["content-type"]?.includes("json")) {
          const data = JSON.parse(body) as {
            resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Omit<Span, "attributes"> & { attributes: Array<{ key: string; value: AnyValue }> }> }> }>
          }
          for (const resource of data.resourceSpans) {
            for (const scope of resource.scopeSpans) {
              for (const span of scope.spans) {
                spans.push({ ...span, attributes: Object.fromEntries(span.attributes.map((a) => [a.key, valueOf(a.value)])) })
              }
            }
          }
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed(Object.assign(server, { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, spans }))))
  }),
  (server) => Effect.sync(() => (server as unknown as http.Server).close())
)

describe("traces", () => {
  it.scopedLive("a daemon's backfill and API requests reach an OTLP collector as one nested tree per run; /metrics has what the dashboard and alerts name", () =>
    Effect.gen(function*() {
      const collector = yield* receiver
      const sim = yield* simulator({
        timeFactor: 3600,
        sellers: [testSeller("trace-tenant", 800, 13, { faults: { extra429Probability: 0.2 } })]
      })
      const port = yield* Effect.promise(freePort)
      const adminToken = "trace-admin-token-0123456789abcdef"
      const databaseUrl = yield* freshDatabaseUrl("traces")
      const env = simulatorEnv(sim, {
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        HOST: "127.0.0.1",
        ORDERSYNC_API_TOKEN: adminToken,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_BSP_SCHEDULE_DELAY: "200"
      })
      const secrets = ["Atzr|trace-tenant", env.LWA_CLIENT_SECRET!, adminToken, decodeURIComponent(new URL(databaseUrl).password), "test-secret-key"]

      let scrape = ""
      const spans = yield* Effect.promise(async () => {
        const added = await ordersyncDone(
          ["tenants", "add", "--tenant", "trace-tenant", "--refresh-token", "Atzr|trace-tenant", "--region", "na", "--marketplace", "ATVPDKIKX0DER"],
          env
        )
        expect(added.code, added.output).toBe(0)
        const serve = ordersync(["serve"], env)
        try {
          const status = async () => {
            const response = await fetch(`http://127.0.0.1:${port}/api/v1/orders/sync/backfill/status?tenantId=trace-tenant`, {
              headers: { authorization: `Bearer ${adminToken}` }
            }).catch(() => undefined)
            return response?.ok ? ((await response.json()) as { initialBackfillStatus: string | null }) : undefined
          }
          await eventually(async () => (await status())?.initialBackfillStatus === "success" || undefined, {
            what: "the backfill to finish",
            timeoutMs: 60_000,
            intervalMs: 200
          })
          scrape = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
          expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200)
        } finally {
          serve.child.kill("SIGTERM")
        }
        expect(await serve.exited, serve.output()).toBe(0)
        return collector.spans
      })

      const named = (name: string) => spans.filter((s) => s.name === name && s.attributes.tenantId === "trace-tenant")
      const backfills = named("runInitialBackfill")
      expect(backfills).toHaveLength(1)
      const run = backfills[0]!
      expect(run.attributes.days).toBe(365)

      // Windows hang off the run; requests and commits off their window; all in the run's trace.
      const windows = named("backfill.window").filter((w) => w.parentSpanId === run.spanId)
      expect(windows.length).toBeGreaterThanOrEqual(1)
      const windowIds = new Set(windows.map((w) => w.spanId))
      for (const w of windows) expect(w.attributes).toMatchObject({ source: "orders", windowIndex: expect.any(Number) })

      const requests = named("spapi.request").filter((r) => r.attributes.operation === "searchOrders")
      expect(requests.length).toBeGreaterThanOrEqual(4)
      for (const r of requests) {
        expect(windowIds.has(r.parentSpanId!), `request ${r.spanId} under a window`).toBe(true)
        expect(r.traceId).toBe(run.traceId)
        expect(r.attributes).toMatchObject({
          attempt: expect.any(Number),
          quotaWaitMs: expect.any(Number),
          status: expect.any(Number),
          throttled: r.attributes.status === 429
        })
      }
      expect(requests.some((r) => r.attributes.status === 200)).toBe(true)
      expect(requests.some((r) => r.attributes.throttled === true)).toBe(true)

      const commits = named("sink.commit").filter((c) => windowIds.has(c.parentSpanId!))
      expect(commits.length).toBeGreaterThanOrEqual(4)
      for (const c of commits) expect(c.attributes).toMatchObject({ orders: expect.any(Number), durationMs: expect.any(Number) })
      const committed = commits.reduce((sum, c) => sum + (c.attributes.orders as number), 0)
      expect(committed).toBeGreaterThan(0)

      // The API's requests carry the tenant they asked about.
      const api = spans.filter((s) => s.name.startsWith("http.server") && s.attributes.tenantId === "trace-tenant")
      expect(api.length).toBeGreaterThanOrEqual(1)
      expect(api[0]!.attributes["http.request.header.authorization"]).not.toContain(adminToken)
      // Probes and scrapes are not traced.
      expect(spans.filter((s) => ["/health", "/ready", "/metrics"].includes(s.attributes["url.path"] as string))).toEqual([])

      // No secret in any attribute of any span.
      const everything = JSON.stringify(spans)
      for (const secret of secrets) expect(everything).not.toContain(secret)

      // The same run's /metrics holds every metric the Grafana dashboard and the alert rules name.
      const exported = new Set(scrape.split("\n").filter((line) => /^[a-z]/.test(line)).map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0]))
      const expressions = [
        ...(JSON.parse(fs.readFileSync(path.join(repoRoot, "deploy/grafana/ordersync.json"), "utf8")) as { panels: Array<{ targets: Array<{ expr: string }> }> })
          .panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
        ...(parse(fs.readFileSync(path.join(repoRoot, "deploy/prometheus/alerts.yaml"), "utf8")) as { groups: Array<{ rules: Array<{ expr: string }> }> })
          .groups.flatMap((group) => group.rules.map((rule) => rule.expr))
      ]
      expect(expressions.length).toBeGreaterThanOrEqual(15)
      for (const expr of expressions) {
        const named = [...expr.matchAll(/\bordersync_[a-z0-9_]+/g)].map((m) => m[0])
        // `up` is Prometheus' own series for a scrape target.
        expect(named.length > 0 || /\bup\{/.test(expr), expr).toBe(true)
        for (const name of named) expect(exported.has(name), `${name} (in ${expr}) is in /metrics`).toBe(true)
      }
      for (const status of ["failed", "parked", "success", "in_progress"]) expect(scrape).toContain(`ordersync_tenants{status="${status}"}`)
      expect(scrape).toMatch(/ordersync_spapi_requests_total\{[^}]*status="429"/)
    }), { timeout: 120_000 })
})

describe("the traces endpoint", () => {
  const urlFrom = (env: Record<string, string>) =>
    Effect.runSync(Effect.withConfigProvider(Effect.map(TracingConfig, tracesUrl), ConfigProvider.fromMap(new Map(Object.entries(env)))))

  it("is none without OTEL_EXPORTER_OTLP_ENDPOINT (no exporter), the base endpoint plus /v1/traces, or the traces endpoint as it stands", () => {
    expect(Option.isNone(urlFrom({}))).toBe(true)
    expect(urlFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })).toEqual(Option.some("http://collector:4318/v1/traces"))
    expect(urlFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b/traces" }))
      .toEqual(Option.some("http://b/traces"))
  })
})
