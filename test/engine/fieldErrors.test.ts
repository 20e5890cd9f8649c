import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { Backfill } from "../../src/Services/Backfill.js"
import { Reports } from "../../src/Services/Reports.js"
import { SpApiClient } from "../../src/Services/SpApi/SpApiClient.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, requestsOf, storedOrders, testSeller } from "../support/Engine.js"

const FACTOR = 3600

const rangeOf = (tenantId: string) => Effect.map(Effect.flatMap(SyncStateRepo, (repo) => repo.run(tenantId)), Option.getOrThrow)

const answered = (sim: { stats: (sellerId: string) => { requests: Record<string, Record<string, number>> } }, sellerId: string, status: number) =>
  Object.values(sim.stats(sellerId).requests).reduce((sum, byStatus) => sum + (byStatus[String(status)] ?? 0), 0)

/**
 * A proxy in front of the simulator that answers a request itself when `override` says so (real HTTP both ways): for
 * a body Amazon is quoted sending where the simulator has no setting to send it.
 */
const proxy = (target: string, override: (url: URL, req: IncomingMessage) => { readonly status: number; readonly body: unknown } | undefined) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ readonly url: string; readonly close: () => Promise<void> }>((resolve) => {
        const server = createServer((req, res) => {
          const url = new URL(req.url ?? "/", target)
          const chunks: Array<Buffer> = []
          req.on("data", (chunk: Buffer) => chunks.push(chunk))
          req.on("end", async () => {
            const own = override(url, req)
            if (own !== undefined) {
              res.writeHead(own.status, { "content-type": "application/json", date: new Date().toUTCString() })
              return res.end(JSON.stringify(own.body))
            }
            const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== "host" && name !== "content-length")) as Record<string, string>
            const answer = await fetch(new URL(url.pathname + url.search, target), {
              method: req.method ?? "GET",
              headers,
              ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
            })
            const text = await answer.text()
            const kept = ["content-type", "date", "x-amzn-ratelimit-limit", "x-amzn-requestid"].flatMap((name) => {
              const value = answer.headers.get(name)
              return value === null ? [] : [[name, value] as const]
            })
            res.writeHead(answer.status, Object.fromEntries(kept))
            res.end(text)
          })
        })
        server.listen(0, "127.0.0.1", () => {
          const { port } = server.address() as AddressInfo
          resolve({
            url: `http://127.0.0.1:${port}`,
            close: () => new Promise((done) => server.close(() => done()))
          })
        })
        server.on("connection", (socket) => socket.unref())
      })
    ),
    (server) => Effect.promise(() => server.close())
  )

