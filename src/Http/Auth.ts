import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { ApiTokens, hashToken, sameHash } from "../Services/Store/ApiTokens.js"
import { apiError, Authentication, type Principal, Unauthorized } from "./Api.js"

/** Admin tokens, comma-separated so that a new one can be rolled out before the old one is removed. */
export const AdminTokensConfig = Config.redacted("ORDERSYNC_API_TOKEN").pipe(
  Config.map((value) => Redacted.value(value).split(",").map((t) => t.trim()).filter((t) => t.length > 0)),
  Config.withDefault([] as ReadonlyArray<string>)
)

const unauthorized = (message: string) =>
  Effect.fail(apiError(Unauthorized, "Unauthorized", message, "send Authorization: Bearer <token>"))

/** Admin tokens are compared digest to digest with timingSafeEqual, all of them every time; tenant tokens by digest. */
export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function*() {
    const admins = (yield* AdminTokensConfig).map(hashToken)
    const tokens = yield* ApiTokens
    return {
      bearer: (token) =>
        Effect.gen(function*() {
          // The platform takes whatever follows the first 7 characters; the scheme itself must be Bearer.
          const request = yield* HttpServerRequest.HttpServerRequest
          if (!/^bearer\s/i.test(request.headers["authorization"] ?? "")) {
            return yield* unauthorized("the Authorization scheme must be Bearer")
          }
          const presented = Redacted.value(token).trim()
          if (presented.length === 0) return yield* unauthorized("missing bearer token")
          const digest = hashToken(presented)
          const admin = admins.reduce((found, known) => sameHash(known, digest) || found, false)
          if (admin) return { _tag: "Admin" } satisfies Principal
          const tenant = yield* tokens.tenantOf(Redacted.make(presented))
          if (Option.isSome(tenant)) return { _tag: "Tenant", tenantId: tenant.value } satisfies Principal
          return yield* unauthorized("invalid or revoked token")
        })
    }
  })
)
