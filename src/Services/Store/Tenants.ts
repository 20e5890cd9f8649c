import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Option, Redacted } from "effect"
import { TenantNotFound } from "../../Domain/Errors.js"
import type { Region } from "../../Domain/Ids.js"
import type { ReportTotalRule } from "../../Domain/ReportOrders.js"
import { TRIGGER_CHANNEL } from "../Daemon/Triggers.js"
import { Secrets } from "../Secrets.js"

/** A tenant's report total rule as stored: a rule, or 'none' when no rule fits its reports. */
export type ReportTotalRuleStored = ReportTotalRule | "none"

export interface NewTenant {
  readonly tenantId: string
  readonly region: Region
  readonly marketplaceIds: ReadonlyArray<string>
  readonly sellingPartnerId: string | null
  readonly refreshToken: Redacted.Redacted
}

export interface TenantSummary {
  readonly tenantId: string
  readonly region: Region
  readonly marketplaceIds: ReadonlyArray<string>
  readonly sellingPartnerId: string | null
  readonly parkedReason: string | null
  readonly createdAt: Date
}

export interface TenantConnection extends TenantSummary {
  readonly refreshToken: Redacted.Redacted
}

interface Row {
  readonly tenantId: string
  readonly region: Region
  readonly marketplaceIds: ReadonlyArray<string>
  readonly sellingPartnerId: string | null
  readonly parkedReason: string | null
  readonly createdAt: Date
  readonly refreshTokenCiphertext: string
}

const summary = ({ refreshTokenCiphertext: _, ...rest }: Row): TenantSummary => rest

