import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Config, Effect, Option, Redacted } from "effect"
import { SecretKeyMismatch } from "../Domain/Errors.js"
import { makeFolderSync } from "./Store/Folders.js"

const VERSION = "v1"

const keyId = (key: Buffer) => crypto.createHash("sha256").update(key).digest("hex").slice(0, 12)

// ORDERSYNC_SECRET_KEY is any string (hashed to 256 bits); without it a random key is kept in the data directory.
const loadKey = (secret: Option.Option<Redacted.Redacted>, dataDir: string): Buffer => {
  if (Option.isSome(secret)) {
    return crypto.createHash("sha256").update(Redacted.value(secret.value)).digest()
  }
  const file = path.resolve(dataDir, "secret.key")
  if (fs.existsSync(file)) return Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64")
  makeFolderSync(path.dirname(file), 0o755)
  const key = crypto.randomBytes(32)
  // "wx": never overwrite a key another process just wrote.
  try {
    fs.writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" })
    return key
  } catch {
    return Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64")
  }
}

/** AES-256-GCM for the tenants' refresh tokens at rest. */
export class Secrets extends Effect.Service<Secrets>()("ordersync/Secrets", {
  effect: Effect.gen(function*() {
    const secret = yield* Config.option(Config.redacted("ORDERSYNC_SECRET_KEY"))
    const dataDir = yield* Config.string("ORDERSYNC_DATA_DIR").pipe(Config.withDefault(".ordersync"))
    const key = yield* Effect.sync(() => loadKey(secret, dataDir))
    const id = keyId(key)

    const encrypt = (plaintext: Redacted.Redacted): string => {
      const iv = crypto.randomBytes(12)
      const cipher = crypto.createCipheriv("aes-256-gcm", key, iv)
      const body = Buffer.concat([cipher.update(Redacted.value(plaintext), "utf8"), cipher.final()])
      return [VERSION, id, iv.toString("base64"), cipher.getAuthTag().toString("base64"), body.toString("base64")].join(":")
    }

    const decrypt = (tenantId: string, stored: string): Effect.Effect<Redacted.Redacted, SecretKeyMismatch> =>
      Effect.try({
        try: () => {
          const [version, storedId, iv, tag, body] = stored.split(":")
          if (version !== VERSION || storedId !== id) throw new Error("key mismatch")
          const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(iv!, "base64"))
          decipher.setAuthTag(Buffer.from(tag!, "base64"))
          const plain = Buffer.concat([decipher.update(Buffer.from(body!, "base64")), decipher.final()])
          return Redacted.make(plain.toString("utf8"))
        },
        catch: () => new SecretKeyMismatch({ tenantId })
      })

    return { encrypt, decrypt } as const
  })
}) {}
