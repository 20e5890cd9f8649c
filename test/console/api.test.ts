import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { ApiTokens } from "../../src/Services/Store/ApiTokens.js"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { ADMIN_TOKENS, apiFor, raw } from "../http/support.js"

const TENANTS = 1200
const id = (i: number) => `shop-${String(i).padStart(4, "0")}`

/** Every tenant of a fleet this size: a third done, a few failing, one paused, the rest not started. */
const statusOf = (i: number) => (i % 3 === 0 ? "success" : i % 100 === 1 ? "failed" : i === 2 ? "paused" : null)

const get = (path: string, token: string = ADMIN_TOKENS[0]) =>
  Effect.map(raw(`/api/v1/orders/sync/console${path}`, { headers: { authorization: `Bearer ${token}` } }), (answer) => {
    expect({ path, status: answer.status }).toEqual({ path, status: 200 })
    return answer.body as Record<string, any>
  })

describe("the console's API", () => {
  it.scopedLive("a fleet of 1200 tenants: counts, search, status filter, sort and pages in SQL; a tenant token sees its own", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [] })
      yield* Effect.gen(function*() {
        const tenants = yield* Tenants
        const sql = yield* SqlClient.SqlClient
        yield* Effect.forEach(Array.from({ length: TENANTS }, (_, i) => i), (i) =>
          tenants.add({
            tenantId: id(i),
            region: "na",
            marketplaceIds: ["ATVPDKIKX0DER"],
            sellingPartnerId: null,
            refreshToken: Redacted.make(`Atzr|${id(i)}`)
          }), { concurrency: 8, discard: true })
        const states = Array.from({ length: TENANTS }, (_, i) => i).filter((i) => statusOf(i) !== null)
        yield* sql`INSERT INTO "MarketplaceSyncState" ("tenantId", "initialBackfillStatus", "lastError", "lastSyncAt")
          SELECT * FROM UNNEST(${states.map(id)}::text[], ${states.map(statusOf)}::text[],
            ${states.map((i) => (statusOf(i) === "failed" ? `boom ${i}` : null))}::text[],
            ${states.map((i) => new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString())}::timestamp[])`.pipe(Effect.orDie)
        yield* sql`UPDATE "OrderSyncTenant" SET "parkedReason" = 'invalid_grant' WHERE "tenantId" = ${id(101)}`.pipe(Effect.orDie)

        const who = yield* get("/who")
        expect(who).toEqual({ role: "admin", tenantId: null })

        const fleet = yield* get("/fleet")
        expect(fleet.tenants).toBe(TENANTS)
        const all = Array.from({ length: TENANTS }, (_, i) => i)
        const having = (status: string) => all.filter((i) => statusOf(i) === status)
        expect(fleet.byStatus).toEqual({
          in_progress: 0,
          success: having("success").length,
          failed: having("failed").length,
          paused: 1,
          parked: 1,
          not_started: TENANTS - states.length
        })

        // Pages: the whole fleet, 500 at a time, each tenant once, in order.
        const seen: Array<string> = []
        let offset: number | null = 0
        while (offset !== null) {
          const page: Record<string, any> = yield* get(`/tenants?limit=500&offset=${offset}`)
          expect(page.total).toBe(TENANTS)
          seen.push(...page.tenants.map((t: { tenantId: string }) => t.tenantId))
          offset = page.nextOffset
        }
        expect(seen).toEqual(Array.from({ length: TENANTS }, (_, i) => id(i)))

        const search = yield* get("/tenants?search=SHOP-011")
        expect(search.tenants.map((t: { tenantId: string }) => t.tenantId)).toEqual(Array.from({ length: 10 }, (_, i) => id(110 + i)))

        const failed = yield* get("/tenants?status=failed&sort=lastSync&descending=true")
        expect(failed.total).toBe(having("failed").length)
        expect(failed.tenants[0].tenantId).toBe(id(Math.max(...having("failed"))))
        expect(failed.tenants.every((t: { initialBackfillStatus: string }) => t.initialBackfillStatus === "failed")).toBe(true)

        const errorsFirst = yield* get(`/tenants?sort=error&limit=${having("failed").length}`)
        expect(errorsFirst.tenants.every((t: { lastError: string | null }) => t.lastError !== null)).toBe(true)

        const parked = yield* get("/tenants?status=parked")
        expect(parked.tenants.map((t: { tenantId: string }) => t.tenantId)).toEqual([id(101)])

        const detail = yield* get(`/tenant?tenantId=${id(101)}`)
        expect(detail).toMatchObject({ parkedReason: "invalid_grant", windows: [], quarantined: [], quarantinedTotal: 0 })
        expect(detail.status.lastError).toBe("boom 101")

        // A tenant token: one tenant everywhere, and 403 for another's detail.
        const token = Redacted.value((yield* (yield* ApiTokens).create(id(7))).token)
        expect(yield* get("/who", token)).toEqual({ role: "tenant", tenantId: id(7) })
        expect((yield* get("/fleet", token)).tenants).toBe(1)
        const own = yield* get("/tenants", token)
        expect(own.tenants.map((t: { tenantId: string }) => t.tenantId)).toEqual([id(7)])
        const other = yield* raw(`/api/v1/orders/sync/console/tenant?tenantId=${id(8)}`, { headers: { authorization: `Bearer ${token}` } })
        expect(other.status).toBe(403)

        // Bad parameters are 400, a missing token 401.
        expect((yield* raw("/api/v1/orders/sync/console/tenants?status=lost", { headers: { authorization: `Bearer ${ADMIN_TOKENS[0]}` } })).status).toBe(400)
        expect((yield* raw("/api/v1/orders/sync/console/tenants?sort=random", { headers: { authorization: `Bearer ${ADMIN_TOKENS[0]}` } })).status).toBe(400)
        expect((yield* raw("/api/v1/orders/sync/console/fleet")).status).toBe(401)
      }).pipe(Effect.provide(apiFor(sim)))
    }), 120_000)
})