/** The tenants' Amazon connections. Refresh tokens are stored encrypted and come back `Redacted`. */
export class Tenants extends Effect.Service<Tenants>()("ordersync/Tenants", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const secrets = yield* Secrets

    /** Adds a tenant, or replaces its connection (new token, marketplaces) and un-parks it. */
    const add = (tenant: NewTenant) =>
      sql.withTransaction(Effect.gen(function*() {
        yield* sql`INSERT INTO "OrderSyncTenant"
            ("tenantId", "region", "sellingPartnerId", "marketplaceIds", "refreshTokenCiphertext")
          VALUES (${tenant.tenantId}, ${tenant.region}, ${tenant.sellingPartnerId}, ${[...tenant.marketplaceIds]}::text[],
            ${secrets.encrypt(tenant.refreshToken)})
          ON CONFLICT ("tenantId") DO UPDATE SET
            "region" = EXCLUDED."region", "sellingPartnerId" = EXCLUDED."sellingPartnerId",
            "marketplaceIds" = EXCLUDED."marketplaceIds", "refreshTokenCiphertext" = EXCLUDED."refreshTokenCiphertext",
            "parkedReason" = NULL, "updatedAt" = now()`
        yield* sql`INSERT INTO "OrderSyncLease" ("tenantId") VALUES (${tenant.tenantId}) ON CONFLICT DO NOTHING`
        // Running replicas count the fleet again and claim the tenant now (delivered at commit).
        yield* sql`SELECT pg_notify(${TRIGGER_CHANNEL}, ${tenant.tenantId})`
      })).pipe(Effect.orDie)

    const list = sql<Row>`SELECT * FROM "OrderSyncTenant" ORDER BY "tenantId"`.pipe(
      Effect.map((rows) => rows.map(summary)),
      Effect.orDie
    )

    const find = (tenantId: string) =>
      sql<Row>`SELECT * FROM "OrderSyncTenant" WHERE "tenantId" = ${tenantId}`.pipe(
        Effect.orDie,
        Effect.flatMap((rows) => rows[0] ? Effect.succeed(rows[0]) : Effect.fail(new TenantNotFound({ tenantId })))
      )

    const summaryOf = (tenantId: string) => Effect.map(find(tenantId), summary)

    const get = (tenantId: string) =>
      Effect.gen(function*() {
        const row = yield* find(tenantId)
        const refreshToken = yield* secrets.decrypt(tenantId, row.refreshTokenCiphertext)
        return { ...summary(row), refreshToken } satisfies TenantConnection
      })

    /** Removes the connection and ordersync's bookkeeping; the tenant's orders stay in "Order". */
    const remove = (tenantId: string) =>
      sql.withTransaction(Effect.gen(function*() {
        const rows = yield* sql`DELETE FROM "OrderSyncTenant" WHERE "tenantId" = ${tenantId} RETURNING "tenantId"`
        if (rows.length === 0) return yield* Effect.fail(new TenantNotFound({ tenantId }))
        yield* sql`DELETE FROM "OrderSyncWindow" WHERE "tenantId" = ${tenantId}`
        yield* sql`DELETE FROM "OrderSyncReportWindow" WHERE "tenantId" = ${tenantId}`
        yield* sql`DELETE FROM "OrderSyncBackfill" WHERE "tenantId" = ${tenantId}`
        yield* sql`DELETE FROM "OrderSyncLease" WHERE "tenantId" = ${tenantId}`
        yield* sql`DELETE FROM "OrderSyncApiToken" WHERE "tenantId" = ${tenantId}`
      })).pipe(Effect.catchTag("SqlError", Effect.die))

    const park = (tenantId: string, reason: string) =>
      sql`UPDATE "OrderSyncTenant" SET "parkedReason" = ${reason}, "updatedAt" = now() WHERE "tenantId" = ${tenantId}`
        .pipe(Effect.asVoid, Effect.orDie)

    const unpark = (tenantId: string) =>
      sql`UPDATE "OrderSyncTenant" SET "parkedReason" = NULL, "updatedAt" = now() WHERE "tenantId" = ${tenantId}`
        .pipe(Effect.asVoid, Effect.orDie)

    /**
     * Re-encrypts every refresh token not yet under the current key (ORDERSYNC_SECRET_KEY, after a rotation or from
     * v1). Each row is swapped only if nobody replaced it meanwhile; the unreadable ones are named, never changed.
     */
    const reencrypt = Effect.gen(function*() {
      const rows = yield* sql<{ tenantId: string; refreshTokenCiphertext: string }>`
        SELECT "tenantId", "refreshTokenCiphertext" FROM "OrderSyncTenant" ORDER BY "tenantId"`
      const outcome = { reencrypted: [] as Array<string>, current: [] as Array<string>, unreadable: [] as Array<string> }
      for (const row of rows) {
        if (secrets.isCurrent(row.refreshTokenCiphertext)) {
          outcome.current.push(row.tenantId)
          continue
        }
        const plain = yield* Effect.option(secrets.decrypt(row.tenantId, row.refreshTokenCiphertext))
        if (Option.isNone(plain)) {
          outcome.unreadable.push(row.tenantId)
          continue
        }
        const swapped = yield* sql`UPDATE "OrderSyncTenant" SET "refreshTokenCiphertext" = ${secrets.encrypt(plain.value)}
          WHERE "tenantId" = ${row.tenantId} AND "refreshTokenCiphertext" = ${row.refreshTokenCiphertext} RETURNING 1`
        // A row replaced meanwhile (tenants add) was written under the current key already.
        outcome[swapped.length === 1 ? "reencrypted" : "current"].push(row.tenantId)
      }
      return outcome
    }).pipe(Effect.orDie)

    /**
     * How this tenant's order reports make an order's total (ReportOrders.ts `ReportTotalRule`), and why: null while
     * no order priced by both the Orders API and a report has told; 'none' when no rule gave the Orders API's totals.
     */
    const totalRule = (tenantId: string) =>
      sql<{ rule: ReportTotalRuleStored | null; reason: string | null }>`
        SELECT "reportTotalRule" AS "rule", "reportTotalRuleReason" AS "reason" FROM "OrderSyncTenant" WHERE "tenantId" = ${tenantId}`.pipe(
        Effect.orDie,
        Effect.map(([row]) => ({ rule: row?.rule ?? null, reason: row?.reason ?? null }))
      )

    /** Records the tenant's report total rule (in the caller's transaction); null, null forgets it (a restart). */
    const setTotalRule = (tenantId: string, rule: ReportTotalRuleStored | null, reason: string | null) =>
      sql`UPDATE "OrderSyncTenant" SET "reportTotalRule" = ${rule}, "reportTotalRuleReason" = ${reason}, "updatedAt" = now()
          WHERE "tenantId" = ${tenantId}`.pipe(Effect.asVoid, Effect.orDie)

    return { add, list, get, summaryOf, remove, park, unpark, reencrypt, totalRule, setTotalRule } as const
  }),
  dependencies: [Secrets.Default]
}) {}

/**
 * The tenants in this database other than `allowed`, read before migrations run (so also on an older or foreign
 * schema; none when ordersync's tables are not there yet). Demo mode refuses a database where this is not empty.
 */
export const tenantsBesides = (allowed: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [table] = yield* sql<{ exists: boolean }>`SELECT to_regclass('"OrderSyncTenant"') IS NOT NULL AS "exists"`
    if (!table?.exists) return []
    const rows = yield* sql<{ tenantId: string }>`SELECT "tenantId" FROM "OrderSyncTenant"
      WHERE NOT ("tenantId" = ANY(${[...allowed]}::text[])) ORDER BY "tenantId" LIMIT 20`
    return rows.map((row) => row.tenantId)
  }).pipe(Effect.orDie)
