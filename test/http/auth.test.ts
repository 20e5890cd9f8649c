import * as http from "node:http"
import * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option, TestClock } from "effect"
import { AuthThrottle, clientKey, MAX_CLIENTS } from "../../src/Http/AuthThrottle.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers } from "../support/Engine.js"
import { ADMIN_TOKENS, apiFor, baseUrl } from "./support.js"

const RUN = "/api/v1/orders/sync/backfill/run"
const BODY_BYTES = 7 * 1_048_576

/**
 * Sends a POST's headers (announcing a 7 MiB body) and its first kilobyte, then waits for the status line: the
 * answer must come while the rest of the body is still unsent.
 */
const statusBeforeBody = (url: string, token: string, withinMs = 5_000) =>
  Effect.promise(() =>
    new Promise<number | "no answer before the body">((resolve) => {
      const { hostname, port } = new URL(url)
      const socket = net.connect(Number(port), hostname)
      let answer = ""
      const timer = setTimeout(() => {
        socket.destroy()
        resolve("no answer before the body")
      }, withinMs)
      socket.on("connect", () => {
        socket.write(
          `POST ${RUN} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${BODY_BYTES}\r\n\r\n` + `{"tenantId":"alpha","x":"${"a".repeat(1000)}`
        )
      })
      socket.on("data", (chunk) => {
        answer += String(chunk)
        const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)
        if (status) {
          clearTimeout(timer)
          socket.destroy()
          resolve(Number(status[1]))
        }
      })
      socket.on("error", () => undefined)
    })
  )

interface Answer {
  readonly status: number
  readonly retryAfter: string | undefined
  readonly body: string
}

/** A request from a chosen loopback address (127.0.0.0/8 is all local), so that tests can be several clients. */
const from = (localAddress: string, url: string, path: string, token: string, init: { method?: string; body?: string } = {}) =>
  Effect.promise(() =>
    new Promise<Answer>((resolve, reject) => {
      const request = http.request(url + path, {
        method: init.method ?? "GET",
        localAddress,
        headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
        agent: false
      }, (response) => {
        let body = ""
        response.on("data", (chunk) => (body += String(chunk)))
        response.on("end", () => resolve({ status: response.statusCode!, retryAfter: response.headers["retry-after"] as string | undefined, body }))
      })
      request.on("error", reject)
      request.end(init.body)
    })
  )

const seller = { sellerId: "alpha", refreshToken: "Atzr|alpha", marketplaceIds: ["ATVPDKIKX0DER"] as [string], orders: 10, seed: 1 }

