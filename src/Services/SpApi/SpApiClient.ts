import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Clock, Data, Duration, Effect, Either, ExecutionStrategy, Exit, Metric, Option, ParseResult, Redacted, Ref, Schedule, Schema, Scope } from "effect"
import {
  AccessTokenExpired,
  AmazonRejected,
  AmazonUnavailable,
  CredentialsRevoked,
  ListingBoundRefused,
  PageTokenRejected,
  QuotaExceeded,
  RoleMissing
} from "../../Domain/Errors.js"
import type { Region } from "../../Domain/Ids.js"
import { spApiRequests, spApiThrottled } from "../Metrics.js"
import type { Permits } from "../Permits.js"
import { AccessTokens } from "./AccessTokens.js"
import { AmazonClock } from "./AmazonClock.js"
import { REGION_HOSTS, SpApiConfig } from "./SpApiConfig.js"
import * as TokenBucket from "./TokenBucket.js"

/** What the client needs of a tenant. */
export interface SellerAuth {
  readonly tenantId: string
  readonly region: Region
  readonly refreshToken: Redacted.Redacted
}

export interface SpApiRequest {
  readonly operation: string
  /** GET unless said otherwise (createReport POSTs a JSON body, cancelReport DELETEs). */
  readonly method?: "GET" | "POST" | "DELETE"
  readonly body?: unknown
  readonly path: string
  readonly params: ReadonlyArray<readonly [string, string]>
  /** Set when the request continues a pagination: any 400 then means the token was refused, whatever its words. */
  readonly paginated: boolean
  /**
   * The listing's `*Before`, if it has one: a 400 to a request whose bound lies within the 2-minute rule of Amazon's
   * now is Amazon refusing the bound, whatever its words (the field's is a generic "The input you have submitted is
   * not valid…").
   */
  readonly listingBound?: Date
}

/**
 * Checks a 200 body's shape: a body that does not fit is a transient failure, retried like a cut-off one. It is given
 * the answer's text too, for a caller that stores parts of it as Amazon sent them (an order page's `raw`).
 */
export type BodyDecoder<A> = (body: unknown, text: string) => Either.Either<A, string>

/** A BodyDecoder from a Schema, its failure said as Schema's tree of what did not fit. */
export const schemaBody = <A, I>(schema: Schema.Schema<A, I>): BodyDecoder<A> => (body) =>
  Either.mapLeft(Schema.decodeUnknownEither(schema)(body), (e) => ParseResult.TreeFormatter.formatErrorSync(e))

export interface SpApiResponse<A> {
  readonly body: A
  /** Every attempt this call made, retries included, and how many of them were throttled. */
  readonly attempts: number
  readonly throttled: number
}

/** A process-wide budget of answers in memory, and the scope that gives a slot back when its answer is stored. */
export interface MemoryBudget {
  readonly budget: Permits
  readonly scope: Scope.Scope
}

export type SpApiError =
  | AmazonRejected
  | CredentialsRevoked
  | RoleMissing
  | PageTokenRejected
  | AmazonUnavailable
  | QuotaExceeded
  | ListingBoundRefused

/**
 * A 403 that is not "expired", before the client has told a refused token from a denied operation (see
 * `authenticated`). Internal: callers see CredentialsRevoked or RoleMissing.
 */
class AccessDenied extends Data.TaggedError("AccessDenied")<{ readonly code: string; readonly detail: string }> {}

/** Amazon names the access token when the token is what it refuses ("…is revoked, malformed or invalid"). */
const TOKEN_REFUSED = /access token/i

/** The role Amazon's role pages list an operation under, where ordersync knows it (the Reports API's is per report type). */
const ROLES: Readonly<Record<string, string>> = {
  searchOrders: "Inventory and Order Tracking",
  getOrders: "Inventory and Order Tracking",
  getOrder: "Inventory and Order Tracking",
  getOrderItems: "Inventory and Order Tracking"
}

