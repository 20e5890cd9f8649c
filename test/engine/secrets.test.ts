import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import { TestSql } from "../support/Database.js"

// The Tenants store with its own Secrets, keyed by `key`, over the test file's database.
const tenantsWithKey = (key: string) =>
  Layer.fresh(Tenants.Default).pipe(
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["ORDERSYNC_SECRET_KEY", key]]))))
  )

describe("refresh tokens at rest", () => {
  it.layer(TestSql)((it) => {
    it.effect("are encrypted, come back Redacted, and a wrong key is named as the cause", () =>
      Effect.gen(function*() {
        yield* Effect.flatMap(Tenants, (tenants) =>
          tenants.add({
            tenantId: "secretive",
            region: "eu",
            marketplaceIds: ["A1PA6795UKMFR9"],
            sellingPartnerId: null,
            refreshToken: Redacted.make("Atzr|very-secret")
          })).pipe(Effect.provide(tenantsWithKey("key-one")))

        const sql = yield* SqlClient.SqlClient
        const [row] = yield* sql<{ refreshTokenCiphertext: string }>`SELECT "refreshTokenCiphertext" FROM "OrderSyncTenant"`
        expect(row!.refreshTokenCiphertext).not.toContain("very-secret")

        const back = yield* Effect.flatMap(Tenants, (tenants) => tenants.get("secretive")).pipe(Effect.provide(tenantsWithKey("key-one")))
        expect(Redacted.value(back.refreshToken)).toBe("Atzr|very-secret")
        expect(String(back.refreshToken)).not.toContain("very-secret")
        expect(JSON.stringify(back)).not.toContain("very-secret")

        const error = yield* Effect.flip(
          Effect.flatMap(Tenants, (tenants) => tenants.get("secretive")).pipe(Effect.provide(tenantsWithKey("key-two")))
        )
        expect(error._tag).toBe("SecretKeyMismatch")
        expect(error.message).toMatch(/encrypted under another key: set ORDERSYNC_SECRET_KEY/)
      }))
  })
})
