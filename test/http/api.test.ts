import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { TenantId } from "../../src/Domain/Ids.js"
import { Conflict, Forbidden, NotFound, Unauthorized } from "../../src/Http/Api.js"
import { Backfill } from "../../src/Services/Backfill.js"
import { ApiTokens } from "../../src/Services/Store/ApiTokens.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers } from "../support/Engine.js"
import { ADMIN_TOKENS, apiFor, clientWith, raw } from "./support.js"

const seller = (sellerId: string, orders: number, seed: number) => ({
  sellerId,
  refreshToken: `Atzr|${sellerId}`,
  marketplaceIds: ["ATVPDKIKX0DER"] as [string],
  orders,
  seed
})

/** Everything a request could have changed: pending triggers, sync state, tokens, tenants. */
const snapshot = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.all([
    sql`SELECT * FROM "OrderSyncRequest" ORDER BY 1, 2`,
    sql`SELECT "tenantId", "initialBackfillStatus", "initialBackfillDays", "updatedAt" FROM "MarketplaceSyncState" ORDER BY 1`,
    sql`SELECT "tenantId", "parkedReason", "updatedAt" FROM "OrderSyncTenant" ORDER BY 1`,
    sql`SELECT "id", "revokedAt" FROM "OrderSyncApiToken" ORDER BY 1`
  ]).pipe(Effect.orDie))

const T = (id: string) => id as TenantId

const codeOf = (error: unknown) => (error as { errors: ReadonlyArray<{ code: string }> }).errors[0]?.code