/** What a second 403 in a row, with an access token Login with Amazon has just granted, means. */
const refusal = (operation: string, denied: AccessDenied): CredentialsRevoked | RoleMissing => {
  const said = `403 ${denied.code}${denied.detail === "" ? "" : ` "${denied.detail}"`}`
  if (TOKEN_REFUSED.test(denied.detail)) return new CredentialsRevoked({ reason: `${operation} was refused (${said})` })
  const role = ROLES[operation]
  return new RoleMissing({
    operation,
    reason: `${said} with a freshly granted access token: the application lacks the role ${
      role === undefined ? `that ${operation} requires` : `"${role}"`
    }, or the seller's authorisation does not include it (add the role to the application, then have the seller authorise it again)`
  })
}

/**
 * The call was not made, or was throttled, because the tenant must wait `millis` for its quota: asked for with
 * `parkAfter`, so that the caller waits with as little as possible held. `attempts` and `throttled` count the
 * requests this call did make.
 */
export class QuotaWait extends Data.TaggedError("QuotaWait")<{
  readonly millis: number
  readonly attempts: number
  readonly throttled: number
}> {}

export interface RequestOptions {
  /**
   * Instead of waiting longer than this for the quota (or retrying a 429), fail with QuotaWait. Without it, the call
   * waits for its turn and retries 429s itself.
   */
  readonly parkAfter?: Duration.Duration
}

// Read leniently: the field sends `"message": null`, and `details` null, missing or "" (see `firstError`).
const ErrorBody = Schema.Struct({
  errors: Schema.NonEmptyArray(Schema.Struct({
    code: Schema.optional(Schema.Unknown),
    message: Schema.optional(Schema.Unknown),
    details: Schema.optional(Schema.Unknown)
  }))
})

/** 200, 202 (createReport): an answer to decode. */
const ok = (status: number) => status >= 200 && status < 300

const text = (value: unknown): string => (typeof value === "string" ? value.trim() : "")

/**
 * Amazon's first error, its code and its words: whatever is not a string counts as absent, so that the code of
 * `{"errors":[{"message":null,"code":"InvalidInput"}]}` (v0 getOrders refusing a NextToken) survives.
 */
const firstError = (body: unknown): { readonly code: string; readonly detail: string } =>
  Option.match(Schema.decodeUnknownOption(ErrorBody)(body), {
    onNone: () => ({ code: "unknown", detail: "" }),
    onSome: ({ errors: [error] }) => ({
      code: text(error.code) || "unknown",
      detail: [text(error.message), text(error.details)].filter((part) => part !== "").join(" ")
    })
  })

