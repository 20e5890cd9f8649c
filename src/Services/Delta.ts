import { Clock, Config, Duration, Effect, Option, Stream } from "effect"
import { BackfillNotDone, PageTokenRejected } from "../Domain/Errors.js"
import { BackfillConfig } from "./History/BackfillConfig.js"
import { SpApiClient } from "./SpApi/SpApiClient.js"
import { Sink } from "./History/Sink.js"
import { Orders } from "./Orders.js"
import { Leases } from "./Store/Leases.js"
import { SyncStateRepo } from "./Store/SyncStateRepo.js"
import { Tenants } from "./Store/Tenants.js"

export interface DeltaResult {
  readonly tenantId: string
  readonly after: string
  readonly before: string
  /** Complete listings: one per span of `ORDERSYNC_DELTA_LISTING_SECONDS`, each started again after a refused token. */
  readonly listings: number
  readonly pages: number
  readonly orders: number
  readonly requests: number
}

/** Restarts of one listing after Amazon refuses its page token, before the delta gives up. */
const TOKEN_RESTARTS = 3

/**
 * The delta sync: what changed since the cursor (minus an overlap for late orders) up to Amazon's now minus the
 * 2-minute rule. Amazon documents no order for a listing's pages, so the cursor moves only when a listing is complete:
 * pages are stored as they come, and a crash mid-listing lists it again from the old cursor (upserts never go
 * backwards). A long gap is listed in spans, each moving the cursor to its end, so a crash repeats one span at most.
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
    /** The widest span of lastUpdatedTime one listing covers (a day): after an outage, a crash repeats one day. */
    const listingSpan = yield* Config.integer("ORDERSYNC_DELTA_LISTING_SECONDS").pipe(
      Config.withDefault(86_400),
      Config.validate({ message: "ORDERSYNC_DELTA_LISTING_SECONDS must be at least 1", validation: (n) => n >= 1 }),
      Config.map(Duration.seconds)
    )
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
            const totals = { listings: 0, pages: 0, orders: 0, requests: 0 }

            // Every page of [from, until] stored as it comes; nothing is assumed about which changes it holds.
            const listing = (from: Date, until: Date) =>
              orders.pages(tenant, {
                family: "lastUpdated",
                after: from,
                before: until,
                marketplaceIds: tenant.marketplaceIds,
                token: Option.none()
              }, (page) =>
                Effect.zipRight(
                  sink.commit(lease, page.take(), { source: "api", backfill: false }, (stored) =>
                    Effect.sync(() => {
                      totals.orders += stored.orders.length
                    })),
                  Effect.sync(() => {
                    totals.pages += 1
                    totals.requests += page.attempts
                  })
                )).pipe(Stream.runDrain, Effect.either)

            let from = after
            let boundRefused = false
            spans: while (from < before) {
              // The bound is fixed when the listing starts, so the listing has an end however long it takes.
              let until = new Date(Math.min(from.getTime() + Duration.toMillis(listingSpan), before.getTime()))
              let restarts = 0
              while (true) {
                const result = yield* listing(from, until)
                if (result._tag === "Right") break
                if (result.left._tag === "ListingBoundRefused" && !boundRefused && until.getTime() === before.getTime()) {
                  // The host's clock runs ahead of Amazon's by more than the margin: an earlier bound, once.
                  boundRefused = true
                  before = yield* client.listableUntil(tenant, 2)
                  yield* Effect.logWarning(`${result.left.message}; retrying with ${before.toISOString()}`)
                  if (before <= from) break spans
                  until = before
                  continue
                }
                if (!(result.left instanceof PageTokenRejected) || restarts >= TOKEN_RESTARTS) return yield* result.left
                // The listing again from its start: the pages taken say nothing about what the rest would have held.
                restarts += 1
              }
              totals.listings += 1
              // Every change up to `until` is stored now, whatever order the pages came in.
              if (until < before && until > cursor) yield* sink.fenced(lease, repo.patchState(tenantId, { cursor: until }))
              from = until
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
              )),
            // Not parked (the seller may grant the role any time), but the status says why the syncs fail.
            Effect.tapErrorTag("RoleMissing", (error) =>
              sink.fenced(lease, repo.patchState(tenantId, { lastError: error.message })).pipe(Effect.ignore))
          ), { wait: options.waitForLease ?? true })
      }).pipe(Effect.annotateLogs("tenantId", tenantId), Effect.withSpan("runOrdersDeltaSync", { attributes: { tenantId } }))

    return { runOrdersDeltaSync } as const
  })
}) {}
