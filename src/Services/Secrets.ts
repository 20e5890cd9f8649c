import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Config, Effect, Option, Redacted } from "effect"
import { SecretKeyMismatch } from "../Domain/Errors.js"
import { makeFolderSync } from "./Store/Folders.js"

/** What to tell an operator who has no key yet. */
export const SECRET_KEY_HELP =
  "ORDERSYNC_SECRET_KEY encrypts the tenants' refresh tokens at rest and every replica needs the same one: make one " +
  "with `openssl rand -base64 32` and keep it in your secret store (without it every stored refresh token is unreadable)"

/** Placeholders copied from examples (deploy/kubernetes/secret.example.yaml says CHANGE-ME) instead of a real value. */
export const isPlaceholder = (value: string) =>
  /change[-_ ]?me|replace[-_ ]?me|placeholder|your[-_ ]?(key|token|secret)|^<.*>$|^x+$|^\*+$|^(secret|password|token)$/i
    .test(value.trim())

/**
 * A stored ciphertext is `version:keyId:iv:tag:body`. v2 keys come from scrypt over ORDERSYNC_SECRET_KEY; v1 (before
 * the KDF) was a bare SHA-256 of it, or the random key generated in the data directory: still read, never written.
 */
interface Key {
  readonly version: "v1" | "v2"
  readonly id: string
  readonly bytes: Buffer
}

// A fixed salt: the secret is per deployment already; scrypt's cost is what makes a guessable one expensive to try.
const SALT = "ordersync/refresh-tokens/v2"
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }

const keyId = (bytes: Buffer) => crypto.createHash("sha256").update(bytes).digest("hex").slice(0, 12)
const key = (version: Key["version"], bytes: Buffer): Key => ({ version, id: keyId(bytes), bytes })

// Tests and short-lived commands build Secrets many times over one key: derive it once per process.
const derived = new Map<string, Buffer>()

const v2Key = (secret: string) =>
  Effect.suspend(() => {
    const cacheKey = crypto.createHash("sha256").update(`${SALT}\0${secret}`).digest("hex")
    const known = derived.get(cacheKey)
    if (known !== undefined) return Effect.succeed(key("v2", known))
    return Effect.async<Key>((resume) =>
      crypto.scrypt(secret, SALT, 32, SCRYPT, (error, bytes) => {
        if (error) return resume(Effect.die(error))
        derived.set(cacheKey, bytes)
        resume(Effect.succeed(key("v2", bytes)))
      })
    )
  })

const v1Key = (secret: string) => key("v1", crypto.createHash("sha256").update(secret).digest())

const keyFile = (dataDir: string) => path.resolve(dataDir, "secret.key")

// The random key earlier versions generated when ORDERSYNC_SECRET_KEY was unset: read (v1 only), never made here.
const legacyFileKey = (dataDir: string): Option.Option<Key> => {
  try {
    return Option.some(key("v1", Buffer.from(fs.readFileSync(keyFile(dataDir), "utf8").trim(), "base64")))
  } catch {
    return Option.none()
  }
}

/**
 * Demo mode's throwaway ORDERSYNC_SECRET_KEY: random, kept in the data directory (created on first use) so that a
 * restarted demo still reads its own tenants.
 */
export const demoSecretKey = (dataDir: string): string => {
  const file = keyFile(dataDir)
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim()
  makeFolderSync(path.dirname(file), 0o755)
  const secret = crypto.randomBytes(32).toString("base64")
  // "wx": never overwrite a key another process just wrote.
  try {
    fs.writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" })
    return secret
  } catch {
    return fs.readFileSync(file, "utf8").trim()
  }
}

export const SecretsConfig = Config.all({
  secret: Config.option(Config.redacted("ORDERSYNC_SECRET_KEY")),
  // During a rotation: the key being retired, still accepted for decryption until `ordersync secrets rotate` ran.
  previous: Config.option(Config.redacted("ORDERSYNC_SECRET_KEY_PREVIOUS")),
  dataDir: Config.string("ORDERSYNC_DATA_DIR").pipe(Config.withDefault(".ordersync"))
})

/** AES-256-GCM for the tenants' refresh tokens at rest, under ORDERSYNC_SECRET_KEY (required). */
export class Secrets extends Effect.Service<Secrets>()("ordersync/Secrets", {
  effect: Effect.gen(function*() {
    const config = yield* SecretsConfig
    const secret = Option.getOrUndefined(Option.map(config.secret, Redacted.value))?.trim()
    if (secret === undefined || secret === "") return yield* Effect.dieMessage(`ORDERSYNC_SECRET_KEY is not set. ${SECRET_KEY_HELP}.`)
    if (isPlaceholder(secret)) {
      return yield* Effect.dieMessage(`ORDERSYNC_SECRET_KEY is a placeholder from an example, not a key. ${SECRET_KEY_HELP}.`)
    }
    const previous = Option.getOrUndefined(Option.map(config.previous, Redacted.value))?.trim()
    const current = yield* v2Key(secret)
    const readable: ReadonlyArray<Key> = [
      current,
      v1Key(secret),
      ...(previous ? [yield* v2Key(previous), v1Key(previous)] : []),
      ...Option.toArray(legacyFileKey(config.dataDir))
    ]

    const encrypt = (plaintext: Redacted.Redacted): string => {
      const iv = crypto.randomBytes(12)
      const cipher = crypto.createCipheriv("aes-256-gcm", current.bytes, iv)
      const body = Buffer.concat([cipher.update(Redacted.value(plaintext), "utf8"), cipher.final()])
      return [current.version, current.id, iv.toString("base64"), cipher.getAuthTag().toString("base64"), body.toString("base64")]
        .join(":")
    }

    const decrypt = (tenantId: string, stored: string): Effect.Effect<Redacted.Redacted, SecretKeyMismatch> =>
      Effect.try({
        try: () => {
          const [version, storedId, iv, tag, body] = stored.split(":")
          const found = readable.find((k) => k.version === version && k.id === storedId)
          if (found === undefined) throw new Error("key mismatch")
          const decipher = crypto.createDecipheriv("aes-256-gcm", found.bytes, Buffer.from(iv!, "base64"))
          decipher.setAuthTag(Buffer.from(tag!, "base64"))
          const plain = Buffer.concat([decipher.update(Buffer.from(body!, "base64")), decipher.final()])
          return Redacted.make(plain.toString("utf8"))
        },
        catch: () => new SecretKeyMismatch({ tenantId })
      })

    /** True when `stored` is under the current key and format: nothing for a rotation to do. */
    const isCurrent = (stored: string) => stored.startsWith(`${current.version}:${current.id}:`)

    return { encrypt, decrypt, isCurrent } as const
  })
}) {}
