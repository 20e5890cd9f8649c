import { Logger, LogLevel } from "effect"
import { Config, Effect, Layer } from "effect"

// Logs always go to stderr so that stdout carries only results (`--json`): pretty on a terminal, JSON lines otherwise.
export const LoggingLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const level = yield* Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))
    const logger = process.stderr.isTTY
      ? Logger.prettyLogger({ stderr: true, colors: "auto" })
      : Logger.withConsoleError(Logger.jsonLogger)
    return Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(level))
  })
)
