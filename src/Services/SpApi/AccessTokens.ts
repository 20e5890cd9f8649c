import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Clock, Effect, Option, Redacted, Schema } from "effect"
import { AmazonRejected, AmazonUnavailable, CredentialsRevoked } from "../../Domain/Errors.js"
import { AmazonClock } from "./AmazonClock.js"
import { SpApiConfig } from "./SpApiConfig.js"

const TokenResponse = Schema.Struct({
  access_token: Schema.String,
  token_type: Schema.optional(Schema.String),
  expires_in: Schema.Number
})
const TokenError = Schema.Struct({ error: Schema.String, error_description: Schema.optional(Schema.String) })

interface Cached {
  readonly token: Redacted.Redacted
  readonly refreshAt: number
}

/** Login with Amazon: exchanges a tenant's refresh token for access tokens, cached until shortly before expiry. */
export class AccessTokens extends Effect.Service<AccessTokens>()("ordersync/AccessTokens", {
  effect: Effect.gen(function*() {
    const config = yield* SpApiConfig
    const http = yield* HttpClient.HttpClient
    const clock = yield* AmazonClock
    const cache = new Map<string, Cached>()

    const credentials = Effect.gen(function*() {
      if (Option.isNone(config.clientId) || Option.isNone(config.clientSecret)) {
        return yield* new AmazonRejected({
          operation: "lwa",
          status: 0,
          code: "MissingCredentials",
          reason: "LWA_CLIENT_ID and LWA_CLIENT_SECRET must be set to talk to Amazon"
        })
      }
      return { clientId: config.clientId.value, clientSecret: config.clientSecret.value }
    })

    const refresh = (tenantId: string, refreshToken: Redacted.Redacted) =>
      Effect.gen(function*() {
        const { clientId, clientSecret } = yield* credentials
        const request = HttpClientRequest.post(config.lwaEndpoint).pipe(
          HttpClientRequest.bodyUrlParams({
            grant_type: "refresh_token",
            refresh_token: Redacted.value(refreshToken),
            client_id: clientId,
            client_secret: Redacted.value(clientSecret)
          })
        )
        const sent = yield* Clock.currentTimeMillis
        const response = yield* http.execute(request).pipe(
          Effect.timeout(config.requestTimeout),
          Effect.mapError((e) => new AmazonUnavailable({ operation: "lwa", reason: e._tag === "TimeoutException" ? "timed out" : "network error" }))
        )
        yield* clock.observe("lwa", sent, yield* Clock.currentTimeMillis, response.headers["date"])
        const body = yield* response.json.pipe(
          Effect.mapError(() => new AmazonUnavailable({ operation: "lwa", reason: `unreadable response (HTTP ${response.status})` }))
        )
        if (response.status >= 500 || response.status === 429) {
          return yield* new AmazonUnavailable({ operation: "lwa", reason: `HTTP ${response.status}` })
        }
        if (response.status !== 200) {
          const error = Schema.decodeUnknownOption(TokenError)(body)
          const code = Option.match(error, { onNone: () => "unknown", onSome: (e) => e.error })
          if (code === "invalid_grant") {
            return yield* new CredentialsRevoked({
              reason: `the refresh token was refused (invalid_grant: ${
                Option.getOrElse(Option.flatMap(error, (e) => Option.fromNullable(e.error_description)), () => "revoked or invalid")
              }); re-authorise the seller and run: ordersync tenants add --tenant ${tenantId} ...`
            })
          }
          return yield* new AmazonRejected({ operation: "lwa", status: response.status, code, reason: "Login with Amazon refused the application's credentials (LWA_CLIENT_ID / LWA_CLIENT_SECRET)" })
        }
        const token = yield* Schema.decodeUnknown(TokenResponse)(body).pipe(
          Effect.mapError(() => new AmazonUnavailable({ operation: "lwa", reason: "malformed token response" }))
        )
        const now = yield* Clock.currentTimeMillis
        const lifetime = token.expires_in * 1000
        const cached: Cached = {
          token: Redacted.make(token.access_token),
          refreshAt: now + lifetime - Math.min(60_000, lifetime / 10)
        }
        cache.set(tenantId, cached)
        return cached.token
      })

    /** A valid access token for the tenant. */
    const get = (tenantId: string, refreshToken: Redacted.Redacted) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const cached = cache.get(tenantId)
        return cached && cached.refreshAt > now ? Effect.succeed(cached.token) : refresh(tenantId, refreshToken)
      })

    /** Amazon said the token expired: the next `get` fetches a new one. */
    const invalidate = (tenantId: string) => Effect.sync(() => cache.delete(tenantId))

    return { get, invalidate } as const
  })
}) {}
