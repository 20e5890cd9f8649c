import { Options } from "@effect/cli"
import { Console, Effect, Schema } from "effect"
import { TenantId } from "../Domain/Ids.js"

export const tenantOption = Options.text("tenant").pipe(
  Options.withSchema(TenantId),
  Options.withDescription("The tenant id, e.g. ecomlg-001.")
)

export const jsonOption = Options.boolean("json").pipe(
  Options.withDescription("Print exactly one JSON document on stdout (logs stay on stderr).")
)

export const printJson = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

/** Expected failures end the command with their message on stderr and a non-zero exit code, not a stack trace. */
export const reportFailure = <A, E extends { readonly _tag: string; readonly message: string }, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<void, never, R> =>
  self.pipe(
    Effect.asVoid,
    Effect.catchAll((error) =>
      Console.error(`ordersync: ${error.message || error._tag}`).pipe(
        Effect.zipRight(Effect.sync(() => {
          process.exitCode = 1
        }))
      )
    )
  )

export const encodeJson = <A, I>(schema: Schema.Schema<A, I>) => (value: A) => Schema.encodeSync(schema)(value)
