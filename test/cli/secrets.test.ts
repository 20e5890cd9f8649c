import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import { SqlFromUrl } from "../../src/Services/Store/Database.js"
import { freshDatabaseUrl } from "../support/Database.js"
import { ordersyncDone } from "../support/Process.js"

const tenantArgs = (tenant: string) => ["tenants", "add", "--tenant", tenant, "--region", "na", "--marketplace", "ATVPDKIKX0DER"]

// What the database holds for `tenantId`, read in this process under `settings`' keys.
const storedToken = (url: string, tenantId: string, settings: Record<string, string>) =>
  Effect.flatMap(Tenants, (tenants) => tenants.get(tenantId)).pipe(
    Effect.map((t) => Redacted.value(t.refreshToken)),
    Effect.provide(Tenants.Default.pipe(
      Layer.provideMerge(SqlFromUrl(url)),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(settings))))),
      Layer.orDie
    ))
  )

describe("refresh tokens kept off the command line, and the key's rotation", () => {
  it.scopedLive("tenants add reads the token from a file or stdin; secrets rotate moves every token to the new key", () =>
    Effect.gen(function*() {
      const url = yield* freshDatabaseUrl("secretscli")
      const env = { DATABASE_URL: url, ORDERSYNC_SECRET_KEY: "first-key-for-the-cli-test" }
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ordersync-token-"))
      const file = path.join(folder, "token")
      fs.writeFileSync(file, "Atzr|from-a-file\n", { mode: 0o600 })

      yield* Effect.promise(async () => {
        const help = await ordersyncDone(["tenants", "add", "--help"], {})
        expect(help.output).toContain("--refresh-token-file")
        expect(help.output).toMatch(/--refresh-token -/)

        const fromFile = await ordersyncDone([...tenantArgs("from-file"), "--refresh-token-file", file], env)
        expect(fromFile.code, fromFile.output).toBe(0)
        const fromStdin = await ordersyncDone([...tenantArgs("from-stdin"), "--refresh-token", "-"], env, undefined, "Atzr|from-stdin\n")
        expect(fromStdin.code, fromStdin.output).toBe(0)

        const neither = await ordersyncDone(tenantArgs("neither"), env)
        expect(neither.code).toBe(1)
        expect(neither.output).toMatch(/refresh token is missing: --refresh-token-file PATH, --refresh-token - \(stdin\)/)
        const both = await ordersyncDone([...tenantArgs("both"), "--refresh-token-file", file, "--refresh-token", "Atzr|x"], env)
        expect(both.code).toBe(1)
        const empty = await ordersyncDone([...tenantArgs("empty"), "--refresh-token", "-"], env, undefined, "\n")
        expect(empty.code).toBe(1)
        expect(empty.output).toMatch(/refresh token is empty/)
      })
      expect(yield* storedToken(url, "from-file", env)).toBe("Atzr|from-a-file")
      expect(yield* storedToken(url, "from-stdin", env)).toBe("Atzr|from-stdin")

      // The rotation as documented: every replica gets the new key with the old one as previous, then `secrets rotate`.
      const rotating = { DATABASE_URL: url, ORDERSYNC_SECRET_KEY: "second-key-for-the-cli-test", ORDERSYNC_SECRET_KEY_PREVIOUS: env.ORDERSYNC_SECRET_KEY }
      const rotated = yield* Effect.promise(() => ordersyncDone(["secrets", "rotate", "--json"], rotating))
      expect(rotated.code, rotated.output).toBe(0)
      expect(JSON.parse(rotated.stdout)).toEqual({ reencrypted: ["from-file", "from-stdin"], current: [], unreadable: [] })
      const after = { ORDERSYNC_SECRET_KEY: rotating.ORDERSYNC_SECRET_KEY }
      expect(yield* storedToken(url, "from-file", after)).toBe("Atzr|from-a-file")
      expect(yield* storedToken(url, "from-stdin", after)).toBe("Atzr|from-stdin")

      // Without the previous key the old tokens would be unreadable: rotate says so and changes nothing.
      const third = yield* Effect.promise(() => ordersyncDone(["secrets", "rotate"], { DATABASE_URL: url, ORDERSYNC_SECRET_KEY: "third-key-for-the-cli-test" }))
      expect(third.code).toBe(1)
      expect(third.output).toMatch(/2 refresh token\(s\) readable under neither ORDERSYNC_SECRET_KEY nor ORDERSYNC_SECRET_KEY_PREVIOUS.*from-file, from-stdin/)
      expect(yield* storedToken(url, "from-file", after)).toBe("Atzr|from-a-file")

      // And no command runs on the tenants without a key at all.
      const keyless = yield* Effect.promise(() => ordersyncDone(["tenants", "list"], { DATABASE_URL: url }))
      expect(keyless.code).toBe(1)
      expect(keyless.output).toMatch(/ORDERSYNC_SECRET_KEY is not set/)
    }))
})
