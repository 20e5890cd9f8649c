import { Clock, Duration, Effect, Option, Ref } from "effect"
import { Orders, type Page, type PageQuery } from "../Orders.js"
import { type SellerAuth, SpApiClient } from "../SpApi/SpApiClient.js"
import type { Lease } from "../Store/Leases.js"
import { SyncStateRepo, type Window } from "../Store/SyncStateRepo.js"
import { BackfillConfig } from "./BackfillConfig.js"
import { maxDate, Sink, splitDecoded } from "./Sink.js"
import * as Alarms from "./Alarms.js"
import * as Turns from "./Turns.js"

/** A backfill that would wait longer than this for its quota parks between pages instead (see Orders.pages). */
const PARK_AFTER = Duration.seconds(1)

/** Pages a backfill stores in one turn while no other tenant waits for one (with tenants waiting: one). */
const PAGES_PER_TURN = 20

/** Where a window's pages stand between two turns. */
export interface WindowCursor {
  readonly window: Window
  /** Pages the window may still store (the planner's sample stores one). */
  readonly budget: number
  /** Page tokens refused in a row without a page in between. */
  readonly restarts: number
  /** Amazon refused the window's end once already (see `turn`). */
  readonly boundRefused: boolean
  readonly lastCommitAt: number
}

/** How a turn ended: the window is done or its budget spent, it wants another turn, or its quota says wait. */
export type TurnResult =
  | { readonly _tag: "End"; readonly window: Window }
  | { readonly _tag: "More"; readonly cursor: WindowCursor }
  | { readonly _tag: "Wait"; readonly millis: number; readonly cursor: WindowCursor }

const ended = (window: Window): TurnResult => ({ _tag: "End", window })
const more = (cursor: WindowCursor): TurnResult => ({ _tag: "More", cursor })
const waitFor = (millis: number, cursor: WindowCursor): TurnResult => ({ _tag: "Wait", millis, cursor })

/**
 * The Orders API as a history source: a window's pages (searchOrders or getOrders), paced and retried by the SP-API
 * client, each page committed through the sink with the window's checkpoint (its page token and last order).
 */
