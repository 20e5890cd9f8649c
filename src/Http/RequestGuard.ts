import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Option } from "effect"
import { Authentication } from "./Api.js"
import { clientAddress } from "./Auth.js"
import { AuthThrottle } from "./AuthThrottle.js"
import { respond } from "./Errors.js"

/**
 * Request bodies are small JSON documents: anything larger is refused before it is parsed. Generous, because a body
 * cut short by the limit can only be answered by closing the connection.
 */
export const MAX_BODY_BYTES = 8 * 1_048_576
/** Deeper JSON is refused before Schema sees it (its error report recurses through the whole value). */
export const MAX_JSON_DEPTH = 64

/** The deepest nesting of arrays and objects in a JSON text, counted without parsing it. */
export const jsonDepth = (text: string): number => {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 /* [ */ || c === 123 /* { */) deepest = Math.max(deepest, ++depth)
    else if (c === 93 /* ] */ || c === 125 /* } */) depth--
  }
  return deepest
}

const WITHOUT_BODY = new Set(["GET", "HEAD", "OPTIONS", "DELETE"])

/**
 * Before anything else: a client over its failed-authentication budget gets 429 with Retry-After, without a lookup.
 * Then a request with a body is authenticated before a byte of the body is read (a wrong token's 401 costs no
 * buffer); only then is the body checked: every body the API takes is JSON, so other media types (multipart, forms)
 * are 400, oversized bodies 413 and pathologically deep ones 400, all in Amazon's error shape.
 */
export const RequestGuardLive = HttpApiBuilder.middleware(Effect.gen(function*() {
  const authentication = yield* Authentication
  const throttle = yield* AuthThrottle
  const bearer = HttpApiBuilder.securityDecode(HttpApiSecurity.bearer)
  return (app) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      // Without credentials the answer is 401 whatever the body, and nothing to count; the route's middleware gives it.
      if (request.headers["authorization"] === undefined) return app
      return Effect.flatMap(throttle.retryAfter(clientAddress(request)), (wait) => {
        if (Option.isSome(wait)) {
          return Effect.succeed(respond(429, "QuotaExceeded", "too many failed authentications from this address", `retry after ${wait.value} s`, {
            "retry-after": String(wait.value)
          }))
        }
        if (WITHOUT_BODY.has(request.method)) return app
        return bearer.pipe(
          Effect.flatMap(authentication.bearer),
          Effect.matchEffect({
            onFailure: (error) => HttpServerResponse.json(error, { status: 401 }).pipe(Effect.orDie),
            onSuccess: () => {
              const mediaType = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
              if (mediaType !== "application/json") {
                return Effect.succeed(respond(400, "InvalidInput", "request bodies must be JSON", "send Content-Type: application/json"))
              }
              return request.text.pipe(
                HttpIncomingMessage.withMaxBodySize(Option.some(MAX_BODY_BYTES)),
                Effect.matchEffect({
                  onFailure: () =>
                    Effect.succeed(respond(413, "InvalidInput", "the request body is too large or could not be read", `at most ${MAX_BODY_BYTES} bytes`)),
                  onSuccess: (text) =>
                    jsonDepth(text) > MAX_JSON_DEPTH
                      ? Effect.succeed(respond(400, "InvalidInput", "the request body is nested too deeply", `at most ${MAX_JSON_DEPTH} levels`))
                      : app
                })
              )
            }
          })
        )
      })
    })
}))