describe("authentication before the body, and failed authentications throttled per client", () => {
  it.scopedLive("a wrong token is answered 401 before its body is sent; a right one is read as before", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [seller] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const url = yield* baseUrl
        expect(yield* statusBeforeBody(url, "wrong-token")).toBe(401)
        // The admin token's request waits for its body, as it must: no answer within the deadline.
        expect(yield* statusBeforeBody(url, ADMIN_TOKENS[0], 1_000)).toBe("no answer before the body")
        const paused = yield* from("127.0.0.1", url, "/api/v1/orders/sync/backfill/pause", ADMIN_TOKENS[0], {
          method: "POST",
          body: JSON.stringify({ tenantId: "alpha" })
        })
        expect(paused.status).toBe(200)
      }).pipe(Effect.provide(apiFor(sim)))
    }))

  it.scopedLive("a client past its failures gets 429 with Retry-After, before any lookup; other clients are untouched", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [seller] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const url = yield* baseUrl
        const list = "/api/v1/orders/sync/backfill"
        const statuses: Array<number> = []
        for (let i = 0; i < 5; i++) statuses.push((yield* from("127.0.0.2", url, list, `guess-${i}`)).status)
        // Failures with a body count the same (and are answered before the body).
        statuses.push((yield* from("127.0.0.2", url, RUN, "guess-post", { method: "POST", body: `{"tenantId":"alpha"}` })).status)
        expect(statuses).toEqual([401, 401, 401, 401, 401, 401])
        const refused = yield* from("127.0.0.2", url, list, "guess-7")
        expect(refused.status).toBe(429)
        expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1)
        expect(Number(refused.retryAfter)).toBeLessThanOrEqual(10)
        expect(JSON.parse(refused.body)).toEqual({ errors: [expect.objectContaining({ code: "QuotaExceeded" })] })
        // Even the right token: a guess that happened to be right must not be told apart from a wrong one.
        expect((yield* from("127.0.0.2", url, list, ADMIN_TOKENS[0])).status).toBe(429)
        expect((yield* from("127.0.0.2", url, RUN, ADMIN_TOKENS[0], { method: "POST", body: `{"tenantId":"alpha"}` })).status).toBe(429)
        // Another client, with its own failures below the budget, is served.
        expect((yield* from("127.0.0.3", url, list, "one-typo")).status).toBe(401)
        expect((yield* from("127.0.0.3", url, list, ADMIN_TOKENS[0])).status).toBe(200)
        expect((yield* from("127.0.0.1", url, list, ADMIN_TOKENS[1])).status).toBe(200)
        // Whatever the route: a blocked client presenting credentials is not served until its Retry-After.
        expect((yield* from("127.0.0.2", url, "/health", "x")).status).toBe(429)
      }).pipe(Effect.provide(apiFor(sim, { ORDERSYNC_AUTH_FAILURES_PER_MINUTE: "6" })))
    }))
})

describe("AuthThrottle", () => {
  const throttle = (perMinute: number) =>
    Effect.provide(AuthThrottle, AuthThrottle.Default).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["ORDERSYNC_AUTH_FAILURES_PER_MINUTE", String(perMinute)]])))
    )

  it.effect("lets the burst through, then one failure per interval, from the Clock", () =>
    Effect.gen(function*() {
      const t = yield* throttle(10)
      for (let i = 0; i < 9; i++) yield* t.failed("10.0.0.1")
      expect(yield* t.retryAfter("10.0.0.1")).toEqual(Option.none())
      yield* t.failed("10.0.0.1")
      expect(yield* t.retryAfter("10.0.0.1")).toEqual(Option.some(6))
      expect(yield* t.retryAfter("10.0.0.2")).toEqual(Option.none())
      yield* TestClock.adjust("5 seconds")
      expect(yield* t.retryAfter("10.0.0.1")).toEqual(Option.some(1))
      yield* TestClock.adjust("1 second")
      expect(yield* t.retryAfter("10.0.0.1")).toEqual(Option.none())
      yield* t.failed("10.0.0.1")
      expect(yield* t.retryAfter("10.0.0.1")).toEqual(Option.some(6))
      // A minute without failures forgets the client.
      yield* TestClock.adjust("61 seconds")
      expect(yield* t.retryAfter("10.0.0.1")).toEqual(Option.none())
      expect(yield* t.size).toBe(0)
    }))

  it.effect("remembers at most MAX_CLIENTS clients, forgetting the one whose last failure is oldest", () =>
    Effect.gen(function*() {
      const t = yield* throttle(1)
      for (let i = 0; i <= MAX_CLIENTS; i++) yield* t.failed(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
      expect(yield* t.size).toBe(MAX_CLIENTS)
      expect(yield* t.retryAfter("10.0.0.0")).toEqual(Option.none())
      expect(Option.isSome(yield* t.retryAfter("10.0.0.1"))).toBe(true)
    }))

  it("counts an IPv6 client by its /64 and an IPv4-mapped one as IPv4", () => {
    expect(clientKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64")
    expect(clientKey("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64")
    expect(clientKey("2001:db8::1")).toBe("2001:db8:0:0::/64")
    expect(clientKey("::1")).toBe("0:0:0:0::/64")
    expect(clientKey("::ffff:192.0.2.7")).toBe("192.0.2.7")
    expect(clientKey("192.0.2.7")).toBe("192.0.2.7")
  })
})
