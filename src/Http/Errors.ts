import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiError from "@effect/platform/HttpApiError"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Effect, Option } from "effect"
import {
  Api,
  BadRequest,
  Conflict,
  ErrorEntry,
  Forbidden,
  InternalFailure,
  NotFound,
  ServiceUnavailable,
  Unauthorized
} from "./Api.js"

export const respond = (status: number, code: string, message: string, details = "", headers: Record<string, string> = {}) =>
  HttpServerResponse.unsafeJson({ errors: [new ErrorEntry({ code, message, details })] }, { status, headers })

const statuses: ReadonlyArray<readonly [abstract new(...args: never) => unknown, number]> = [
  [BadRequest, 400],
  [Unauthorized, 401],
  [Forbidden, 403],
  [NotFound, 404],
  [Conflict, 409],
  [InternalFailure, 500],
  [ServiceUnavailable, 503]
]

const statusOf = (error: unknown) => statuses.find(([Class]) => error instanceof Class)?.[1]

const tagOf = (u: unknown) => typeof u === "object" && u !== null && "_tag" in u ? (u as { _tag: unknown })._tag : undefined

/**
 * Every answer the handlers do not give themselves still comes out as Amazon-style JSON: schema failures and bodies
 * that are not JSON are 400 (before anything changes), unknown paths 404, and anything unexpected a logged 500.
 */
export const ErrorShapeLive = HttpApiBuilder.middleware(Api, (app) =>
  Effect.catchAllCause(app, (cause) => {
    if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure)) {
      const error = failure.value as unknown
      if (error instanceof HttpApiError.HttpApiDecodeError) {
        const details = error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(request)"}: ${i.message}`).join("; ")
        return Effect.succeed(respond(400, "InvalidInput", "the request does not match the schema", details))
      }
      if (tagOf(error) === "RouteNotFound") {
        return Effect.succeed(respond(404, "NotFound", "no such resource", "see /docs for the API"))
      }
      // Our own error classes are structurally alike, so their status comes from their class, not a schema match.
      const status = statusOf(error)
      if (status !== undefined) return HttpServerResponse.json(error, { status }).pipe(Effect.orDie)
      return Effect.failCause(cause)
    }
    const defect = Cause.squash(cause)
    if (tagOf(defect) === "RequestError") {
      return Effect.succeed(respond(400, "InvalidInput", "the request body could not be read as JSON", String((defect as Error).message ?? "")))
    }
    return Effect.logError("unexpected failure while answering a request", cause).pipe(
      Effect.as(respond(500, "InternalFailure", "an unexpected error occurred; it was logged"))
    )
  }))
