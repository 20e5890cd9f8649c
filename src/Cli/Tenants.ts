import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Console, Effect, Option, Schema } from "effect"
import { MarketplaceId, Region } from "../Domain/Ids.js"
import { EngineLive } from "../Services/Engine.js"
import { Tenants } from "../Services/Store/Tenants.js"
import { jsonOption, printJson, reportFailure, tenantOption } from "./Shared.js"

const refreshToken = Options.redacted("refresh-token").pipe(
  Options.withDescription("The seller's LWA refresh token (Atzr|…). Stored encrypted; never printed.")
)
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

const add = Command.make("add", { tenant: tenantOption, refreshToken, region, marketplace, sellingPartnerId }, (o) =>
  Effect.gen(function*() {
    const tenants = yield* Tenants
    yield* tenants.add({
      tenantId: o.tenant,
      region: o.region,
      marketplaceIds: o.marketplace,
      sellingPartnerId: Option.getOrNull(o.sellingPartnerId),
      refreshToken: o.refreshToken
    })
    yield* Console.log(`tenant ${o.tenant} connected (${o.region}, ${o.marketplace.join(", ")})`)
  }).pipe(Effect.provide(EngineLive))).pipe(
    Command.withDescription("Connect a seller (or replace its connection) as a tenant.")
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

