import * as crypto from "node:crypto"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Layer, Redacted } from "effect"
import { inject } from "vitest"
import { SqlFromUrl } from "../../src/Services/Store/Database.js"

const withDatabase = (url: string, name: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

/** Creates an empty database of its own on the test server and returns its URL. */
export const freshDatabaseUrl = (label = "t"): Effect.Effect<string> => {
  const admin = inject("adminDatabaseUrl")
  return Effect.gen(function*() {
    const name = `${label.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${crypto.randomBytes(5).toString("hex")}`
    const sql = yield* PgClient.PgClient
    yield* sql.unsafe(`CREATE DATABASE "${name}"`)
    return withDatabase(admin, name)
  }).pipe(
    Effect.scoped,
    Effect.provide(PgClient.layer({ url: Redacted.make(admin), maxConnections: 1 })),
    Effect.orDie
  )
}

/** A migrated database of the test file's own. */
export const TestSql = Layer.unwrapEffect(Effect.map(freshDatabaseUrl(), SqlFromUrl)).pipe(Layer.orDie)

/** Runs `effect` against the database at `url`. */
export const onDatabase = (url: string) =>
  Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 2 }))
