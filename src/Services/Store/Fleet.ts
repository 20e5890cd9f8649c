import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { MARKETPLACE } from "./OrderRepo.js"

export type TenantStatusFilter = "in_progress" | "success" | "failed" | "paused" | "parked" | "not_started"
export type TenantSort = "tenant" | "status" | "orders" | "lastSync" | "error"

export interface FleetCounts {
  readonly tenants: number
  readonly byStatus: Record<TenantStatusFilter, number>
  readonly ordersStored: number
  /**
   * Of the running backfills, each over the wall-clock time since it started: what the fleet delivers, waits
   * included (a run's own rates in its status count its active time only).
   */
  readonly ordersPerMinute: number
  readonly requestsPerMinute: number
  readonly throttledRequests: number
  readonly quarantinedOrders: number
  readonly replicas: ReadonlyArray<{ readonly owner: string; readonly tenants: number }>
}

export interface TenantPageQuery {
  /** One tenant (a tenant token's), or null for all of them. */
  readonly only: string | null
  readonly search: string | null
  readonly status: TenantStatusFilter | null
  readonly sort: TenantSort
  readonly descending: boolean
  readonly limit: number
  readonly offset: number
}

export interface Quarantined {
  readonly externalOrderId: string | null
  readonly error: string
  readonly raw: string
  readonly createdAt: Date
}

/** The console's read models across tenants: counts, rates, replicas, and a searched, filtered, sorted page of ids. */
export class Fleet extends Effect.Service<Fleet>()("ordersync/Fleet", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const tenantsWithState = sql`"OrderSyncTenant" t
      LEFT JOIN "MarketplaceSyncState" s ON s."tenantId" = t."tenantId" AND s."marketplace" = ${MARKETPLACE}
      LEFT JOIN "OrderSyncBackfill" b ON b."tenantId" = t."tenantId"`

    const overview = (only: string | null): Effect.Effect<FleetCounts> =>
      Effect.gen(function*() {
        const [counts] = yield* sql<Record<string, number>>`SELECT count(*)::int AS "tenants",
            count(*) FILTER (WHERE s."initialBackfillStatus" = 'in_progress')::int AS "in_progress",
            count(*) FILTER (WHERE s."initialBackfillStatus" = 'success')::int AS "success",
            count(*) FILTER (WHERE s."initialBackfillStatus" = 'failed')::int AS "failed",
            count(*) FILTER (WHERE s."initialBackfillStatus" = 'paused')::int AS "paused",
            count(*) FILTER (WHERE t."parkedReason" IS NOT NULL)::int AS "parked",
            count(*) FILTER (WHERE s."initialBackfillStatus" IS NULL)::int AS "not_started",
            COALESCE(sum(b."throttled"), 0)::float8 AS "throttled",
            COALESCE(sum(b."quarantined"), 0)::float8 AS "quarantined",
            COALESCE(sum(b."ordersFetched" * 60.0 / GREATEST(EXTRACT(EPOCH FROM now() - b."startedAt"), 1))
              FILTER (WHERE s."initialBackfillStatus" = 'in_progress'), 0)::float8 AS "ordersPerMinute",
            COALESCE(sum(b."requests" * 60.0 / GREATEST(EXTRACT(EPOCH FROM now() - b."startedAt"), 1))
              FILTER (WHERE s."initialBackfillStatus" = 'in_progress'), 0)::float8 AS "requestsPerMinute"
          FROM ${tenantsWithState}
          WHERE ${only}::text IS NULL OR t."tenantId" = ${only}`
        const [stored] = yield* sql<{ n: number }>`SELECT count(*)::float8 AS "n" FROM "Order"
          WHERE "marketplace" = ${MARKETPLACE} AND (${only}::text IS NULL OR "tenantId" = ${only})`
        const replicas = yield* sql<{ owner: string; tenants: number }>`SELECT r."owner",
            (SELECT count(*) FROM "OrderSyncLease" l WHERE l."owner" = r."owner" AND l."expiresAt" > now()
              AND (${only}::text IS NULL OR l."tenantId" = ${only}))::int AS "tenants"
          FROM "OrderSyncReplica" r WHERE r."expiresAt" > now() ORDER BY r."owner"`
        const c = counts!
        return {
          tenants: c.tenants!,
          byStatus: {
            in_progress: c.in_progress!,
            success: c.success!,
            failed: c.failed!,
            paused: c.paused!,
            parked: c.parked!,
            not_started: c.not_started!
          },
          ordersStored: stored!.n,
          ordersPerMinute: Math.round(c.ordersPerMinute! * 10) / 10,
          requestsPerMinute: Math.round(c.requestsPerMinute! * 100) / 100,
          throttledRequests: c.throttled!,
          quarantinedOrders: c.quarantined!,
          replicas
        }
      }).pipe(Effect.orDie)

    const statusIs = (status: TenantStatusFilter | null) => {
      switch (status) {
        case null:
          return sql`TRUE`
        case "parked":
          return sql`t."parkedReason" IS NOT NULL`
        case "not_started":
          return sql`s."initialBackfillStatus" IS NULL`
        default:
          return sql`s."initialBackfillStatus" = ${status}`
      }
    }

    const orderBy = (sort: TenantSort, descending: boolean) => {
      const direction = sql.unsafe(descending ? "DESC NULLS LAST" : "ASC NULLS LAST")
      switch (sort) {
        case "tenant":
          return sql`t."tenantId" ${direction}`
        case "status":
          return sql`s."initialBackfillStatus" ${direction}, t."tenantId"`
        case "orders":
          return sql`b."ordersFetched" ${direction}, t."tenantId"`
        case "lastSync":
          return sql`s."lastSyncAt" ${direction}, t."tenantId"`
        case "error":
          // Errors first (ascending), the longest-standing state change first among them.
          return sql`(s."lastError" IS NULL) ${direction}, s."updatedAt", t."tenantId"`
      }
    }

    /** The ids of one page of tenants and how many match in all. */
    const page = (query: TenantPageQuery): Effect.Effect<{ readonly tenantIds: ReadonlyArray<string>; readonly total: number }> =>
      Effect.gen(function*() {
        const where = sql`(${query.only}::text IS NULL OR t."tenantId" = ${query.only})
          AND (${query.search}::text IS NULL OR strpos(lower(t."tenantId"), lower(${query.search})) > 0)
          AND ${statusIs(query.status)}`
        const [count] = yield* sql<{ n: number }>`SELECT count(*)::int AS "n" FROM ${tenantsWithState} WHERE ${where}`
        const rows = yield* sql<{ tenantId: string }>`SELECT t."tenantId" FROM ${tenantsWithState} WHERE ${where}
          ORDER BY ${orderBy(query.sort, query.descending)} LIMIT ${query.limit} OFFSET ${query.offset}`
        return { tenantIds: rows.map((r) => r.tenantId), total: count!.n }
      }).pipe(Effect.orDie)

    /** The newest quarantined orders of a tenant (at most `limit`), and how many there are. */
    const quarantined = (tenantId: string, limit: number) =>
      Effect.all([
        sql<Quarantined>`SELECT "externalOrderId", "error", "raw"::text AS "raw", "createdAt" FROM "OrderSyncQuarantine"
          WHERE "tenantId" = ${tenantId} ORDER BY "id" DESC LIMIT ${limit}`,
        sql<{ n: number }>`SELECT count(*)::int AS "n" FROM "OrderSyncQuarantine" WHERE "tenantId" = ${tenantId}`
      ]).pipe(
        Effect.map(([rows, [count]]) => ({ rows, total: count!.n })),
        Effect.orDie
      )

    return { overview, page, quarantined } as const
  })
}) {}
