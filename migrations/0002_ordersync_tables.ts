import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

// ordersync's own tables. All times are timestamptz; the seed's tables keep Prisma's TIMESTAMP(3) in UTC.
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // A tenant's Amazon connection. The refresh token is AES-256-GCM ciphertext, never plaintext.
  yield* sql`CREATE TABLE IF NOT EXISTS "OrderSyncTenant" (
    "tenantId" TEXT PRIMARY KEY CHECK (length("tenantId") BETWEEN 1 AND 200),
    "region" TEXT NOT NULL CHECK ("region" IN ('na', 'eu', 'fe')),
    "sellingPartnerId" TEXT,
    "marketplaceIds" TEXT[] NOT NULL,
    "refreshTokenCiphertext" TEXT NOT NULL,
    -- Set when Amazon refused the tenant's credentials: the daemon leaves it alone until it is triggered again.
    "parkedReason" TEXT,
    "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now()
  )`
  // One backfill run per tenant: the requested range and its counters.
  yield* sql`CREATE TABLE IF NOT EXISTS "OrderSyncBackfill" (
    "tenantId" TEXT PRIMARY KEY,
    "days" INTEGER NOT NULL,
    "rangeStart" TIMESTAMPTZ NOT NULL,
    "rangeEnd" TIMESTAMPTZ NOT NULL,
    "startedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "finishedAt" TIMESTAMPTZ,
    "ordersFetched" BIGINT NOT NULL DEFAULT 0,
    "pages" BIGINT NOT NULL DEFAULT 0,
    "requests" BIGINT NOT NULL DEFAULT 0,
    "throttled" BIGINT NOT NULL DEFAULT 0,
    "quarantined" BIGINT NOT NULL DEFAULT 0,
    "activeMillis" BIGINT NOT NULL DEFAULT 0
  )`
  // Checkpoints: a backfill's time windows. A window resumes from its page token, or, when that expired,
  // from the creation time of the last order committed in it.
  yield* sql`CREATE TABLE IF NOT EXISTS "OrderSyncWindow" (
    "tenantId" TEXT NOT NULL,
    "windowIndex" INTEGER NOT NULL,
    "startAt" TIMESTAMPTZ NOT NULL,
    "endAt" TIMESTAMPTZ NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'done')),
    -- The pagination in progress: its createdAfter (createdBefore is "endAt") and the next page's token.
    "queryStart" TIMESTAMPTZ NOT NULL,
    "pageToken" TEXT,
    -- Creation time of the last order committed in this window: where to restart when the token is refused.
    "resumeAfter" TIMESTAMPTZ,
    "pages" INTEGER NOT NULL DEFAULT 0,
    "orders" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY ("tenantId", "windowIndex")
  )`
  // Who drives a tenant. The epoch grows on every claim and fences every write of a run.
  yield* sql`CREATE TABLE IF NOT EXISTS "OrderSyncLease" (
    "tenantId" TEXT PRIMARY KEY,
    "owner" TEXT,
    "epoch" BIGINT NOT NULL DEFAULT 0,
    "expiresAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "heartbeatAt" TIMESTAMPTZ
  )`
  // Orders Amazon sent that could not be decoded: kept with the reason, never silently dropped.
  yield* sql`CREATE TABLE IF NOT EXISTS "OrderSyncQuarantine" (
    "id" BIGSERIAL PRIMARY KEY,
    "tenantId" TEXT NOT NULL,
    "externalOrderId" TEXT,
    "rawHash" TEXT NOT NULL,
    "raw" JSONB NOT NULL,
    "error" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE ("tenantId", "rawHash")
  )`
  // Tenant API tokens for the HTTP API: only a SHA-256 hash is stored.
  yield* sql`CREATE TABLE IF NOT EXISTS "OrderSyncApiToken" (
    "id" TEXT PRIMARY KEY,
    "tenantId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL UNIQUE,
    "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "revokedAt" TIMESTAMPTZ
  )`
})
