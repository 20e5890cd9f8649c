import { Cause, Logger, LogLevel, Option } from "effect"
import { Config, Effect, Layer } from "effect"

const isEmptyMessage = (message: unknown) =>
  message === undefined || message === "" || (Array.isArray(message) && message.length === 0)

/** What failed, in one line: the first failure, else the first defect (`Name: message`), else the cause in short. */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  const error = Option.isSome(failure) ? failure.value : Option.getOrUndefined(Cause.dieOption(cause))
  const kind = Option.isSome(failure) ? "failed" : "unexpected error"
  if (error instanceof Error) return `${kind}: ${error.name}: ${error.message || "(no message)"}`
  if (error !== undefined) return `${kind}: ${typeof error === "string" ? error : JSON.stringify(error) ?? String(error)}`
  return Cause.pretty(cause).split("\n")[0] || "failed"
}

/**
 * A cause logged without a message (the runtime logs a command's failure so) gets one that says what failed; the
 * cause, with its stack, stays in its own field.
 */
export const readable = <Message, Output>(logger: Logger.Logger<Message, Output>): Logger.Logger<Message, Output> =>
  Logger.mapInputOptions(logger, (options) =>
    isEmptyMessage(options.message) && !Cause.isEmpty(options.cause)
      ? { ...options, message: describeCause(options.cause) as Message }
      : options)

// Logs always go to stderr so that stdout carries only results (`--json`): pretty on a terminal, JSON lines otherwise.
export const LoggingLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const level = yield* Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))
    const logger = process.stderr.isTTY
      ? Logger.prettyLogger({ stderr: true, colors: "auto" })
      : Logger.withConsoleError(Logger.jsonLogger)
    return Layer.merge(Logger.replace(Logger.defaultLogger, readable(logger)), Logger.minimumLogLevel(level))
  })
)
