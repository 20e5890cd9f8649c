import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Clock, Duration, Effect, Metric, Schedule } from "effect"
import { BackfillPaused, LeaseLost } from "../../Domain/Errors.js"
import type { DecodedOrder, Order, PageOrders, QuarantinedOrder } from "../../Domain/Order.js"
import { chunkUpsertSeconds, ordersQuarantined, ordersUpserted } from "../Metrics.js"
import { Status } from "../Status.js"
import { type Lease, Leases } from "../Store/Leases.js"
import { OrderRepo, type OrderSource, type StagedOrders, stageOrders, unstorable, type UpsertResult } from "../Store/OrderRepo.js"
import { type BackfillPage, PageCommits } from "../Store/PageCommits.js"

const databaseRetry = Schedule.exponential("200 millis").pipe(
  Schedule.modifyDelay((delay) => Duration.min(delay, Duration.seconds(5))),
  Schedule.upTo("60 seconds")
)

/** A chunk's orders, split into the ones to store and the ones to keep in quarantine (those the columns would refuse too). */
export const splitDecoded = (decoded: ReadonlyArray<DecodedOrder>) => {
  const orders: Array<Order> = []
  /** Where each of `orders` was among `decoded` (its index in the answer's array of orders). */
  const positions: Array<number> = []
  const quarantined: Array<QuarantinedOrder> = []
  decoded.forEach((item, position) => {
    if (item._tag === "Quarantined") return quarantined.push(item.quarantined)
    const refused = unstorable(item.order)
    if (refused !== undefined) return quarantined.push({ externalOrderId: item.order.externalOrderId, raw: item.order.raw, error: refused })
    orders.push(item.order)
    positions.push(position)
  })
  return { orders, positions, quarantined }
}

export const maxDate = (orders: ReadonlyArray<Order>, field: "orderDate" | "lastUpdateDate") =>
  orders.reduce<Date | null>((max, o) => (max === null || o[field] > max ? o[field] : max), null)

/** What a chunk's checkpoint is told about the chunk it follows. */
export interface Stored {
  readonly orders: ReadonlyArray<Order>
  readonly quarantined: number
  readonly upserted: number
}

/** A chunk encoded for COPY before its transaction (see `stage`), and its orders that did not decode. */
export interface StagedChunk {
  /** Orders that decoded (a repeated id counts each time, as in a page). */
  readonly orders: number
  readonly staged: StagedOrders
  readonly quarantined: ReadonlyArray<QuarantinedOrder>
}

/** What a staged chunk's checkpoint is told: how many orders it held, kept in quarantine, and changed. */
export interface StoredCount {
  readonly orders: number
  readonly quarantined: number
  readonly upserted: number
}

/** Encodes a chunk for `commitStaged`; pure, so a source can run it while the previous chunk commits. */
export const stage = (decoded: ReadonlyArray<DecodedOrder>): StagedChunk => {
  const { orders, quarantined } = splitDecoded(decoded)
  return { orders: orders.length, staged: stageOrders(orders), quarantined }
}

/**
 * The one sink of every history source: each chunk of orders is committed in one fenced transaction together with
 * its checkpoint. Rows never go backwards, bad orders go to quarantine, and the lease epoch is checked first.
 */
