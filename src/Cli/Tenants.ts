import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import * as fs from "node:fs"
import { Console, Data, Effect, Option, Redacted, Schema } from "effect"
import { MarketplaceId, Region } from "../Domain/Ids.js"
import { EngineLive } from "../Services/Engine.js"
import { Tenants } from "../Services/Store/Tenants.js"
import { jsonOption, printJson, reportFailure, tenantOption } from "./Shared.js"

const refreshToken = Options.redacted("refresh-token").pipe(
  Options.optional,
  Options.withDescription(
    "The seller's LWA refresh token (Atzr|…), or - to read it from stdin (e.g. from your secret manager's CLI). " +
      "A token typed here stays in the shell's history and shows in ps: prefer - or --refresh-token-file. " +
      "Stored encrypted under ORDERSYNC_SECRET_KEY; never printed."
  )
)
const refreshTokenFile = Options.file("refresh-token-file", { exists: "yes" }).pipe(
  Options.optional,
  Options.withDescription("A file holding the seller's LWA refresh token (surrounding whitespace is ignored), instead of --refresh-token.")
)

class RefreshTokenInvalid extends Data.TaggedError("RefreshTokenInvalid")<{ readonly message: string }> {}

const readStdin = Effect.async<string, RefreshTokenInvalid>((resume) => {
  if (process.stdin.isTTY) process.stderr.write("paste the refresh token, then press Enter and Ctrl-D:\n")
  const chunks: Array<Buffer> = []
  process.stdin.on("data", (chunk: Buffer) => chunks.push(chunk))
  process.stdin.once("end", () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8"))))
  process.stdin.once("error", (error) => resume(Effect.fail(new RefreshTokenInvalid({ message: `cannot read stdin: ${error.message}` }))))
})

/** The refresh token from exactly one of --refresh-token TOKEN, --refresh-token - (stdin) or --refresh-token-file. */
const refreshTokenFrom = (given: Option.Option<Redacted.Redacted>, file: Option.Option<string>) =>
  Effect.gen(function*() {
    if (Option.isSome(given) && Option.isSome(file)) {
      return yield* new RefreshTokenInvalid({ message: "give --refresh-token or --refresh-token-file, not both" })
    }
    const text = Option.isSome(file)
      ? yield* Effect.try({
        try: () => fs.readFileSync(file.value, "utf8"),
        catch: (error) => new RefreshTokenInvalid({ message: `cannot read --refresh-token-file ${file.value}: ${String(error)}` })
      })
      : Option.isSome(given)
      ? Redacted.value(given.value) === "-" ? yield* readStdin : Redacted.value(given.value)
      : yield* new RefreshTokenInvalid({
        message: "the refresh token is missing: --refresh-token-file PATH, --refresh-token - (stdin) or --refresh-token TOKEN"
      })
    const token = text.trim()
    if (token.length === 0) return yield* new RefreshTokenInvalid({ message: "the refresh token is empty" })
    if (/\s/.test(token)) return yield* new RefreshTokenInvalid({ message: "the refresh token must be one token, without spaces or line breaks" })
    return Redacted.make(token)
  })
const region = Options.choice("region", Region.literals).pipe(
  Options.withDescription("The seller's SP-API region: na, eu or fe (selects the endpoint host).")
)
const marketplace = Options.text("marketplace").pipe(
  Options.atLeast(1),
  Options.mapEffect((ids) =>
    Effect.forEach(ids, (id) => Schema.decodeUnknown(MarketplaceId)(id)).pipe(
      Effect.mapError(() =>
        ValidationError.invalidValue(HelpDoc.p(`--marketplace: "${ids.join(", ")}" is not a marketplace id such as ATVPDKIKX0DER`))
      )
    )
  ),
  Options.withDescription("A marketplace id to sync, e.g. ATVPDKIKX0DER. Repeat for several.")
)
const sellingPartnerId = Options.text("selling-partner-id").pipe(
  Options.optional,
  Options.withDescription("The seller's selling partner id (informational).")
)

const add = Command.make("add", { tenant: tenantOption, refreshToken, refreshTokenFile, region, marketplace, sellingPartnerId }, (o) =>
  Effect.gen(function*() {
    // Read before the engine starts: a bad token costs no database.
    const token = yield* refreshTokenFrom(o.refreshToken, o.refreshTokenFile)
    yield* Effect.gen(function*() {
      const tenants = yield* Tenants
      yield* tenants.add({
        tenantId: o.tenant,
        region: o.region,
        marketplaceIds: o.marketplace,
        sellingPartnerId: Option.getOrNull(o.sellingPartnerId),
        refreshToken: token
      })
      yield* Console.log(`tenant ${o.tenant} connected (${o.region}, ${o.marketplace.join(", ")})`)
    }).pipe(Effect.provide(EngineLive))
  }).pipe(reportFailure)).pipe(
    Command.withDescription(
      "Connect a seller (or replace its connection) as a tenant. The refresh token comes from --refresh-token-file, " +
        "from stdin with --refresh-token -, or (visible in ps and shell history) as --refresh-token TOKEN."
    )
  )

const list = Command.make("list", { json: jsonOption }, ({ json }) =>
  Effect.gen(function*() {
    const all = yield* (yield* Tenants).list
    if (json) return yield* printJson(all)
    if (all.length === 0) return yield* Console.log("no tenants (add one with: ordersync tenants add …)")
    for (const t of all) {
      yield* Console.log(
        `${t.tenantId}\t${t.region}\t${t.marketplaceIds.join(",")}${t.parkedReason ? `\tPARKED: ${t.parkedReason}` : ""}`
      )
    }
  }).pipe(Effect.provide(EngineLive))).pipe(Command.withDescription("List the connected tenants (never their tokens)."))

const remove = Command.make("remove", { tenant: tenantOption }, ({ tenant }) =>
  Effect.gen(function*() {
    yield* (yield* Tenants).remove(tenant)
    yield* Console.log(`tenant ${tenant} removed (its orders stay in "Order")`)
  }).pipe(reportFailure, Effect.provide(EngineLive))).pipe(
    Command.withDescription("Disconnect a tenant: its credentials, checkpoints, lease and API tokens go; its orders stay.")
  )

export const tenantsCommand = Command.make("tenants").pipe(
  Command.withDescription("Manage the sellers (tenants) ordersync syncs."),
  Command.withSubcommands([add, list, remove])
)

