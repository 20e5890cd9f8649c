import { Command } from "@effect/cli"
import { Effect } from "effect"
import { migrate, PgLive } from "../Services/Store/Database.js"

// On the bare client (PgLive, not SqlLive): SqlLive applies the migrations as it starts, leaving this run nothing to
// report.
export const migrateCommand = Command.make("migrate", {}, () =>
  migrate.pipe(
    Effect.tap((applied) =>
      Effect.logInfo(
        applied.length === 0
          ? "migrations: nothing to apply, the database is up to date"
          : `migrations applied: ${applied.map(([id, name]) => `${String(id).padStart(4, "0")}_${name}`).join(", ")}`
      )
    ),
    Effect.provide(PgLive)
  )).pipe(Command.withDescription("Apply the database migrations (idempotent; serve and the one-shot commands also apply them on start)."))
