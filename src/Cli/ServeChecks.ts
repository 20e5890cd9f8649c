import { Config, Console, Data, Effect, Option, Redacted } from "effect"
import { AdminTokensConfig } from "../Http/Auth.js"
import { isPlaceholder, SECRET_KEY_HELP } from "../Services/Secrets.js"
import { weakAdminToken } from "../Services/Store/ApiTokens.js"

/** `serve` will not start: each problem says what to set. */
export class ServeRefused extends Data.TaggedError("ServeRefused")<{
  readonly problems: ReadonlyArray<string>
  readonly hint?: string
}> {
  override get message() {
    return this.problems.join("; ")
  }
}

export const DEMO_HINT = "For the zero-setup demo on the bundled Amazon simulator instead: npm start (that is, ordersync serve --demo)."

const setting = (name: string) =>
  Config.option(Config.redacted(name)).pipe(
    Config.map(Option.map((value) => Redacted.value(value).trim())),
    Config.map(Option.filter((value) => value.length > 0))
  )

/** ORDERSYNC_API_TOKEN's tokens that are placeholders, short or repetitive (checked in demo mode too). */
export const adminTokenProblems = Effect.map(AdminTokensConfig, (tokens) =>
  tokens.flatMap((token, index) => {
    const weak = weakAdminToken(token)
    const which = tokens.length > 1 ? `ORDERSYNC_API_TOKEN's token #${index + 1}` : "ORDERSYNC_API_TOKEN"
    return weak === undefined ? [] : [`${which} ${weak}: make one with \`openssl rand -hex 32\``]
  }))

/** What a real (non-demo) `serve` lacks: Amazon's credentials, the secret key, strong admin tokens. */
export const productionProblems = Effect.gen(function*() {
  const problems: Array<string> = []
  const lwa = [
    ["LWA_CLIENT_ID", yield* setting("LWA_CLIENT_ID")],
    ["LWA_CLIENT_SECRET", yield* setting("LWA_CLIENT_SECRET")]
  ] as const
  const missing = lwa.filter(([, value]) => Option.isNone(value)).map(([name]) => name)
  if (missing.length > 0) {
    problems.push(
      `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set: your SP-API application's Login with Amazon ` +
        "credentials (Seller Central, Develop Apps, View LWA credentials)"
    )
  }
  for (const [name, value] of lwa) {
    if (Option.isSome(value) && isPlaceholder(value.value)) problems.push(`${name} is a placeholder from an example: set the real value`)
  }
  const key = yield* setting("ORDERSYNC_SECRET_KEY")
  if (Option.isNone(key)) problems.push(`ORDERSYNC_SECRET_KEY is not set: ${SECRET_KEY_HELP}`)
  else if (isPlaceholder(key.value)) problems.push(`ORDERSYNC_SECRET_KEY is a placeholder from an example: ${SECRET_KEY_HELP}`)
  problems.push(...yield* adminTokenProblems)
  return problems
})

/** The refusal, on stderr, one problem a line; exit code 1. */
export const reportRefusal = (refused: ServeRefused) =>
  Console.error(
    ["ordersync serve cannot start:", ...refused.problems.map((p) => `  - ${p}`), ...(refused.hint ? [refused.hint] : [])].join("\n")
  ).pipe(
    Effect.zipRight(Effect.sync(() => {
      process.exitCode = 1
    }))
  )
