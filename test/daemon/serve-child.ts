// `ordersync serve` from the TypeScript sources, for the child-process tests (no build needed).
import { Command } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer } from "effect"
import { LoggingLive } from "../../src/Cli/Logging.js"
import { serveCommand } from "../../src/Cli/Serve.js"

Command.run(serveCommand, { name: "ordersync", version: "test" })(["node", "ordersync"]).pipe(
  Effect.provide(Layer.merge(NodeContext.layer, LoggingLive)),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
