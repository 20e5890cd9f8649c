import { Command } from "@effect/cli"
import { Effect } from "effect"
import { migrate, SqlLive } from "../Services/Store/Database.js"

export const migrateCommand = Command.make("migrate", {}, () =>
  migrate.pipe(
    Effect.tap((applied) =>
      Effect.logInfo(applied.length === 0 ? "migrations: nothing to apply" : `migrations applied: ${applied.map(([id, name]) => `${id}_${name}`).join(", ")}`)
    ),
    Effect.provide(SqlLive)
  )).pipe(Command.withDescription("Apply the database migrations (idempotent; serve and the one-shot commands also apply them on start)."))
