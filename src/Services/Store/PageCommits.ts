import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { Order } from "../../Domain/Order.js"
import { type Lease, Leases } from "./Leases.js"
import { OrderRepo, type RawSource } from "./OrderRepo.js"
import { type PageProgress, SyncStateRepo, type WindowCheckpoint } from "./SyncStateRepo.js"

/** A backfill's Orders API page (no quarantined orders) and where its window stands after it. */
export interface BackfillPage {
  readonly orders: ReadonlyArray<Order>
  /** Where each order's `raw` is in the answer's text (without it, `order.raw`). */
  readonly rawFrom: RawSource | undefined
  readonly windowIndex: number
  readonly checkpoint: WindowCheckpoint
  readonly progress: PageProgress
}

/** What the one statement found and did. */
export interface PageCommitted {
  /** False: the lease is not ours any more, and nothing was written. */
  readonly leased: boolean
  /** True: the backfill was paused, and nothing was written. */
  readonly paused: boolean
  readonly inserted: number
  readonly updated: number
  /** The run's coverage after the page (for the progress gauge: no second round trip), when it was written. */
  readonly coverage: number
}

/**
 * An Orders API page of a backfill and its window's checkpoint in one statement: the fence (lease epoch, not paused),
 * the upsert and the window and run counters, each part written only if the fence holds. A statement is atomic on its
 * own, so this needs no BEGIN and COMMIT: one round trip where a transaction takes five. Ten thousand paced tenants
 * (B3) spend most of their engine's CPU on round trips, so this is the common case's path; a page with quarantined
 * orders or a window to split goes through the sink's transaction instead.
 */
export class PageCommits extends Effect.Service<PageCommits>()("ordersync/PageCommits", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const leases = yield* Leases
    const orderRepo = yield* OrderRepo
    const repo = yield* SyncStateRepo

    const commit = (lease: Lease, { checkpoint, orders, progress, rawFrom, windowIndex }: BackfillPage): Effect.Effect<PageCommitted> => {
      const gate = sql`EXISTS (SELECT 1 FROM "fence" WHERE "paused" IS NOT TRUE)`
      const upserted = orderRepo.upsertParts(lease.tenantId, orders, "api", rawFrom, gate) ??
        sql`"upserted" AS (SELECT TRUE AS inserted WHERE FALSE)`
      return sql<{ leased: boolean; paused: boolean; inserted: number; changed: number; coverage: string | null }>`
        WITH "fence" AS (${leases.backfillFence(lease)}),
          ${upserted},
          ${repo.advanceParts(lease.tenantId, windowIndex, checkpoint, progress, gate)}
        SELECT EXISTS (SELECT 1 FROM "fence") AS "leased",
          COALESCE((SELECT bool_or("paused") FROM "fence"), FALSE) AS "paused",
          (SELECT count(*) FROM "upserted" WHERE inserted)::int AS "inserted",
          (SELECT count(*) FROM "upserted")::int AS "changed",
          ${repo.coverageAfterAdvance(lease.tenantId, windowIndex)} AS "coverage"`.pipe(
        Effect.map(([row]) => ({
          leased: row!.leased,
          paused: row!.paused,
          inserted: row!.inserted,
          updated: row!.changed - row!.inserted,
          coverage: Number(row!.coverage ?? 0)
        })),
        Effect.orDie
      )
    }

    return { commit } as const
  })
}) {}
