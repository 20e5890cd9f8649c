import * as crypto from "node:crypto"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Option, Redacted } from "effect"
import { TenantNotFound } from "../../Domain/Errors.js"
import { isPlaceholder } from "../Secrets.js"

export interface ApiTokenInfo {
  readonly id: string
  readonly tenantId: string
  readonly createdAt: Date
  readonly revokedAt: Date | null
}

/** SHA-256 of a token, as stored and as compared (constant-time) against presented tokens. */
export const hashToken = (token: string): Buffer => crypto.createHash("sha256").update(token, "utf8").digest()

/** Equal-length digests compared without an early exit, so timing tells nothing about the token. */
export const sameHash = (a: Buffer, b: Buffer) => a.length === b.length && crypto.timingSafeEqual(a, b)

/** A fresh bearer token: a prefix that says what it is, then 256 random bits. */
export const newToken = (prefix: string) => `${prefix}_${crypto.randomBytes(32).toString("base64url")}`

/** The shortest admin token `serve` accepts: `openssl rand -hex 32` gives 64 characters. */
export const MIN_ADMIN_TOKEN_LENGTH = 32

/** Why an admin token (ORDERSYNC_API_TOKEN) is unfit to guard the API, or undefined when it is fine. */
export const weakAdminToken = (token: string): string | undefined => {
  if (isPlaceholder(token)) return "is a placeholder from an example, not a token"
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) return `has ${token.length} characters, fewer than ${MIN_ADMIN_TOKEN_LENGTH}`
  // Length alone lets "aaaa…" or "abab…" through.
  if (new Set(token).size < 8) return "repeats too few distinct characters to be random"
  return undefined
}

/** Tenant API tokens: only their SHA-256 is stored; the token itself is shown once, at creation. */
export class ApiTokens extends Effect.Service<ApiTokens>()("ordersync/ApiTokens", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const create = (tenantId: string) =>
      Effect.gen(function*() {
        const tenants = yield* sql`SELECT 1 FROM "OrderSyncTenant" WHERE "tenantId" = ${tenantId}`
        if (tenants.length === 0) return yield* new TenantNotFound({ tenantId })
        const id = `tok_${crypto.randomBytes(6).toString("hex")}`
        const token = newToken("ost")
        yield* sql`INSERT INTO "OrderSyncApiToken" ("id", "tenantId", "tokenHash")
          VALUES (${id}, ${tenantId}, ${hashToken(token).toString("hex")})`
        return { id, tenantId, token: Redacted.make(token) }
      }).pipe(Effect.catchTag("SqlError", Effect.die))

    /** True when the token existed and was not revoked yet. */
    const revoke = (id: string) =>
      sql`UPDATE "OrderSyncApiToken" SET "revokedAt" = now() WHERE "id" = ${id} AND "revokedAt" IS NULL RETURNING 1`.pipe(
        Effect.map((rows) => rows.length === 1),
        Effect.orDie
      )

    const list = (tenantId?: string) =>
      (tenantId === undefined
        ? sql<ApiTokenInfo>`SELECT "id", "tenantId", "createdAt", "revokedAt" FROM "OrderSyncApiToken" ORDER BY "tenantId", "createdAt"`
        : sql<ApiTokenInfo>`SELECT "id", "tenantId", "createdAt", "revokedAt" FROM "OrderSyncApiToken"
            WHERE "tenantId" = ${tenantId} ORDER BY "createdAt"`).pipe(Effect.orDie)

    /** The tenant a live token belongs to. The lookup is by digest, never by the token itself. */
    const tenantOf = (token: Redacted.Redacted<string>) =>
      Effect.gen(function*() {
        const digest = hashToken(Redacted.value(token))
        const rows = yield* sql<{ tenantId: string; tokenHash: string }>`SELECT "tenantId", "tokenHash" FROM "OrderSyncApiToken"
          WHERE "tokenHash" = ${digest.toString("hex")} AND "revokedAt" IS NULL`
        const row = rows[0]
        return row !== undefined && sameHash(Buffer.from(row.tokenHash, "hex"), digest)
          ? Option.some(row.tenantId)
          : Option.none<string>()
      }).pipe(Effect.orDie)

    return { create, revoke, list, tenantOf } as const
  })
}) {}
