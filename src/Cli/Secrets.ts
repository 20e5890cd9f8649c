import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { EngineLive } from "../Services/Engine.js"
import { Tenants } from "../Services/Store/Tenants.js"
import { jsonOption, printJson } from "./Shared.js"

const rotate = Command.make("rotate", { json: jsonOption }, ({ json }) =>
  Effect.gen(function*() {
    const outcome = yield* (yield* Tenants).reencrypt
    if (json) yield* printJson(outcome)
    else {
      yield* Console.log(
        `refresh tokens re-encrypted under ORDERSYNC_SECRET_KEY: ${outcome.reencrypted.length}; already under it: ${outcome.current.length}`
      )
    }
    if (outcome.unreadable.length > 0) {
      yield* Console.error(
        `ordersync: ${outcome.unreadable.length} refresh token(s) readable under neither ORDERSYNC_SECRET_KEY nor ` +
          `ORDERSYNC_SECRET_KEY_PREVIOUS, left as they are: ${outcome.unreadable.join(", ")} (set the key they were stored ` +
          "with as ORDERSYNC_SECRET_KEY_PREVIOUS and run this again, or re-add those tenants)"
      )
      process.exitCode = 1
    }
  }).pipe(Effect.provide(EngineLive))).pipe(
    Command.withDescription(
      "Re-encrypt every stored refresh token under ORDERSYNC_SECRET_KEY (from ORDERSYNC_SECRET_KEY_PREVIOUS, or the " +
        "older formats). Run it once every replica has the new key and the previous one; then drop the previous one."
    )
  )

export const secretsCommand = Command.make("secrets").pipe(
  Command.withDescription("Manage the key that encrypts the tenants' refresh tokens (ORDERSYNC_SECRET_KEY)."),
  Command.withSubcommands([rotate])
)