/** One SP-API call: pacing by the tenant's bucket, LWA auth, error mapping, bounded jittered retry. */
export class SpApiClient extends Effect.Service<SpApiClient>()("ordersync/SpApiClient", {
  effect: Effect.gen(function*() {
    const config = yield* SpApiConfig
    const http = yield* HttpClient.HttpClient
    const tokens = yield* AccessTokens
    const clock = yield* AmazonClock
    const buckets = new Map<string, TokenBucket.TokenBucket>()

    const bucket = (tenantId: string, operation: string) =>
      Effect.suspend(() => {
        const key = `${tenantId}\u0000${operation}`
        const existing = buckets.get(key)
        if (existing) return Effect.succeed(existing)
        const plan = TokenBucket.DEFAULT_PLANS[operation] ?? { rate: 1, burst: 1 }
        return Effect.tap(
          TokenBucket.make({ ...plan, rate: plan.rate * config.rateScale }),
          (made) => Effect.sync(() => buckets.set(key, made))
        )
      })

    const baseUrl = (region: Region) => Option.getOrElse(config.endpoint, () => REGION_HOSTS[region]).replace(/\/+$/, "")

    // One tagged counter per operation and status, made once: tagging builds and hashes new metric keys.
    const counters = new Map<string, Metric.Metric.Counter<number>>()
    const count = (operation: string, status: number) =>
      Effect.suspend(() => {
        const key = `${operation} ${status}`
        let counter = counters.get(key)
        if (counter === undefined) {
          counter = Metric.tagged(Metric.tagged(spApiRequests, "operation", operation), "status", String(status))
          counters.set(key, counter)
        }
        return Metric.increment(counter)
      })

    const attempt = <A>(
      seller: SellerAuth,
      request: SpApiRequest,
      decode: BodyDecoder<A>,
      stats: Ref.Ref<{ attempts: number; throttled: number }>,
      gate: MemoryBudget | undefined
    ): Effect.Effect<A, SpApiError | AccessTokenExpired | AccessDenied> =>
      Effect.gen(function*() {
        const limiter = yield* bucket(seller.tenantId, request.operation)
        const queued = yield* Clock.currentTimeMillis
        yield* limiter.take
        const quotaWaitMs = (yield* Clock.currentTimeMillis) - queued
        // After the wait for our turn, which can be minutes: a token fetched before it could expire meanwhile.
        const accessToken = yield* tokens.get(seller.tenantId, seller.refreshToken)
        const { attempts } = yield* Ref.updateAndGet(stats, (s) => ({ ...s, attempts: s.attempts + 1 }))
        yield* Effect.annotateCurrentSpan({ attempt: attempts, quotaWaitMs })
        if (gate === undefined) return yield* exchange(seller, request, decode, stats, limiter, accessToken)
        // A slot of the caller's budget for answers in memory: kept on success, until the caller's scope closes
        // (it has stored the answer); given back as soon as this attempt fails, before any backoff.
        const slot = yield* Scope.fork(gate.scope, ExecutionStrategy.sequential)
        return yield* Effect.uninterruptibleMask((restore) =>
          restore(gate.budget.take).pipe(
            Effect.zipRight(Scope.addFinalizer(slot, gate.budget.release)),
            Effect.zipRight(restore(exchange(seller, request, decode, stats, limiter, accessToken))),
            Effect.onError(() => Scope.close(slot, Exit.void))
          )
        )
      }).pipe(
        // One span per attempt: never the URL or headers (the access token, a report document's signed URL).
        Effect.withSpan("spapi.request", {
          kind: "client",
          attributes: { tenantId: seller.tenantId, operation: request.operation, status: 0, throttled: false },
          captureStackTrace: false
        })
      )

    const exchange = <A>(
      seller: SellerAuth,
      request: SpApiRequest,
      decode: BodyDecoder<A>,
      stats: Ref.Ref<{ attempts: number; throttled: number }>,
      limiter: TokenBucket.TokenBucket,
      accessToken: Redacted.Redacted
    ) =>
      Effect.gen(function*() {
        const url = new URL(baseUrl(seller.region) + request.path)
        for (const [name, value] of request.params) url.searchParams.append(name, value)
        const sent = yield* Clock.currentTimeMillis
        const response = yield* http.execute(
          HttpClientRequest.make(request.method ?? "GET")(url).pipe(
            request.body === undefined ? (r) => r : HttpClientRequest.bodyUnsafeJson(request.body),
            HttpClientRequest.setHeaders({
              "x-amz-access-token": Redacted.value(accessToken),
              "user-agent": "ordersync/0.1 (Language=TypeScript)",
              accept: "application/json"
            })
          )
        ).pipe(
          Effect.flatMap((response) => Effect.map(response.text, (text) => ({ status: response.status, headers: response.headers, text }))),
          Effect.timeout(config.requestTimeout),
          Effect.catchAll((e) =>
            Effect.zipRight(
              count(request.operation, 0),
              Effect.fail(new AmazonUnavailable({
                operation: request.operation,
                reason: e._tag === "TimeoutException" ? "no answer within the request timeout" : "connection failed or body cut off"
              }))
            ))
        )
        yield* limiter.answered
        yield* Effect.annotateCurrentSpan({ status: response.status, throttled: response.status === 429 })
        yield* clock.observe(seller.region, sent, yield* Clock.currentTimeMillis, response.headers["date"])
        yield* count(request.operation, response.status)
        const body = yield* Effect.try(() => JSON.parse(response.text) as unknown).pipe(
          Effect.orElse(() =>
            ok(response.status) && response.text !== "" || response.status >= 500
              ? Effect.fail(new AmazonUnavailable({ operation: request.operation, reason: `malformed JSON body (HTTP ${response.status})` }))
              : Effect.succeed(undefined)
          )
        )
        const rate = Number(response.headers["x-amzn-ratelimit-limit"])
        if (rate > 0) yield* limiter.setRate(rate)
        const { code, detail } = firstError(body)
        const said = detail === "" ? code : `${code}: ${detail}`
        const boundTooRecent = response.status === 400 && request.listingBound !== undefined &&
          (yield* clock.tooRecent(seller.region, request.listingBound, sent))
        switch (true) {
          case ok(response.status):
            return yield* Either.match(decode(body, response.text), {
              onLeft: (reason) => Effect.fail(new AmazonUnavailable({ operation: request.operation, reason: `unexpected body: ${reason}` })),
              onRight: Effect.succeed
            })
          case response.status === 429:
            yield* limiter.drain
            yield* Metric.increment(spApiThrottled)
            yield* Ref.update(stats, (s) => ({ ...s, throttled: s.throttled + 1 }))
            return yield* new QuotaExceeded({ operation: request.operation })
          case response.status >= 500:
            return yield* new AmazonUnavailable({ operation: request.operation, reason: `HTTP ${response.status} ${code}` })
          case response.status === 403 && /expired/i.test(detail):
            return yield* new AccessTokenExpired()
          case response.status === 403:
            return yield* new AccessDenied({ code, detail })
          // Whatever the words (the field's are `message: null`, or "We could not decode your NextToken…"): the same
          // query without the token is valid, so the caller restarts it; a 400 that persists then fails as below.
          case response.status === 400 && request.paginated:
            return yield* new PageTokenRejected({ reason: `${request.operation} answered 400 ${said}` })
          case boundTooRecent:
            return yield* new ListingBoundRefused({ operation: request.operation, reason: `400 ${said}` })
          default:
            return yield* new AmazonRejected({ operation: request.operation, status: response.status, code, reason: detail })
        }
      })

    /**
     * Any 403 is answered by asking Login with Amazon for a new access token and trying once more. LWA refusing the
     * refresh token is the seller's authorisation gone (CredentialsRevoked, from AccessTokens). A fresh token refused
     * again tells its reason: "expired" again is transient; words about the access token ("…revoked, malformed or
     * invalid") are the credentials refused; anything else (the field: `details: ""`) is this operation denied to
     * good credentials, a role the application lacks (RoleMissing): the tenant is not parked for it.
     */
    const authenticated = <A>(
      seller: SellerAuth,
      request: SpApiRequest,
      decode: BodyDecoder<A>,
      stats: Ref.Ref<{ attempts: number; throttled: number }>,
      gate: MemoryBudget | undefined
    ): Effect.Effect<A, SpApiError> => {
      const again = tokens.invalidate(seller.tenantId).pipe(
        Effect.zipRight(attempt(seller, request, decode, stats, gate)),
        Effect.catchTags({
          AccessTokenExpired: () =>
            Effect.zipRight(
              tokens.invalidate(seller.tenantId),
              Effect.fail(new AmazonUnavailable({ operation: request.operation, reason: "access token expired again right after a refresh" }))
            ),
          AccessDenied: (denied) => Effect.zipRight(tokens.invalidate(seller.tenantId), Effect.fail(refusal(request.operation, denied)))
        })
      )
      return attempt(seller, request, decode, stats, gate).pipe(
        Effect.catchTags({ AccessTokenExpired: () => again, AccessDenied: () => again })
      )
    }

    const retrySchedule = Schedule.exponential(config.retryBase, 2).pipe(
      Schedule.jittered,
      Schedule.modifyDelay((delay) => Duration.min(delay, config.retryMax)),
      Schedule.intersect(Schedule.recurs(config.maxRetries))
    )

    /**
     * One call, retried. With `gate`, a successful answer holds one slot of the budget until `gate.scope` closes:
     * the budget bounds answers in memory across tenants, and is never held while a tenant waits for its quota or
     * a backoff.
     */
    const request = <A>(
      seller: SellerAuth,
      req: SpApiRequest,
      decode: BodyDecoder<A>,
      gate?: MemoryBudget,
      options: RequestOptions = {}
    ): Effect.Effect<SpApiResponse<A>, SpApiError | QuotaWait> =>
      Effect.gen(function*() {
        const parkAfter = options.parkAfter === undefined ? undefined : Duration.toMillis(options.parkAfter)
        const limiter = yield* bucket(seller.tenantId, req.operation)
        if (parkAfter !== undefined) {
          const millis = yield* limiter.waitMillis
          if (millis > parkAfter) return yield* new QuotaWait({ millis, attempts: 0, throttled: 0 })
        }
        const stats = yield* Ref.make({ attempts: 0, throttled: 0 })
        const retried = (error: SpApiError) => error._tag === "AmazonUnavailable" || (error._tag === "QuotaExceeded" && parkAfter === undefined)
        const body = yield* authenticated(seller, req, decode, stats, gate).pipe(
          Effect.tapError((error) => retried(error) ? Effect.logDebug(`${req.operation}: ${error._tag}, retrying`) : Effect.void),
          Effect.retry({ schedule: retrySchedule, while: retried }),
          Effect.catchTag("QuotaExceeded", (error): Effect.Effect<never, QuotaExceeded | QuotaWait> =>
            parkAfter === undefined
              ? Effect.fail(error)
              : Effect.flatMap(Effect.all([limiter.waitMillis, Ref.get(stats)]), ([millis, counted]) =>
                Effect.fail(new QuotaWait({ millis, ...counted })))),
          Effect.annotateLogs("operation", req.operation)
        )
        return { body, ...(yield* Ref.get(stats)) }
      })

    const plan = (tenantId: string, operation: string) => Effect.flatMap(bucket(tenantId, operation), (b) => b.plan)

    /** The tenant's plan for `operation` and the tokens it has left now (the planner's view of its quota). */
    const quota = (tenantId: string, operation: string) =>
      Effect.flatMap(bucket(tenantId, operation), (b) => Effect.map(Effect.all([b.plan, b.tokens]), ([plan, tokens]) => ({ ...plan, tokens })))

    /** Waits until the tenant's bucket for `operation` has a token, without taking it (see TokenBucket.ready). */
    const ready = (tenantId: string, operation: string) => Effect.flatMap(bucket(tenantId, operation), (b) => b.ready)

    /** One call that waits for its quota itself (no `parkAfter`), so it never ends with QuotaWait. */
    const call = <A>(seller: SellerAuth, req: SpApiRequest, decode: BodyDecoder<A>): Effect.Effect<SpApiResponse<A>, SpApiError> =>
      request(seller, req, decode).pipe(Effect.catchTag("QuotaWait", (wait) => Effect.die(wait)))

    /**
     * The latest `*Before` Amazon accepts: Amazon's now (from its Date headers) minus the 2-minute rule and a margin;
     * `widen` multiplies the margin, after Amazon refused a bound all the same. Without an answer from Amazon yet, a
     * token exchange with Login with Amazon tells its clock first (best effort: the first request reports a failure).
     */
    const listableUntil = (seller: SellerAuth, widen = 1) =>
      Effect.flatMap(clock.known(seller.region), (known) =>
        Effect.zipRight(
          known ? Effect.void : Effect.ignore(tokens.get(seller.tenantId, seller.refreshToken)),
          clock.listableUntil(seller.region, widen)
        ))

    return { request, call, plan, quota, ready, listableUntil } as const
  })
}) {}