describe("HTTP API", () => {
  it.scopedLive("every route, every error, through the typed client and raw requests", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [seller("alpha", 300, 1), seller("beta", 50, 2)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const admin = yield* clientWith(ADMIN_TOKENS[0])
        const rotated = yield* clientWith(ADMIN_TOKENS[1])
        const anonymous = yield* clientWith(null)
        const wrong = yield* clientWith("not-a-token")
        const tokens = yield* ApiTokens
        const alphaToken = Redacted.value((yield* tokens.create("alpha")).token)
        const alpha = yield* clientWith(alphaToken)

        // Liveness, readiness, docs: no token needed.
        expect((yield* admin.system.health()).status).toBe("ok")
        expect((yield* anonymous.system.ready()).migrations).toBeGreaterThanOrEqual(3)
        const docs = yield* raw("/docs")
        expect(docs.status).toBe(200)
        expect(docs.text).toContain("swagger")
        const openapi = yield* raw("/openapi.json")
        expect(Object.keys((openapi.body as { paths: object }).paths)).toEqual(
          expect.arrayContaining(["/api/v1/orders/sync/backfill/status", "/api/v1/orders/sync/backfill/run", "/api/v1/orders/sync/delta/run"])
        )

        // 401: no token, a wrong one, a revoked one; both rotated admin tokens work.
        expect(yield* Effect.flip(anonymous.backfill.list({ urlParams: {} }))).toBeInstanceOf(Unauthorized)
        expect(yield* Effect.flip(wrong.backfill.status({ urlParams: { tenantId: T("alpha") } }))).toBeInstanceOf(Unauthorized)
        expect((yield* rotated.backfill.list({ urlParams: {} })).total).toBe(2)
        const basic = yield* raw("/api/v1/orders/sync/backfill", { headers: { authorization: `Basic ${ADMIN_TOKENS[0]}` } })
        expect(basic.status).toBe(401)
        expect(basic.body).toEqual({ errors: [expect.objectContaining({ code: "Unauthorized" })] })

        // Status: the seed's fields and the engine's progress; 404 for an unknown tenant.
        const fresh = yield* admin.backfill.status({ urlParams: { tenantId: T("alpha") } })
        expect(fresh).toMatchObject({ tenantId: T("alpha"), initialBackfillStatus: null, ordersCount: 0, initialBackfillDays: null })
        expect(fresh.progress.coverage).toBe(0)
        const unknown = yield* Effect.flip(admin.backfill.status({ urlParams: { tenantId: T("nobody") } }))
        expect(unknown).toBeInstanceOf(NotFound)
        expect(codeOf(unknown)).toBe("NotFound")

        // A tenant token: its own tenant only (403 otherwise, even for a tenant that does not exist).
        expect((yield* alpha.backfill.status({ urlParams: { tenantId: T("alpha") } })).tenantId).toBe("alpha")
        expect(yield* Effect.flip(alpha.backfill.status({ urlParams: { tenantId: T("beta") } }))).toBeInstanceOf(Forbidden)
        expect(yield* Effect.flip(alpha.backfill.status({ urlParams: { tenantId: T("nobody") } }))).toBeInstanceOf(Forbidden)
        expect(yield* Effect.flip(alpha.backfill.run({ payload: { tenantId: T("beta") } }))).toBeInstanceOf(Forbidden)
        expect(yield* Effect.flip(alpha.backfill.pause({ payload: { tenantId: T("beta") } }))).toBeInstanceOf(Forbidden)
        expect(yield* Effect.flip(alpha.backfill.resume({ payload: { tenantId: T("beta") } }))).toBeInstanceOf(Forbidden)
        expect(yield* Effect.flip(alpha.backfill.delta({ payload: { tenantId: T("beta") } }))).toBeInstanceOf(Forbidden)
        const own = yield* alpha.backfill.list({ urlParams: {} })
        expect(own.tenants.map((t) => t.tenantId)).toEqual(["alpha"])
        expect(own.total).toBe(1)

        // Pagination.
        const first = yield* admin.backfill.list({ urlParams: { limit: 1 } })
        expect(first.tenants.map((t) => t.tenantId)).toEqual(["alpha"])
        expect(first.nextOffset).toBe(1)
        const second = yield* admin.backfill.list({ urlParams: { limit: 1, offset: 1 } })
        expect(second.tenants.map((t) => t.tenantId)).toEqual(["beta"])
        expect(second.nextOffset).toBeNull()
        expect((yield* raw("/api/v1/orders/sync/backfill?limit=0", { headers: { authorization: `Bearer ${ADMIN_TOKENS[0]}` } })).status).toBe(400)
        expect((yield* raw("/api/v1/orders/sync/backfill?offset=-1", { headers: { authorization: `Bearer ${ADMIN_TOKENS[0]}` } })).status).toBe(400)

        // Delta before any backfill: 409.
        const notDone = yield* Effect.flip(admin.backfill.delta({ payload: { tenantId: T("alpha") } }))
        expect(notDone).toBeInstanceOf(Conflict)
        expect(codeOf(notDone)).toBe("BackfillNotDone")

        // Malformed requests: 400 (or 401/404), Amazon-shaped, and nothing changes.
        const before = yield* snapshot
        const bearer = { authorization: `Bearer ${ADMIN_TOKENS[0]}`, "content-type": "application/json" }
        const bad: ReadonlyArray<readonly [string, string | undefined, number]> = [
          ["/api/v1/orders/sync/backfill/run", "{not json", 400],
          ["/api/v1/orders/sync/backfill/run", "", 400],
          ["/api/v1/orders/sync/backfill/run", "null", 400],
          ["/api/v1/orders/sync/backfill/run", "[]", 400],
          ["/api/v1/orders/sync/backfill/run", `{"tenantId":"alpha","days":0}`, 400],
          ["/api/v1/orders/sync/backfill/run", `{"tenantId":"alpha","days":731}`, 400],
          ["/api/v1/orders/sync/backfill/run", `{"tenantId":"alpha","days":30.5}`, 400],
          ["/api/v1/orders/sync/backfill/run", `{"tenantId":"alpha","days":"365"}`, 400],
          ["/api/v1/orders/sync/backfill/run", `{"tenantId":"alpha","restart":"yes"}`, 400],
          ["/api/v1/orders/sync/backfill/run", `{"tenantId":"alpha","dayz":30}`, 400],
          ["/api/v1/orders/sync/backfill/run", `{"tenantId":""}`, 400],
          ["/api/v1/orders/sync/backfill/run", `{"tenantId":42}`, 400],
          ["/api/v1/orders/sync/backfill/run", `{"days":30}`, 400],
          ["/api/v1/orders/sync/backfill/run", `{"tenantId":"nobody"}`, 404],
          ["/api/v1/orders/sync/backfill/pause", `{"tenantId":"alpha","extra":true}`, 400],
          ["/api/v1/orders/sync/backfill/resume", `{}`, 400],
          ["/api/v1/orders/sync/delta/run", `{"tenantId":["alpha"]}`, 400],
          ["/api/v1/orders/sync/nothing-here", `{}`, 404]
        ]
        for (const [path, body, status] of bad) {
          const answer = yield* raw(path, { method: "POST", headers: bearer, ...(body !== undefined ? { body } : {}) })
          expect({ path, body, status: answer.status }).toEqual({ path, body, status })
          expect(answer.body).toEqual({ errors: [{ code: expect.any(String), message: expect.any(String), details: expect.any(String) }] })
        }
        const textBody = yield* raw("/api/v1/orders/sync/backfill/run", {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKENS[0]}`, "content-type": "text/plain" },
          body: "tenantId=alpha"
        })
        expect(textBody.status).toBe(400)
        // Found by R5: multipart bodies, NUL characters, very deep JSON and another auth scheme are all clean 4xx.
        const adminJson = { authorization: `Bearer ${ADMIN_TOKENS[0]}`, "content-type": "application/json" }
        for (const [init, status] of [
          [{ headers: { authorization: `Bearer ${ADMIN_TOKENS[0]}`, "content-type": "multipart/form-data; boundary=x" }, body: "" }, 400],
          [{ headers: { authorization: `Bearer ${ADMIN_TOKENS[0]}`, "content-type": "multipart/form-data" }, body: "{}" }, 400],
          [{ headers: adminJson, body: JSON.stringify({ tenantId: "alpha\u0000" }) }, 400],
          [{ headers: adminJson, body: "[".repeat(5000) + "]".repeat(5000) }, 400],
          [{ headers: { ...adminJson, authorization: `Digest ${ADMIN_TOKENS[0]}` }, body: JSON.stringify({ tenantId: "alpha" }) }, 401]
        ] as const) {
          const answer = yield* raw("/api/v1/orders/sync/backfill/pause", { method: "POST", ...init })
          expect({ body: init.body.slice(0, 40), status: answer.status }).toEqual({ body: init.body.slice(0, 40), status })
        }
        const nul = yield* raw("/api/v1/orders/sync/backfill/status?tenantId=alpha%00", { headers: bearer })
        expect(nul.status).toBe(400)
        const noQuery = yield* raw("/api/v1/orders/sync/backfill/status", { headers: bearer })
        expect(noQuery.status).toBe(400)
        const unauthenticatedGarbage = yield* raw("/api/v1/orders/sync/backfill/run", { method: "POST", body: "{oops" })
        expect(unauthenticatedGarbage.status).toBe(401)
        expect(yield* snapshot).toEqual(before)

        // Run: 202 with the status; again without restart: 409; with restart: 202.
        const accepted = yield* admin.backfill.run({ payload: { tenantId: T("alpha"), days: 30 } })
        expect(accepted.tenantId).toBe("alpha")
        const again = yield* Effect.flip(admin.backfill.run({ payload: { tenantId: T("alpha") } }))
        expect(again).toBeInstanceOf(Conflict)
        expect(codeOf(again)).toBe("BackfillAlreadyRunning")
        expect((yield* admin.backfill.run({ payload: { tenantId: T("alpha"), days: 30, restart: true } })).tenantId).toBe("alpha")
        const raw202 = yield* raw("/api/v1/orders/sync/backfill/run", { method: "POST", headers: bearer, body: `{"tenantId":"beta"}` })
        expect(raw202.status).toBe(202)
        const queued = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql<{ tenantId: string; days: number; restart: boolean }>`SELECT "tenantId", "days", "restart" FROM "OrderSyncRequest" ORDER BY 1`)
        expect(queued).toEqual([{ tenantId: T("alpha"), days: 30, restart: true }, { tenantId: T("beta"), days: 365, restart: false }])

        // The engine runs it (the daemon would); then delta is accepted, pause and resume answer with the status.
        const backfill = yield* Backfill
        yield* backfill.runInitialBackfill("alpha", 30)
        yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DELETE FROM "OrderSyncRequest" WHERE "tenantId" = 'alpha'`)
        const done = yield* alpha.backfill.status({ urlParams: { tenantId: T("alpha") } })
        expect(done.initialBackfillStatus).toBe("success")
        expect(done.ordersCount).toBeGreaterThan(0)
        expect((yield* alpha.backfill.delta({ payload: { tenantId: T("alpha") } })).tenantId).toBe("alpha")
        expect((yield* alpha.backfill.pause({ payload: { tenantId: T("alpha") } })).initialBackfillStatus).toBe("success")
        expect((yield* alpha.backfill.resume({ payload: { tenantId: T("alpha") } })).initialBackfillStatus).toBe("success")
        expect(yield* Effect.flip(admin.backfill.pause({ payload: { tenantId: T("nobody") } }))).toBeInstanceOf(NotFound)
        expect(yield* Effect.flip(admin.backfill.resume({ payload: { tenantId: T("nobody") } }))).toBeInstanceOf(NotFound)
        expect(yield* Effect.flip(admin.backfill.delta({ payload: { tenantId: T("nobody") } }))).toBeInstanceOf(NotFound)

        // A revoked tenant token is refused.
        const [info] = yield* tokens.list("alpha")
        expect(yield* tokens.revoke(info!.id)).toBe(true)
        expect(yield* Effect.flip(alpha.backfill.status({ urlParams: { tenantId: T("alpha") } }))).toBeInstanceOf(Unauthorized)

        // Metrics: Prometheus text from the Effect metrics the engine updated.
        const metrics = yield* raw("/metrics")
        expect(metrics.status).toBe(200)
        expect(metrics.contentType).toContain("text/plain")
        expect(metrics.text).toMatch(/ordersync_orders_upserted_total\S* \d+/)
        expect(metrics.text).toContain("ordersync_chunk_upsert_seconds_bucket")
        expect(metrics.text).toContain("ordersync_spapi_requests_total")
      }).pipe(Effect.provide(apiFor(sim)))
    }))
})
