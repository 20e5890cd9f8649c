import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { ApiTokens, hashToken, sameHash } from "../Services/Store/ApiTokens.js"
import { apiError, Authentication, type Principal, Unauthorized } from "./Api.js"
import { AuthThrottle } from "./AuthThrottle.js"

/** Admin tokens, comma-separated so that a new one can be rolled out before the old one is removed. */
export const AdminTokensConfig = Config.redacted("ORDERSYNC_API_TOKEN").pipe(
  Config.map((value) => Redacted.value(value).split(",").map((t) => t.trim()).filter((t) => t.length > 0)),
  Config.withDefault([] as ReadonlyArray<string>)
)

const unauthorized = (message: string) => apiError(Unauthorized, "Unauthorized", message, "send Authorization: Bearer <token>")

/** The address failures are counted against: the peer of the connection. */
export const clientAddress = (request: HttpServerRequest.HttpServerRequest) => Option.getOrElse(request.remoteAddress, () => "unknown")

/**
 * Admin tokens are compared digest to digest with timingSafeEqual, all of them every time; tenant tokens by digest.
 * Every failure counts against the client's address (AuthThrottle). The request guard authenticates a request with a
 * body before reading it, so the principal is kept with the request and the route's middleware does not look it up
 * again.
 */
export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function*() {
    const admins = (yield* AdminTokensConfig).map(hashToken)
    const tokens = yield* ApiTokens
    const throttle = yield* AuthThrottle
    const known = new WeakMap<object, Principal>()

    const principalOf = (request: HttpServerRequest.HttpServerRequest, token: Redacted.Redacted) =>
      Effect.gen(function*() {
        // The platform takes whatever follows the first 7 characters; the scheme itself must be Bearer.
        if (!/^bearer\s/i.test(request.headers["authorization"] ?? "")) {
          return yield* Effect.fail(unauthorized("the Authorization scheme must be Bearer"))
        }
        const presented = Redacted.value(token).trim()
        if (presented.length === 0) return yield* Effect.fail(unauthorized("missing bearer token"))
        const digest = hashToken(presented)
        const admin = admins.reduce((found, known) => sameHash(known, digest) || found, false)
        if (admin) return { _tag: "Admin" } satisfies Principal as Principal
        const tenant = yield* tokens.tenantOf(Redacted.make(presented))
        if (Option.isSome(tenant)) return { _tag: "Tenant", tenantId: tenant.value } satisfies Principal as Principal
        return yield* Effect.fail(unauthorized("invalid or revoked token"))
      })

    return {
      bearer: (token) =>
        Effect.gen(function*() {
          const request = yield* HttpServerRequest.HttpServerRequest
          const already = known.get(request.source as object)
          if (already !== undefined) return already
          const principal = yield* principalOf(request, token).pipe(
            Effect.tapError(() => throttle.failed(clientAddress(request)))
          )
          known.set(request.source as object, principal)
          return principal
        })
    }
  })
)
