import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import { Secrets } from "../../src/Services/Secrets.js"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import { TestSql } from "../support/Database.js"

const configured = (settings: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({ ORDERSYNC_DATA_DIR: emptyDir, ...settings }))))

// No secret.key from an earlier version in here unless a test writes one.
const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), "ordersync-secrets-"))

// The Tenants store with its own Secrets, keyed by `settings`, over the test file's database.
const tenantsWith = (settings: Record<string, string>) => Layer.fresh(Tenants.Default).pipe(Layer.provide(configured(settings)))
const tenantsWithKey = (key: string) => tenantsWith({ ORDERSYNC_SECRET_KEY: key })

const addTenant = (tenantId: string, token: string) =>
  Effect.flatMap(Tenants, (tenants) =>
    tenants.add({ tenantId, region: "eu", marketplaceIds: ["A1PA6795UKMFR9"], sellingPartnerId: null, refreshToken: Redacted.make(token) }))

const tokenOf = (tenantId: string) =>
  Effect.flatMap(Tenants, (tenants) => tenants.get(tenantId)).pipe(Effect.map((t) => Redacted.value(t.refreshToken)))

const ciphertextOf = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ c: string }>`SELECT "refreshTokenCiphertext" AS c FROM "OrderSyncTenant" WHERE "tenantId" = ${tenantId}`).pipe(
    Effect.map((rows) => rows[0]!.c),
    Effect.orDie
  )

const setCiphertext = (tenantId: string, ciphertext: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`UPDATE "OrderSyncTenant" SET "refreshTokenCiphertext" = ${ciphertext} WHERE "tenantId" = ${tenantId}`).pipe(Effect.orDie)

// The format every version before the KDF wrote: v1, AES-256-GCM under a bare SHA-256 of the setting (or the raw key).
const v1Ciphertext = (key: Buffer, plaintext: string) => {
  const iv = crypto.randomBytes(12)
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv)
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
  const id = crypto.createHash("sha256").update(key).digest("hex").slice(0, 12)
  return ["v1", id, iv.toString("base64"), cipher.getAuthTag().toString("base64"), body.toString("base64")].join(":")
}

const defectOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.exit(effect), (exit) => Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "succeeded")

