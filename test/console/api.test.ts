import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { ApiTokens } from "../../src/Services/Store/ApiTokens.js"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import { scoped as simulator, sellerNamed } from "../../src/Simulator/index.js"
import { addSellers } from "../support/Engine.js"
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

  it.scopedLive("a tenant's newest orders come back with their items, as stored and as Amazon has them; one order by id", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [sellerNamed("alpha", 200, 11), sellerNamed("beta", 40, 12)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        yield* backfill.runInitialBackfill("alpha", 365)
        yield* backfill.runInitialBackfill("beta", 365)
        const sql = yield* SqlClient.SqlClient
        const truth = new Map(sim.groundTruth("alpha", {}).map((order) => [order.orderId, order]))

        // The 20 newest by order date, newest first, each with the items "OrderItem" holds for it.
        const newest = yield* sql<{ id: string; orderDate: Date; status: string; total: string | null }>`
          SELECT "externalOrderId" AS id, "orderDate", "orderStatus" AS status, "totalAmount"::text AS total FROM "Order"
          WHERE "tenantId" = 'alpha' ORDER BY "orderDate" DESC, "externalOrderId" DESC LIMIT 20`.pipe(Effect.orDie)
        expect(newest.length).toBe(20)
        const list = yield* get("/orders?tenantId=alpha")
        expect(list.orders.map((o: { externalOrderId: string }) => o.externalOrderId)).toEqual(newest.map((o) => o.id))
        expect(list.orders.map((o: Record<string, unknown>) => [o.orderDate, o.orderStatus, o.totalAmount])).toEqual(
          newest.map((o) => [o.orderDate.toISOString(), o.status, o.total])
        )
        const stored = yield* sql<{ o: string; iid: string; sku: string; q: number; price: string | null }>`
          SELECT "externalOrderId" AS o, "orderItemId" AS iid, "sku", "quantity" AS q, "itemPrice"::text AS price FROM "OrderItem"
          WHERE "tenantId" = 'alpha' AND "externalOrderId" = ANY(${newest.map((o) => o.id)}::text[])`.pipe(Effect.orDie)
        const listed = list.orders.flatMap((o: { externalOrderId: string; items: ReadonlyArray<Record<string, any>> }) =>
          o.items.map((i) => ({ o: o.externalOrderId, iid: i.orderItemId, sku: i.sku, q: i.quantity, price: i.itemPrice })))
        const byKey = (a: { o: string; iid: string }, b: { o: string; iid: string }) => `${a.o} ${a.iid}`.localeCompare(`${b.o} ${b.iid}`)
        expect([...listed].sort(byKey)).toEqual([...stored].sort(byKey))
        expect(listed.length).toBeGreaterThanOrEqual(20)
        // And they are Amazon's: SKU, ASIN and quantity of the simulator's ground truth (OrderItems lists them by id).
        const skus = (items: ReadonlyArray<{ sku: string | null; asin: string | null; quantity: number }>) =>
          items.map((i) => `${i.sku} ${i.asin} ${i.quantity}`).sort()
        for (const order of list.orders as ReadonlyArray<{ externalOrderId: string; items: ReadonlyArray<Record<string, any>> }>) {
          const items = truth.get(order.externalOrderId)!.items
          expect({ order: order.externalOrderId, items: skus(order.items as any) }).toEqual({ order: order.externalOrderId, items: skus(items) })
        }
        expect((yield* get("/orders?tenantId=alpha&limit=3")).orders.map((o: { externalOrderId: string }) => o.externalOrderId))
          .toEqual(newest.slice(0, 3).map((o) => o.id))

        // One order by id: an order of two items, every column.
        const [twoItems] = yield* sql<{ id: string }>`
          SELECT "externalOrderId" AS id FROM "OrderItem" WHERE "tenantId" = 'alpha'
          GROUP BY 1 HAVING count(*) = 2 ORDER BY 1 LIMIT 1`.pipe(Effect.orDie)
        expect(twoItems).toBeDefined()
        const one = yield* get(`/orders?tenantId=alpha&orderId=${twoItems!.id}`)
        expect(one.orders.length).toBe(1)
        const expected = truth.get(twoItems!.id)!
        expect(one.orders[0]).toMatchObject({ externalOrderId: twoItems!.id, currency: expected.currency })
        const byId = (a: { orderItemId: string }, b: { orderItemId: string }) => a.orderItemId.localeCompare(b.orderItemId)
        expect([...one.orders[0].items].sort(byId)).toEqual([...expected.items].sort(byId).map((i) => ({
          orderItemId: i.orderItemId,
          sku: i.sku,
          asin: i.asin,
          title: i.title,
          quantity: i.quantity,
          quantityShipped: i.quantityShipped,
          itemStatus: i.itemStatus,
          itemPrice: i.itemPrice,
          itemTax: i.itemTax,
          shippingPrice: i.shippingPrice,
          shippingTax: i.shippingTax,
          giftWrapPrice: i.giftWrapPrice,
          giftWrapTax: i.giftWrapTax,
          promotionDiscount: i.promotionDiscount,
          currency: i.currency
        })))

        // A tenant token: its own orders; another tenant's are 403, as the console's other tenant routes.
        const tokens = yield* ApiTokens
        const alpha = Redacted.value((yield* tokens.create("alpha")).token)
        expect((yield* get("/orders?tenantId=alpha&limit=1", alpha)).orders.length).toBe(1)
        const answer = (path: string, token: string | null = ADMIN_TOKENS[0]) =>
          raw(`/api/v1/orders/sync/console${path}`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } })
        for (const path of ["/orders?tenantId=beta", `/orders?tenantId=beta&orderId=${twoItems!.id}`, "/orders?tenantId=nobody"]) {
          const refused = yield* answer(path, alpha)
          expect({ path, status: refused.status, code: (refused.body as any).errors[0].code }).toEqual({ path, status: 403, code: "Forbidden" })
        }
        const betaOrders = (yield* get("/orders?tenantId=beta")).orders as ReadonlyArray<{ externalOrderId: string }>
        expect(betaOrders.length).toBeGreaterThan(0)
        expect((yield* answer("/orders?tenantId=alpha")).status).toBe(200)
        expect((yield* answer("/orders?tenantId=alpha", null)).status).toBe(401)

        // Not stored: 404 saying which; malformed: 400 saying what is wrong.
        const unknownTenant = yield* answer("/orders?tenantId=nobody")
        expect(unknownTenant.status).toBe(404)
        const unknownOrder = yield* answer("/orders?tenantId=alpha&orderId=999-0000000-0000000")
        expect(unknownOrder.status).toBe(404)
        expect((unknownOrder.body as any).errors[0].message).toBe(`order "999-0000000-0000000" is not stored for tenant "alpha"`)
        // Another tenant's order is not alpha's.
        expect((yield* answer(`/orders?tenantId=alpha&orderId=${betaOrders[0]!.externalOrderId}`)).status).toBe(404)
        for (const [query, says] of [
          ["tenantId=alpha&orderId=%3Cscript%3E", "orderId must be an order id"],
          ["tenantId=alpha&orderId=", "orderId must be an order id"],
          [`tenantId=alpha&orderId=${"1".repeat(101)}`, "orderId must be an order id"],
          ["tenantId=alpha&orderId=123-1234567-1234567%00", "orderId must be an order id"],
          ["tenantId=alpha&limit=0", "limit must be between 1 and 100"],
          ["tenantId=alpha&limit=101", "limit must be between 1 and 100"],
          ["tenantId=alpha&limit=ten", "limit"],
          ["tenantId=alpha&limit=2.5", "limit must be an integer"],
          ["tenantId=", "tenantId must be a non-empty string"],
          ["limit=5", "tenantId"]
        ] as const) {
          const bad = yield* answer(`/orders?${query}`)
          expect({ query, status: bad.status, code: (bad.body as any)?.errors?.[0]?.code }).toEqual({ query, status: 400, code: "InvalidInput" })
          expect({ query, details: (bad.body as any).errors[0].details }).toEqual({ query, details: expect.stringContaining(says) })
        }

        // Declared in the OpenAPI document with its schema.
        const openapi = (yield* raw("/openapi.json")).body as { paths: Record<string, any> }
        expect(openapi.paths["/api/v1/orders/sync/console/orders"]?.get).toBeDefined()
      }).pipe(Effect.provide(apiFor(sim)))
    }), 120_000)
})
