import { Command, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Layer } from "effect"
import { backfillCommand, syncCommand } from "./Cli/Backfill.js"
import { LoggingLive } from "./Cli/Logging.js"
import { migrateCommand } from "./Cli/Migrate.js"
import { simulateCommand } from "./Cli/Simulate.js"
import { secretsCommand } from "./Cli/Secrets.js"
import { serveCommand } from "./Cli/Serve.js"
import { tenantsCommand } from "./Cli/Tenants.js"
import { tokensCommand } from "./Cli/Tokens.js"
import { TracingLive } from "./Services/Tracing.js"

const ordersync = Command.make("ordersync").pipe(
  Command.withDescription(
    "Backfills a year of Amazon orders for every tenant into PostgreSQL and keeps them current with delta syncs."
  ),
  Command.withSubcommands([
    serveCommand,
    migrateCommand,
    tenantsCommand,
    backfillCommand,
    syncCommand,
    tokensCommand,
    secretsCommand,
    simulateCommand
  ])
)

const cli = Command.run(ordersync, { name: "ordersync", version: "0.1.0" })

cli(process.argv).pipe(
  // @effect/cli has already printed what was wrong with the arguments.
  Effect.catchIf(ValidationError.isValidationError, () => Effect.sync(() => (process.exitCode = 2))),
  Effect.provide(Layer.mergeAll(NodeContext.layer, LoggingLive, TracingLive)),
  NodeRuntime.runMain({
    disablePrettyLogger: true,
    // A command may have set its own exit code (130 after Ctrl-C, 1 after a reported failure).
    teardown: (exit, onExit) =>
      onExit(
        Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ? 1 : Number(process.exitCode ?? 0)
      )
  })
)
