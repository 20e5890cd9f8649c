import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Redacted } from "effect"
import { TenantNotFound } from "../../Domain/Errors.js"
import type { Region } from "../../Domain/Ids.js"
import { TRIGGER_CHANNEL } from "../Daemon/Triggers.js"
import { Secrets } from "../Secrets.js"

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

    return { add, list, get, summaryOf, remove, park, unpark } as const
  }),
  dependencies: [Secrets.Default]
}) {}
