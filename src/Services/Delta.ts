import { Clock, Duration, Effect, Option, Stream } from "effect"
import { BackfillNotDone, PageTokenRejected } from "../Domain/Errors.js"
import { BackfillConfig } from "./History/BackfillConfig.js"
import { SpApiClient } from "./SpApi/SpApiClient.js"
import { maxDate, Sink } from "./History/Sink.js"
import { Orders } from "./Orders.js"
import { Leases } from "./Store/Leases.js"
import { SyncStateRepo } from "./Store/SyncStateRepo.js"
import { Tenants } from "./Store/Tenants.js"

export interface DeltaResult {
  readonly tenantId: string
  readonly after: string
  readonly before: string
  readonly pages: number
  readonly orders: number
  readonly requests: number
}

/**
 * The delta sync: what changed since the cursor (minus an overlap for late orders) up to Amazon's now minus the
 * 2-minute rule, each page committed with the cursor it reached.
 */
export class Delta extends Effect.Service<Delta>()("ordersync/Delta", {
  effect: Effect.gen(function*() {
    const tenants = yield* Tenants
    const leases = yield* Leases
    const orders = yield* Orders
    const repo = yield* SyncStateRepo
    const sink = yield* Sink
    const client = yield* SpApiClient
    const config = yield* BackfillConfig
    const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

    const runOrdersDeltaSync = (tenantId: string, options: { readonly waitForLease?: boolean } = {}) =>
      Effect.gen(function*() {
        const tenant = yield* tenants.get(tenantId)
        return yield* leases.withLease(tenantId, (lease) =>
          Effect.gen(function*() {
            const state = yield* repo.state(tenantId)
            const cursor = Option.getOrNull(Option.flatMap(state, (s) => Option.fromNullable(s.cursor)))
            if (cursor === null) return yield* new BackfillNotDone({ tenantId })
            const after = new Date(cursor.getTime() - Duration.toMillis(config.deltaOverlap))
            let before = yield* client.listableUntil(tenant)
            const totals = { pages: 0, orders: 0, requests: 0 }
            if (before > after) {
              let restarts = 0
              let boundRefused = false
              let from = after
              while (true) {
                const result = yield* orders.pages(tenant, {
                  family: "lastUpdated",
                  after: from,
                  before,
                  marketplaceIds: tenant.marketplaceIds,
                  token: Option.none()
                }, (page) =>
                  Effect.gen(function*() {
                    const newest = yield* sink.commit(lease, page.take(), { source: "api", backfill: false }, (stored) =>
                      Effect.gen(function*() {
                        const newest = maxDate(stored.orders, "lastUpdateDate")
                        // Pages come oldest change first, so everything before `newest` is stored.
                        if (newest !== null && newest > cursor) yield* repo.patchState(tenantId, { cursor: newest })
                        totals.orders += stored.orders.length
                        return newest
                      }))
                    if (newest !== null && newest > from) from = newest
                    totals.pages += 1
                    totals.requests += page.attempts
                  })).pipe(Stream.runDrain, Effect.either)
                if (result._tag === "Right") break
                if (result.left._tag === "ListingBoundRefused" && !boundRefused) {
                  // The host's clock runs ahead of Amazon's by more than the margin: an earlier bound, once.
                  boundRefused = true
                  before = yield* client.listableUntil(tenant, 2)
                  yield* Effect.logWarning(`${result.left.message}; retrying with ${before.toISOString()}`)
                  if (before <= from) break
                  continue
                }
                if (!(result.left instanceof PageTokenRejected) || restarts >= 3) return yield* result.left
                restarts += 1
                from = new Date(Math.max(after.getTime(), from.getTime() - Duration.toMillis(config.deltaOverlap)))
              }
            }
            yield* sink.fenced(lease, repo.patchState(tenantId, {
              cursor: before > cursor ? before : cursor,
              lastSyncAt: yield* now,
              lastError: null
            }))
            return { tenantId, after: after.toISOString(), before: before.toISOString(), ...totals } satisfies DeltaResult
          }).pipe(
            Effect.tapErrorTag("CredentialsRevoked", (error) =>
              Effect.zipRight(
                tenants.park(tenantId, error.message),
                sink.fenced(lease, repo.patchState(tenantId, { lastError: error.message })).pipe(Effect.ignore)
              ))
          ), { wait: options.waitForLease ?? true })
      }).pipe(Effect.annotateLogs("tenantId", tenantId), Effect.withSpan("runOrdersDeltaSync", { attributes: { tenantId } }))

    return { runOrdersDeltaSync } as const
  })
}) {}