describe("refresh tokens at rest", () => {
  it.layer(TestSql)((it) => {
    it.effect("are encrypted, come back Redacted, and a wrong key is named as the cause", () =>
      Effect.gen(function*() {
        yield* addTenant("secretive", "Atzr|very-secret").pipe(Effect.provide(tenantsWithKey("key-one")))

        const stored = yield* ciphertextOf("secretive")
        expect(stored).not.toContain("very-secret")
        // Written in the KDF's format.
        expect(stored).toMatch(/^v2:[0-9a-f]{12}:/)

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

    it.effect("the key is derived with scrypt, not a bare SHA-256 of the setting", () =>
      Effect.gen(function*() {
        const secrets = yield* Secrets.pipe(Effect.provide(Layer.fresh(Secrets.Default).pipe(Layer.provide(configured({ ORDERSYNC_SECRET_KEY: "kdf-key" })))))
        const stored = secrets.encrypt(Redacted.make("Atzr|kdf"))
        const [, id, iv, tag, body] = stored.split(":")
        const derived = crypto.scryptSync("kdf-key", "ordersync/refresh-tokens/v2", 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 })
        expect(id).toBe(crypto.createHash("sha256").update(derived).digest("hex").slice(0, 12))
        const decipher = crypto.createDecipheriv("aes-256-gcm", derived, Buffer.from(iv!, "base64"))
        decipher.setAuthTag(Buffer.from(tag!, "base64"))
        expect(Buffer.concat([decipher.update(Buffer.from(body!, "base64")), decipher.final()]).toString()).toBe("Atzr|kdf")
      }))

    it.effect("v1 ciphertexts (SHA-256 of the setting, or the generated secret.key) still decrypt, and rotate moves them to v2", () =>
      Effect.gen(function*() {
        const legacyDir = fs.mkdtempSync(path.join(os.tmpdir(), "ordersync-legacy-"))
        const fileKey = crypto.randomBytes(32)
        fs.writeFileSync(path.join(legacyDir, "secret.key"), fileKey.toString("base64") + "\n")
        const settings = { ORDERSYNC_SECRET_KEY: "upgraded-key", ORDERSYNC_DATA_DIR: legacyDir }

        yield* addTenant("old-hashed", "placeholder").pipe(Effect.provide(tenantsWith(settings)))
        yield* addTenant("old-generated", "placeholder").pipe(Effect.provide(tenantsWith(settings)))
        yield* setCiphertext("old-hashed", v1Ciphertext(crypto.createHash("sha256").update("upgraded-key").digest(), "Atzr|hashed"))
        yield* setCiphertext("old-generated", v1Ciphertext(fileKey, "Atzr|generated"))

        yield* Effect.gen(function*() {
          expect(yield* tokenOf("old-hashed")).toBe("Atzr|hashed")
          expect(yield* tokenOf("old-generated")).toBe("Atzr|generated")
          const outcome = yield* Effect.flatMap(Tenants, (t) => t.reencrypt)
          expect(outcome.reencrypted).toEqual(expect.arrayContaining(["old-generated", "old-hashed"]))
          expect(outcome.unreadable).not.toContain("old-hashed")
        }).pipe(Effect.provide(tenantsWith(settings)))
        expect(yield* ciphertextOf("old-hashed")).toMatch(/^v2:/)
        expect(yield* ciphertextOf("old-generated")).toMatch(/^v2:/)

        // Now readable without the old file.
        fs.rmSync(legacyDir, { recursive: true, force: true })
        expect(yield* tokenOf("old-generated").pipe(Effect.provide(tenantsWithKey("upgraded-key")))).toBe("Atzr|generated")
      }))

    it.effect("rotation: the previous key still decrypts while `reencrypt` moves every token under the new one", () =>
      Effect.gen(function*() {
        yield* addTenant("rotating", "Atzr|rotating").pipe(Effect.provide(tenantsWithKey("old-key")))
        const during = { ORDERSYNC_SECRET_KEY: "new-key", ORDERSYNC_SECRET_KEY_PREVIOUS: "old-key" }
        const outcome = yield* Effect.gen(function*() {
          // Every replica reads both while the rotation runs.
          expect(yield* tokenOf("rotating")).toBe("Atzr|rotating")
          return yield* Effect.flatMap(Tenants, (t) => t.reencrypt)
        }).pipe(Effect.provide(tenantsWith(during)))
        expect(outcome.reencrypted).toContain("rotating")
        // The earlier tests' tenants, under keys this run does not know, are named and left alone.
        expect(outcome.unreadable).toContain("secretive")

        expect(yield* tokenOf("rotating").pipe(Effect.provide(tenantsWithKey("new-key")))).toBe("Atzr|rotating")
        const old = yield* Effect.flip(tokenOf("rotating").pipe(Effect.provide(tenantsWithKey("old-key"))))
        expect(old._tag).toBe("SecretKeyMismatch")
        // A second run has nothing to do.
        const again = yield* Effect.flatMap(Tenants, (t) => t.reencrypt).pipe(Effect.provide(tenantsWith(during)))
        expect(again.current).toContain("rotating")
        expect(again.reencrypted).toEqual([])
      }))

    it.effect("without ORDERSYNC_SECRET_KEY (or with the example's placeholder) nothing starts, and no key file is made", () =>
      Effect.gen(function*() {
        const missing = yield* defectOf(Effect.provide(Tenants, tenantsWith({})))
        expect(missing).toMatch(/ORDERSYNC_SECRET_KEY is not set.*openssl rand -base64 32/)
        expect(fs.existsSync(path.join(emptyDir, "secret.key"))).toBe(false)
        const placeholder = yield* defectOf(Effect.provide(Tenants, tenantsWithKey("CHANGE-ME")))
        expect(placeholder).toMatch(/ORDERSYNC_SECRET_KEY is a placeholder/)
      }))
  })
})
