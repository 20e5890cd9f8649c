import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Option } from "effect"
import type { Lease } from "../Store/Leases.js"
import { Leases } from "../Store/Leases.js"
import { MARKETPLACE } from "../Store/OrderRepo.js"

export type RequestKind = "backfill" | "delta"

export interface RunRequest {
  readonly kind: RequestKind
  readonly days: number | null
  readonly restart: boolean
  readonly requestedAt: Date
}

/** One tenant as the claim loop sees it on a tick. */
export interface TenantOverview {
  readonly tenantId: string
  readonly parked: boolean
  readonly status: string | null
  readonly done: boolean
  readonly requested: boolean
  readonly restart: boolean
}

/**
 * Triggers from the HTTP API, stored in PostgreSQL so that any replica can accept them and the one holding (or
 * next claiming) the tenant executes them.
 */
export class Requests extends Effect.Service<Requests>()("ordersync/Requests", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const leases = yield* Leases

    /** A backfill trigger; a restart asked earlier is kept even if a later trigger does not ask for one. */
    const requestBackfill = (tenantId: string, days: number, restart: boolean) =>
      sql`INSERT INTO "OrderSyncRequest" ("tenantId", "kind", "days", "restart")
        VALUES (${tenantId}, 'backfill', ${days}, ${restart})
        ON CONFLICT ("tenantId", "kind") DO UPDATE SET "days" = EXCLUDED."days",
          "restart" = "OrderSyncRequest"."restart" OR EXCLUDED."restart", "requestedAt" = now()`.pipe(Effect.asVoid, Effect.orDie)

    const requestDelta = (tenantId: string) =>
      sql`INSERT INTO "OrderSyncRequest" ("tenantId", "kind") VALUES (${tenantId}, 'delta')
        ON CONFLICT ("tenantId", "kind") DO UPDATE SET "requestedAt" = now()`.pipe(Effect.asVoid, Effect.orDie)

    const pending = (tenantId: string, kind: RequestKind) =>
      sql<RunRequest>`SELECT "kind", "days", "restart", "requestedAt" FROM "OrderSyncRequest"
        WHERE "tenantId" = ${tenantId} AND "kind" = ${kind}`.pipe(
        Effect.map((rows) => Option.fromNullable(rows[0])),
        Effect.orDie
      )

    /** Removes and returns a pending trigger, only while this lease is current (a stale holder cannot eat it). */
    const take = (lease: Lease, kind: RequestKind) =>
      sql.withTransaction(Effect.zipRight(
        leases.fence(lease),
        sql<RunRequest>`DELETE FROM "OrderSyncRequest" WHERE "tenantId" = ${lease.tenantId} AND "kind" = ${kind}
          RETURNING "kind", "days", "restart", "requestedAt"`
      )).pipe(
        Effect.map((rows) => Option.fromNullable(rows[0])),
        Effect.catchTag("SqlError", Effect.die),
        Effect.uninterruptible
      )

    /** Every tenant, with what the claim loop needs to decide whether it has work. */
    const overview = sql<TenantOverview>`
      SELECT t."tenantId", t."parkedReason" IS NOT NULL AS parked, s."initialBackfillStatus" AS status,
        s."initialBackfillDoneAt" IS NOT NULL AS done,
        EXISTS (SELECT 1 FROM "OrderSyncRequest" r WHERE r."tenantId" = t."tenantId") AS requested,
        EXISTS (SELECT 1 FROM "OrderSyncRequest" r WHERE r."tenantId" = t."tenantId" AND r."restart") AS restart
      FROM "OrderSyncTenant" t
      LEFT JOIN "MarketplaceSyncState" s ON s."tenantId" = t."tenantId" AND s."marketplace" = ${MARKETPLACE}
      ORDER BY t."tenantId"`.pipe(Effect.orDie)

    return { requestBackfill, requestDelta, pending, take, overview } as const
  })
}) {}
