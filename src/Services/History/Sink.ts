import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Clock, Duration, Effect, Metric, Option, Schedule } from "effect"
import { BackfillPaused } from "../../Domain/Errors.js"
import type { DecodedOrder, Order, QuarantinedOrder } from "../../Domain/Order.js"
import { chunkUpsertSeconds, ordersQuarantined, ordersUpserted } from "../Metrics.js"
import { Status } from "../Status.js"
import { type Lease, Leases } from "../Store/Leases.js"
import { OrderRepo, type OrderSource } from "../Store/OrderRepo.js"
import { SyncStateRepo } from "../Store/SyncStateRepo.js"

const databaseRetry = Schedule.exponential("200 millis").pipe(
  Schedule.modifyDelay((delay) => Duration.min(delay, Duration.seconds(5))),
  Schedule.upTo("60 seconds")
)

/** A chunk's orders, split into the ones to store and the ones to keep in quarantine. */
export const splitDecoded = (decoded: ReadonlyArray<DecodedOrder>) => {
  const orders: Array<Order> = []
  const quarantined: Array<QuarantinedOrder> = []
  for (const item of decoded) {
    if (item._tag === "Order") orders.push(item.order)
    else quarantined.push(item.quarantined)
  }
  return { orders, quarantined }
}

export const maxDate = (orders: ReadonlyArray<Order>, field: "orderDate" | "lastUpdateDate") =>
  orders.reduce<Date | null>((max, o) => (max === null || o[field] > max ? o[field] : max), null)

/** What a chunk's checkpoint is told about the chunk it follows. */
export interface Stored {
  readonly orders: ReadonlyArray<Order>
  readonly quarantined: number
  readonly upserted: number
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
    const repo = yield* SyncStateRepo
    const status = yield* Status

    /**
     * One transaction, checked against the lease epoch, that an interruption cannot cut in half. A database that
     * is briefly away (a restart, a failover) is waited for: the transaction is retried for up to a minute.
     */
    const fenced = <A, E, R>(lease: Lease, body: Effect.Effect<A, E, R>) =>
      sql.withTransaction(Effect.zipRight(leases.fence(lease), body)).pipe(
        // Repositories treat SQL errors as defects; here a lost connection is worth waiting for.
        Effect.catchAllDefect((defect) => defect instanceof SqlError ? Effect.fail(defect) : Effect.die(defect)),
        Effect.tapError((error) =>
          error instanceof SqlError ? Effect.logWarning(`database unavailable, retrying: ${error.message}`) : Effect.void
        ),
        Effect.retry({ while: (error) => error instanceof SqlError, schedule: databaseRetry }),
        Effect.catchTag("SqlError", Effect.die),
        Effect.uninterruptible
      )

    /** A paused backfill stops at its next chunk, whichever process paused it. */
    const stopIfPaused = (tenantId: string) =>
      Effect.flatMap(repo.state(tenantId), (state) =>
        Option.exists(state, (s) => s.initialBackfillStatus === "paused")
          ? Effect.fail(new BackfillPaused({ tenantId }))
          : Effect.void)

    /**
     * Commits a chunk: upsert and quarantine, then `checkpoint` (which records where the source stands), in one
     * fenced transaction. With `backfill`, a pause stops it before anything is written.
     */
    const commit = <A, E, R>(
      lease: Lease,
      decoded: ReadonlyArray<DecodedOrder>,
      options: { readonly source: OrderSource; readonly backfill: boolean },
      checkpoint: (stored: Stored) => Effect.Effect<A, E, R>
    ) =>
      Effect.gen(function*() {
        const { orders, quarantined } = splitDecoded(decoded)
        const started = yield* Clock.currentTimeMillis
        const [result, upserted] = yield* fenced(lease, Effect.gen(function*() {
          if (options.backfill) yield* stopIfPaused(lease.tenantId)
          // A report's chunks are large: COPY is 2–2.5× faster than one UNNEST statement there (B6).
          const upsert = yield* (options.source === "report"
            ? orderRepo.upsertCopy(lease.tenantId, orders, options.source)
            : orderRepo.upsert(lease.tenantId, orders, options.source))
          const kept = yield* orderRepo.quarantine(lease.tenantId, quarantined)
          const changed = upsert.inserted + upsert.updated
          return [yield* checkpoint({ orders, quarantined: kept, upserted: changed }), changed] as const
        }))
        const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
        yield* Effect.annotateCurrentSpan({ upserted, durationMs: Math.round(seconds * 1000) })
        yield* Metric.update(chunkUpsertSeconds, seconds)
        yield* Metric.incrementBy(ordersUpserted, upserted)
        yield* Metric.incrementBy(ordersQuarantined, quarantined.length)
        if (options.backfill) yield* status.publishProgress(lease.tenantId)
        return result
      }).pipe(
        Effect.withSpan("sink.commit", {
          attributes: { tenantId: lease.tenantId, source: options.source, orders: decoded.length },
          captureStackTrace: false
        })
      )

    return { fenced, commit } as const
  })
}) {}
