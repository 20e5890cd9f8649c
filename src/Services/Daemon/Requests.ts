import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Option } from "effect"
import type { Lease } from "../Store/Leases.js"
import { TRIGGER_CHANNEL } from "./Triggers.js"
import { Leases } from "../Store/Leases.js"
import { MARKETPLACE } from "../Store/OrderRepo.js"

export type RequestKind = "backfill" | "delta"

export interface RunRequest {
  readonly kind: RequestKind
  readonly days: number | null
  readonly restart: boolean
  readonly requestedAt: Date
}

/** A tenant with a pending trigger, as the claim loop sees it on a tick. */
export interface PendingTrigger {
  readonly tenantId: string
  readonly restart: boolean
}

/** How many tenants want a replica, and how many of those nobody holds (the fair share comes from these counts). */
export interface FleetCounts {
  readonly wanting: number
  readonly claimable: number
}

/**
 * Triggers from the HTTP API, stored in PostgreSQL so that any replica can accept them and the one holding (or
 * next claiming) the tenant executes them. Storing one also notifies every listening replica (delivered at commit),
 * so the holder starts within a second; the claim loop's poll of this small table is the fallback.
 */
export class Requests extends Effect.Service<Requests>()("ordersync/Requests", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const leases = yield* Leases

    /** A backfill trigger; a restart asked earlier is kept even if a later trigger does not ask for one. */
    const requestBackfill = (tenantId: string, days: number, restart: boolean) =>
      sql`WITH stored AS (
          INSERT INTO "OrderSyncRequest" ("tenantId", "kind", "days", "restart")
          VALUES (${tenantId}, 'backfill', ${days}, ${restart})
          ON CONFLICT ("tenantId", "kind") DO UPDATE SET "days" = EXCLUDED."days",
            "restart" = "OrderSyncRequest"."restart" OR EXCLUDED."restart", "requestedAt" = now()
          RETURNING "tenantId")
        SELECT pg_notify(${TRIGGER_CHANNEL}, "tenantId") FROM stored`.pipe(Effect.asVoid, Effect.orDie)

    const requestDelta = (tenantId: string) =>
      sql`WITH stored AS (
          INSERT INTO "OrderSyncRequest" ("tenantId", "kind") VALUES (${tenantId}, 'delta')
          ON CONFLICT ("tenantId", "kind") DO UPDATE SET "requestedAt" = now()
          RETURNING "tenantId")
        SELECT pg_notify(${TRIGGER_CHANNEL}, "tenantId") FROM stored`.pipe(Effect.asVoid, Effect.orDie)


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

    /** Tenants with a pending trigger: a small table, read on every tick. */
    const pendingTriggers = sql<PendingTrigger>`
      SELECT "tenantId", bool_or("restart") AS restart FROM "OrderSyncRequest" GROUP BY "tenantId"`.pipe(Effect.orDie)

    /**
     * Tenants that want a replica (a trigger, or neither parked nor paused), and those of them whose lease nobody holds.
     * Reads every tenant: the claim loop asks only every half minute, when the replicas change, or after a trigger.
     */
    const counts = sql<FleetCounts>`
      SELECT count(*)::int AS wanting, (count(*) FILTER (WHERE l."expiresAt" IS NULL OR l."expiresAt" < now()))::int AS claimable
      FROM "OrderSyncTenant" t
      LEFT JOIN "MarketplaceSyncState" s ON s."tenantId" = t."tenantId" AND s."marketplace" = ${MARKETPLACE}
      LEFT JOIN "OrderSyncLease" l ON l."tenantId" = t."tenantId"
      WHERE (t."parkedReason" IS NULL AND s."initialBackfillStatus" IS DISTINCT FROM 'paused')
        OR EXISTS (SELECT 1 FROM "OrderSyncRequest" r WHERE r."tenantId" = t."tenantId")`.pipe(
      Effect.map((rows) => rows[0] ?? { wanting: 0, claimable: 0 }),
      Effect.orDie
    )

    return { requestBackfill, requestDelta, pending, take, pendingTriggers, counts } as const
  })
}) {}