export class OrdersSource extends Effect.Service<OrdersSource>()("ordersync/OrdersSource", {
  scoped: Effect.gen(function*() {
    const orders = yield* Orders
    const repo = yield* SyncStateRepo
    const sink = yield* Sink
    const client = yield* SpApiClient
    const config = yield* BackfillConfig
    const turns = yield* Turns.make(config.fetchingTenants)
    // The backfills' waits for their quota between two turns (see Drive).
    const alarms = yield* Alarms.make

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

    /** A window's cursor before its first turn: `maxPages` is the planner's sample (one page). */
    const open = (start: Window, options: { readonly maxPages?: number } = {}) =>
      Effect.map(Clock.currentTimeMillis, (now): WindowCursor => ({
        window: start,
        budget: options.maxPages ?? Infinity,
        restarts: 0,
        boundRefused: false,
        lastCommitAt: now
      }))

    /**
     * One turn of a window: up to PAGES_PER_TURN pages (one while other tenants wait for a turn), each committed with
     * its checkpoint, until the window is done, its budget is spent, or the seller's quota says wait. The caller holds
     * the turn (one of `ORDERSYNC_FETCHING_TENANTS`) and does the waiting between turns, with this turn and its
     * stack gone: a thousand tenants then hold a thousand cursors and timers, not a thousand page loops, and they take
     * turns in order. A refused page token restarts the window from its last order.
     */
    const turn = (lease: Lease, seller: SellerAuth, marketplaceIds: ReadonlyArray<string>, cursor: WindowCursor) =>
      Effect.gen(function*() {
        const window = yield* Ref.make(cursor.window)
        const lastCommit = yield* Ref.make(cursor.lastCommitAt)
        const stored = yield* Ref.make(0)
        const current = cursor.window
        const query: PageQuery = {
          family: "created",
          after: current.queryStart,
          before: current.endAt,
          marketplaceIds,
          token: Option.fromNullable(current.pageToken)
        }
        // With others waiting for a turn, one page, then the back of the queue: every tenant's first page comes
        // before anyone's second, and a seller's second burst page loses nothing by waiting (its quota refills
        // meanwhile), where a tenant's first page delays every page after it (B3).
        const { waiting } = yield* turns.stats
        const store = (page: Page) =>
          Effect.gen(function*() {
            const at = yield* Clock.currentTimeMillis
            yield* commitPage(lease, window, page, at - (yield* Ref.getAndSet(lastCommit, at)))
            yield* Ref.set(lastCommit, yield* Clock.currentTimeMillis)
            yield* Ref.update(stored, (n) => n + 1)
          })
        // A loop of pages, not a Stream: a turn is mostly one page, and a stream builds a channel executor per turn.
        const pageAt = (token: Option.Option<string>) => orders.page(seller, { ...query, token }, store, { parkAfter: PARK_AFTER })
        type PageFailure = Effect.Effect.Error<ReturnType<typeof pageAt>>
        const pagesOf = (token: Option.Option<string>, left: number): Effect.Effect<void, PageFailure> =>
          left <= 0 ? Effect.void : Effect.flatMap(pageAt(token), ([, next]) => Option.isSome(next) ? pagesOf(next, left - 1) : Effect.void)
        const result = yield* Effect.either(pagesOf(query.token, Math.min(waiting > 0 ? 1 : PAGES_PER_TURN, cursor.budget)))
        const after: WindowCursor = {
          ...cursor,
          window: yield* Ref.get(window),
          budget: cursor.budget - (yield* Ref.get(stored)),
          lastCommitAt: yield* Ref.get(lastCommit)
        }
        // The turn ended after its pages, or the window is done (no page token left).
        if (result._tag === "Right") {
          return after.window.pageToken === null || after.budget <= 0 ? ended(after.window) : more(after)
        }
        if (result.left._tag === "QuotaWait") {
          // Every page so far is committed with its checkpoint: the caller waits, then gives it another turn.
          const { attempts, millis, throttled } = result.left
          if (attempts > 0) yield* sink.fenced(lease, repo.countRequests(lease.tenantId, { requests: attempts, throttled }))
          return after.budget <= 0 ? ended(after.window) : waitFor(millis, after)
        }
        const refused = after.window
        if (result.left._tag === "ListingBoundRefused" && !cursor.boundRefused) {
          // The host's clock runs ahead of Amazon's by more than the margin: end the window earlier, once (the
          // delta sync lists what the backfill's range no longer covers).
          const end = yield* client.listableUntil(seller, 2)
          yield* Effect.logWarning(`${result.left.message}; ending window ${refused.windowIndex} at ${end.toISOString()} and retrying`)
          const restarted = yield* sink.fenced(lease, repo.restartWindow(lease.tenantId, refused, end))
          return more({ ...after, window: restarted, boundRefused: true })
        }
        // Bounded: a window whose token is refused again and again without a page in between is failing.
        const restarts = refused.pages > current.pages || refused.windowIndex !== current.windowIndex ? 1 : cursor.restarts + 1
        if (result.left._tag !== "PageTokenRejected" || restarts > 5) return yield* result.left
        yield* Effect.logWarning(`page token refused (${result.left.reason}); restarting window ${refused.windowIndex} from its last committed order`)
        const restarted = yield* sink.fenced(lease, repo.restartWindow(lease.tenantId, refused))
        return more({ ...after, window: restarted, restarts })
      }).pipe(
        Effect.tap((result) =>
          result._tag === "End" ? Effect.annotateCurrentSpan({ lastWindowIndex: result.window.windowIndex, done: result.window.pageToken === null }) : Effect.void
        ),
        Effect.withSpan("backfill.window", {
          attributes: { tenantId: lease.tenantId, source: "orders", windowIndex: cursor.window.windowIndex },
          captureStackTrace: false
        })
      )

    return { open, turn, turns, alarms } as const
  })
}) {}
