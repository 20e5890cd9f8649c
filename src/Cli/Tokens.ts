import { Command, Options } from "@effect/cli"
import { Console, Effect, Layer, Redacted } from "effect"
import { EngineLive } from "../Services/Engine.js"
import { ApiTokens } from "../Services/Store/ApiTokens.js"
import { jsonOption, printJson, reportFailure, tenantOption } from "./Shared.js"

const TokensLive = ApiTokens.Default.pipe(Layer.provideMerge(EngineLive))

const create = Command.make("create", { tenant: tenantOption, json: jsonOption }, ({ json, tenant }) =>
  Effect.gen(function*() {
    const created = yield* (yield* ApiTokens).create(tenant)
    const token = Redacted.value(created.token)
    if (json) return yield* printJson({ id: created.id, tenantId: created.tenantId, token })
    yield* Console.log(`token ${created.id} for tenant ${created.tenantId} (shown once; only its SHA-256 is stored):\n${token}`)
  }).pipe(reportFailure, Effect.provide(TokensLive))).pipe(
    Command.withDescription("Create an API token that sees and triggers one tenant only. Printed once.")
  )

const id = Options.text("id").pipe(Options.withDescription("The token id shown by `tokens create` or `tokens list` (tok_…)."))

const revoke = Command.make("revoke", { id }, ({ id }) =>
  Effect.gen(function*() {
    const revoked = yield* (yield* ApiTokens).revoke(id)
    if (revoked) return yield* Console.log(`token ${id} revoked`)
    yield* Console.error(`ordersync: no live token ${id}`)
    process.exitCode = 1
  }).pipe(Effect.provide(TokensLive))).pipe(Command.withDescription("Revoke a tenant API token at once."))

const list = Command.make("list", { tenant: tenantOption.pipe(Options.optional), json: jsonOption }, ({ json, tenant }) =>
  Effect.gen(function*() {
    const all = yield* (yield* ApiTokens).list(tenant._tag === "Some" ? tenant.value : undefined)
    if (json) return yield* printJson(all)
    if (all.length === 0) return yield* Console.log("no API tokens")
    for (const t of all) {
      yield* Console.log(`${t.id}\t${t.tenantId}\tcreated ${t.createdAt.toISOString()}${t.revokedAt ? `\tREVOKED ${t.revokedAt.toISOString()}` : ""}`)
    }
  }).pipe(Effect.provide(TokensLive))).pipe(Command.withDescription("List tenant API tokens (ids only, never the tokens)."))

export const tokensCommand = Command.make("tokens").pipe(
  Command.withDescription("Manage tenant API tokens for the HTTP API (admin tokens come from ORDERSYNC_API_TOKEN)."),
  Command.withSubcommands([create, revoke, list])
)