describe("the field's error answers (issue 30)", () => {
  it.scopedLive("a *Before refused with Amazon's generic 400 is recognised by the request: moved earlier once, the backfill exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("first", 400, 51), testSeller("second", 600, 52)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        expect((yield* backfill.runInitialBackfill("first", 365)).initialBackfillStatus).toBe("success")
        // What this process knows of Amazon's clock is now 30 s wrong: the next range ends too late for Amazon.
        sim.setClockOffset(-30)
        const status = yield* backfill.runInitialBackfill("second", 365)
        expect([status.initialBackfillStatus, status.lastError]).toEqual(["success", null])
        expect(answered(sim, "second", 400)).toBeGreaterThanOrEqual(1)
        expect(answered(sim, "second", 400)).toBeLessThanOrEqual(2)
        const run = yield* rangeOf("second")
        expectExactly(yield* storedOrders("second"), sim.groundTruth("second", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }))
      }).pipe(Effect.provide(engineFor(sim)))
    }))

  it.scopedLive("the client reads a generic 400 as a refused bound only when the bound was near Amazon's now", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("bounds", 50, 53)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const client = yield* SpApiClient
        const tenant = yield* (yield* Tenants).get("bounds")
        const listing = (before: Date, marketplaceIds: string) => ({
          operation: "searchOrders",
          path: "/orders/2026-01-01/orders",
          paginated: false,
          listingBound: before,
          params: [["createdAfter", new Date(before.getTime() - 86_400_000).toISOString()], ["createdBefore", before.toISOString()], ["marketplaceIds", marketplaceIds]] as const
        })
        const recent = yield* Effect.flip(client.call(tenant, listing(new Date(Date.now() + 60_000), "ATVPDKIKX0DER"), Either.right))
        expect(recent._tag).toBe("ListingBoundRefused")
        expect(recent.message).toMatch(/400 InvalidInput: The input you have submitted is not valid/)
        // An old bound and a 400 for another reason (a marketplace Amazon does not know): not the two-minute rule.
        const other = yield* Effect.flip(client.call(tenant, listing(new Date(Date.now() - 3_600_000), "XYZ"), Either.right))
        expect([other._tag, other._tag === "AmazonRejected" && other.code]).toEqual(["AmazonRejected", "InvalidInput"])
      }).pipe(Effect.provide(engineFor(sim)))
    }))

  it.scopedLive("v0 page tokens refused with `message: null`: each window restarts from its last order, still exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("null-message", 3000, 54, { faults: { pageTokenLifetimeSeconds: 1 } })] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("null-message", 365)
        expect([status.initialBackfillStatus, status.lastError]).toEqual(["success", null])
        const run = yield* rangeOf("null-message")
        expectExactly(yield* storedOrders("null-message"), sim.groundTruth("null-message", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }))
        expect(sim.stats("null-message").rejected.expiredPageTokens).toBeGreaterThan(0)
      }).pipe(Effect.provide(engineFor(sim, { ORDERS_API: "v0" })))
    }))

  it.scopedLive("a 400 that persists once the token is dropped fails the run at once, its code in lastError", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("stuck", 20_000, 55)] })
      // After the first page, Amazon answers every listing with the field's null message, token or not.
      const seen = { pages: 0, refusedWithToken: 0, refusedWithout: 0 }
      const front = yield* proxy(sim.url, (url) => {
        if (url.pathname !== "/orders/v0/orders") return undefined
        if (seen.pages === 0) {
          seen.pages += 1
          return undefined
        }
        if (url.searchParams.has("NextToken")) seen.refusedWithToken += 1
        else seen.refusedWithout += 1
        return { status: 400, body: { errors: [{ message: null, code: "InvalidInput" }] } }
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const result = yield* Effect.either(backfill.runInitialBackfill("stuck", 365))
        expect(result._tag).toBe("Left")
        const status = yield* backfill.getBackfillStatus("stuck")
        expect(status.initialBackfillStatus).toBe("failed")
        expect(status.lastError).toMatch(/getOrders was rejected by Amazon \(400 InvalidInput\)/)
        // The token's refusal restarted the window once; the same 400 without the token ended the run.
        expect(seen).toEqual({ pages: 1, refusedWithToken: 1, refusedWithout: 1 })
      }).pipe(Effect.provide(engineFor(sim, { ORDERS_API: "v0", SPAPI_ENDPOINT: front.url })))
    }))

  it.scopedLive("an Orders API denied for a missing role fails the run naming the role; the tenant is not parked", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("no-orders-role", 300, 56, { roles: ["reports"] })] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const result = yield* Effect.either(backfill.runInitialBackfill("no-orders-role", 365))
        expect(result._tag === "Left" && result.left._tag).toBe("RoleMissing")
        const status = yield* backfill.getBackfillStatus("no-orders-role")
        expect(status.initialBackfillStatus).toBe("failed")
        expect(status.lastError).toMatch(/Amazon denied searchOrders .*lacks the role "Inventory and Order Tracking"/)
        expect((yield* (yield* Tenants).get("no-orders-role")).parkedReason).toBeNull()
        // Denied once, then again with a freshly granted access token: that is what tells a role from revoked credentials.
        expect(requestsOf(sim, "no-orders-role", "searchOrders")).toBe(2)
        expect(sim.stats("no-orders-role").requests["token"]?.["200"]).toBe(2)
        // A delta sync denied the same way says so in lastError too (as if the role went after the history was done).
        yield* (yield* SyncStateRepo).patchState("no-orders-role", { status: "success", cursor: new Date(Date.now() - 86_400_000), lastError: null })
        expect((yield* Effect.flip(backfill.runOrdersDeltaSync("no-orders-role")))._tag).toBe("RoleMissing")
        expect((yield* backfill.getBackfillStatus("no-orders-role")).lastError).toMatch(/Amazon denied searchOrders/)
      }).pipe(Effect.provide(engineFor(sim)))
    }))

  it.scopedLive("createReport denied for a missing role is RoleMissing; an access token revoked mid-life is still CredentialsRevoked (which parks)", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("no-reports-role", 100, 57, { roles: ["orders"] }), testSeller("revoked-later", 100, 58)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const tenants = yield* Tenants
        const window = { startAt: new Date(Date.now() - 10 * 86_400_000), endAt: new Date(Date.now() - 86_400_000), marketplaceIds: ["ATVPDKIKX0DER"] }
        const denied = yield* Effect.flip((yield* Reports).createReport(yield* tenants.get("no-reports-role"), window))
        expect(denied._tag).toBe("RoleMissing")
        expect(denied._tag === "RoleMissing" && denied.operation).toBe("createReport")
        // A token granted, then the seller's authorisation revoked: Amazon calls the token revoked, LWA refuses the grant.
        const client = yield* SpApiClient
        const tenant = yield* tenants.get("revoked-later")
        const listing = {
          operation: "searchOrders",
          path: "/orders/2026-01-01/orders",
          paginated: false,
          params: [["createdAfter", new Date(Date.now() - 86_400_000).toISOString()]] as const
        }
        yield* client.call(tenant, listing, Either.right)
        sim.revokeRefreshToken("Atzr|revoked-later")
        const revoked = yield* Effect.flip(client.call(tenant, listing, Either.right))
        expect(revoked._tag).toBe("CredentialsRevoked")
        expect(revoked.message).toMatch(/invalid_grant/)
      }).pipe(Effect.provide(engineFor(sim)))
    }))
})
