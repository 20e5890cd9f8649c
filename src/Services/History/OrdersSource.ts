import { Clock, Duration, Effect, Option, Ref, Stream } from "effect"
import * as Permits from "../Permits.js"
import { Orders, type Page, type PageQuery } from "../Orders.js"
import { type SellerAuth, SpApiClient } from "../SpApi/SpApiClient.js"
import type { Lease } from "../Store/Leases.js"
import { SyncStateRepo, type Window } from "../Store/SyncStateRepo.js"
import { BackfillConfig } from "./BackfillConfig.js"
import { maxDate, Sink, splitDecoded } from "./Sink.js"

/** A backfill that would wait longer than this for its quota parks between pages instead (see Orders.pages). */
const PARK_AFTER = Duration.seconds(1)

/** Pages a backfill stores in one turn while no other tenant waits for one (with tenants waiting: one). */
const PAGES_PER_TURN = 20

/**
 * The Orders API as a history source: a window's pages (searchOrders or getOrders), paced and retried by the SP-API
 * client, each page committed through the sink with the window's checkpoint (its page token and last order).
 */
export class OrdersSource extends Effect.Service<OrdersSource>()("ordersync/OrdersSource", {
  effect: Effect.gen(function*() {
    const orders = yield* Orders
    const repo = yield* SyncStateRepo
    const sink = yield* Sink
    const client = yield* SpApiClient
    const config = yield* BackfillConfig
    const turns = yield* Permits.make(config.fetchingTenants)

    const commitPage = (lease: Lease, window: Ref.Ref<Window>, page: Page, activeMillis: number) =>
      Effect.gen(function*() {
        const current = yield* Ref.get(window)
        const nextToken = Option.getOrNull(page.nextToken)
        const taken = page.take()
        const { orders, positions, quarantined } = splitDecoded(taken.decoded)
        const lastCreated = maxDate(orders, "orderDate")
        const filled = current.orders + orders.length
        const splits = nextToken !== null && lastCreated !== null && filled >= config.windowOrders
        if (quarantined.length === 0 && !splits) {
          // The common page: one statement (see PageCommits).
          yield* sink.commitBackfillPage(lease, {
            orders,
            rawFrom: taken.document === undefined ? undefined : { ...taken.document, positions },
            windowIndex: current.windowIndex,
            checkpoint: { pageToken: nextToken, resumeAfter: lastCreated, done: nextToken === null },
            progress: { orders: orders.length, requests: page.attempts, throttled: page.throttled, quarantined: 0, activeMillis }
          })
          return yield* Ref.set(window, {
            ...current,
            pageToken: nextToken,
            resumeAfter: lastCreated ?? current.resumeAfter,
            pages: current.pages + 1,
            orders: filled
          })
        }
        yield* sink.commit(lease, taken, { source: "api", backfill: true }, (stored) =>
          Effect.gen(function*() {
            yield* repo.advance(lease.tenantId, current.windowIndex, {
              pageToken: nextToken,
              resumeAfter: lastCreated,
              done: nextToken === null
            }, {
              orders: stored.orders.length,
              requests: page.attempts,
              throttled: page.throttled,
              quarantined: stored.quarantined,
              activeMillis
            })
            if (splits) {
              const next = yield* repo.split(lease.tenantId, { ...current, pageToken: nextToken }, lastCreated!)
              yield* Ref.set(window, {
                ...current,
                windowIndex: next,
                startAt: lastCreated,
                resumeAfter: lastCreated,
                pageToken: nextToken,
                pages: 0,
                orders: 0
              })
            } else {
              yield* Ref.set(window, {
                ...current,
                pageToken: nextToken,
                resumeAfter: lastCreated ?? current.resumeAfter,
                pages: current.pages + 1,
                orders: filled
              })
            }
          }))
      })

    /**
     * A window's pages, committed one by one, until it is done (or `maxPages` were stored: the planner's sample).
     * Answers where the window stands. A refused page token restarts the window from its last order.
     *
     * Pages are fetched in turns: a tenant holds one of `ORDERSYNC_FETCHING_TENANTS` while its stream runs, for up
     * to PAGES_PER_TURN pages or until it must wait for its quota (the stream parks). Each page is committed with its
     * checkpoint, so the next turn opens a new stream where the last one stopped. A thousand tenants then hold a
     * thousand small waits, not a thousand streams with a request's stack each, and they take turns in order.
     */
    const runWindow = (
      lease: Lease,
      seller: SellerAuth,
      marketplaceIds: ReadonlyArray<string>,
      start: Window,
      options: { readonly maxPages?: number } = {}
    ) =>
      Effect.gen(function*() {
        const window = yield* Ref.make(start)
        const lastCommit = yield* Ref.make(yield* Clock.currentTimeMillis)
        let restarts = 0
        let boundRefused = false
        let budget = options.maxPages ?? Infinity
        while (budget > 0) {
          const current = yield* Ref.get(window)
          const query: PageQuery = {
            family: "created",
            after: current.queryStart,
            before: current.endAt,
            marketplaceIds,
            token: Option.fromNullable(current.pageToken)
          }
          const stored = yield* Ref.make(0)
          const result = yield* turns.withPermit(
            // With others waiting for a turn, one page, then the back of the queue: every tenant's first page comes
            // before anyone's second, and a seller's second burst page loses nothing by waiting (its quota refills
            // meanwhile), where a tenant's first page delays every page after it (B3).
            Effect.flatMap(turns.stats, ({ waiting }) =>
              orders.pages(seller, query, (page) =>
                Effect.gen(function*() {
                  const at = yield* Clock.currentTimeMillis
                  yield* commitPage(lease, window, page, at - (yield* Ref.getAndSet(lastCommit, at)))
                  yield* Ref.set(lastCommit, yield* Clock.currentTimeMillis)
                  yield* Ref.update(stored, (n) => n + 1)
                }), { parkAfter: PARK_AFTER }).pipe(
                  Stream.take(Math.min(waiting > 0 ? 1 : PAGES_PER_TURN, budget)),
                  Stream.runDrain,
                  Effect.either
                ))
          )
          budget -= yield* Ref.get(stored)
          // The turn ended after its pages, or the window is done (no page token left).
          if (result._tag === "Right") {
            if ((yield* Ref.get(window)).pageToken === null) break
            continue
          }
          if (result.left._tag === "QuotaWait") {
            // Every page so far is committed with its checkpoint: wait here, with the stream gone, then go on.
            const { attempts, millis, throttled } = result.left
            if (attempts > 0) yield* sink.fenced(lease, repo.countRequests(lease.tenantId, { requests: attempts, throttled }))
            yield* Effect.sleep(Duration.millis(millis))
            continue
          }
          const refused = yield* Ref.get(window)
          if (result.left._tag === "ListingBoundRefused" && !boundRefused) {
            // The host's clock runs ahead of Amazon's by more than the margin: end the window earlier, once (the
            // delta sync lists what the backfill's range no longer covers).
            boundRefused = true
            const end = yield* client.listableUntil(seller, 2)
            yield* Effect.logWarning(`${result.left.message}; ending window ${refused.windowIndex} at ${end.toISOString()} and retrying`)
            yield* Ref.set(window, yield* sink.fenced(lease, repo.restartWindow(lease.tenantId, refused, end)))
            continue
          }
          // Bounded: a window whose token is refused again and again without a page in between is failing.
          restarts = refused.pages > current.pages || refused.windowIndex !== current.windowIndex ? 1 : restarts + 1
          if (result.left._tag !== "PageTokenRejected" || restarts > 5) return yield* result.left
          yield* Effect.logWarning(`page token refused (${result.left.reason}); restarting window ${refused.windowIndex} from its last committed order`)
          yield* Ref.set(window, yield* sink.fenced(lease, repo.restartWindow(lease.tenantId, refused)))
        }
        const end = yield* Ref.get(window)
        yield* Effect.annotateCurrentSpan({ lastWindowIndex: end.windowIndex, done: end.pageToken === null })
        return end
      }).pipe(
        Effect.withSpan("backfill.window", {
          attributes: { tenantId: lease.tenantId, source: "orders", windowIndex: start.windowIndex },
          captureStackTrace: false
        })
      )

    return { runWindow } as const
  })
}) {}