export class Sink extends Effect.Service<Sink>()("ordersync/Sink", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const leases = yield* Leases
    const orderRepo = yield* OrderRepo
    const pageCommits = yield* PageCommits
    const status = yield* Status

    /**
     * One transaction, checked against the lease epoch, that an interruption cannot cut in half. A database that
     * is briefly away (a restart, a failover) is waited for: the transaction is retried for up to a minute.
     */
    const fenced = <A, E, R>(lease: Lease, body: Effect.Effect<A, E, R>) => transaction(leases.fence(lease), body)

    /** A paused backfill stops at its next chunk, whichever process paused it: checked with the fence. */
    const fencedUnlessPaused = <A, E, R>(lease: Lease, body: Effect.Effect<A, E, R>) =>
      transaction(
        Effect.flatMap(leases.fenceBackfill(lease), (paused) => paused ? Effect.fail(new BackfillPaused({ tenantId: lease.tenantId })) : Effect.void),
        body
      )

    const transaction = <A, E, R, E2>(fence: Effect.Effect<void, E2>, body: Effect.Effect<A, E, R>) =>
      retried(sql.withTransaction(Effect.zipRight(fence, body)))

    const retried = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      self.pipe(
        // Repositories treat SQL errors as defects; here a lost connection is worth waiting for.
        Effect.catchAllDefect((defect) => defect instanceof SqlError ? Effect.fail(defect) : Effect.die(defect)),
        Effect.tapError((error) =>
          error instanceof SqlError ? Effect.logWarning(`database unavailable, retrying: ${error.message}`) : Effect.void
        ),
        Effect.retry({ while: (error) => error instanceof SqlError, schedule: databaseRetry }),
        Effect.catchTag("SqlError", Effect.die),
        Effect.uninterruptible
      )

    /**
     * Stores a chunk: `upsert` and the quarantine, then `checkpoint` (which records where the source stands), in one
     * fenced transaction. With `backfill`, a pause stops it before anything is written.
     */
    const store = <A, E, R>(
      lease: Lease,
      chunk: {
        readonly orders: number
        readonly quarantined: ReadonlyArray<QuarantinedOrder>
        /** With `refused`: orders PostgreSQL would not take, quarantined like the others. */
        readonly upsert: Effect.Effect<UpsertResult & { readonly refused?: ReadonlyArray<QuarantinedOrder> }>
      },
      options: { readonly source: OrderSource; readonly backfill: boolean },
      checkpoint: (stored: { readonly quarantined: number; readonly upserted: number; readonly refused: number }) => Effect.Effect<A, E, R>
    ) =>
      Effect.gen(function*() {
        const started = yield* Clock.currentTimeMillis
        const [result, upserted, quarantined] = yield* (options.backfill ? fencedUnlessPaused : fenced)(lease, Effect.gen(function*() {
          const upsert = yield* chunk.upsert
          const refused = upsert.refused ?? []
          const bad = refused.length === 0 ? chunk.quarantined : [...chunk.quarantined, ...refused]
          const kept = yield* orderRepo.quarantine(lease.tenantId, bad)
          const changed = upsert.inserted + upsert.updated
          return [yield* checkpoint({ quarantined: kept, upserted: changed, refused: refused.length }), changed, bad.length] as const
        }))
        yield* committed(options.backfill ? status.publishProgress(lease.tenantId) : Effect.void, started, upserted, quarantined)
        return result
      }).pipe(
        Effect.withSpan("sink.commit", {
          attributes: { tenantId: lease.tenantId, source: options.source, orders: chunk.orders + chunk.quarantined.length },
          captureStackTrace: false
        })
      )

    /** After a chunk's commit: its figures, then `progress` (the gauge of a backfill). */
    const committed = (progress: Effect.Effect<void>, started: number, upserted: number, quarantined: number) =>
      Effect.gen(function*() {
        const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
        yield* Effect.annotateCurrentSpan({ upserted, durationMs: Math.round(seconds * 1000) })
        yield* Metric.update(chunkUpsertSeconds, seconds)
        yield* Metric.incrementBy(ordersUpserted, upserted)
        yield* Metric.incrementBy(ordersQuarantined, quarantined)
        yield* progress
      })

    /**
     * A backfill's Orders API page without quarantined orders, with its window's checkpoint, in one fenced statement
     * (PageCommits), which reads the progress gauge's coverage too: the same rules as `commit`, in one round trip
     * instead of six.
     */
    const commitBackfillPage = (lease: Lease, page: BackfillPage) =>
      Effect.gen(function*() {
        const started = yield* Clock.currentTimeMillis
        const done = yield* retried(pageCommits.commit(lease, page))
        if (!done.leased) return yield* new LeaseLost({ tenantId: lease.tenantId })
        if (done.paused) return yield* new BackfillPaused({ tenantId: lease.tenantId })
        yield* committed(status.setProgress(lease.tenantId, done.coverage), started, done.inserted + done.updated, 0)
      }).pipe(
        Effect.withSpan("sink.commit", { attributes: { tenantId: lease.tenantId, source: "api", orders: page.orders.length }, captureStackTrace: false })
      )

    /** Commits a page of decoded orders with one upsert statement (each `raw` from the page's answer, if it has one). */
    const commit = <A, E, R>(
      lease: Lease,
      page: PageOrders,
      options: { readonly source: OrderSource; readonly backfill: boolean },
      checkpoint: (stored: Stored) => Effect.Effect<A, E, R>
    ) => {
      const { orders, positions, quarantined } = splitDecoded(page.decoded)
      const rawFrom = page.document === undefined ? undefined : { ...page.document, positions }
      return store(lease, { orders: orders.length, quarantined, upsert: orderRepo.upsert(lease.tenantId, orders, options.source, rawFrom) }, options,
        ({ quarantined, upserted }) => checkpoint({ quarantined, upserted, orders }))
    }

    /** Commits a chunk staged for COPY (a report's: large, so COPY is 2–2.5× faster than one statement there, B6). */
    const commitStaged = <A, E, R>(
      lease: Lease,
      chunk: StagedChunk,
      options: { readonly source: OrderSource; readonly backfill: boolean },
      checkpoint: (stored: StoredCount) => Effect.Effect<A, E, R>
    ) =>
      store(lease, {
        orders: chunk.orders,
        quarantined: chunk.quarantined,
        upsert: orderRepo.upsertStaged(lease.tenantId, chunk.staged, options.source)
      }, options, ({ quarantined, refused, upserted }) => checkpoint({ quarantined, upserted, orders: chunk.orders - refused }))

    return { fenced, commit, commitBackfillPage, commitStaged } as const
  })
}) {}
