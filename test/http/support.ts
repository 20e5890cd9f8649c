import { createServer } from "node:http"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { ConfigProvider, Effect, Layer } from "effect"
import { Api } from "../../src/Http/Api.js"
import { ApiLive } from "../../src/Http/Server.js"
import { ApiTokens } from "../../src/Services/Store/ApiTokens.js"
import type { SimulatorHandle } from "../../src/Simulator/index.js"
import { engineOver } from "../../src/Services/Engine.js"
import { TestSql } from "../support/Database.js"
import { simulatorEnv } from "../support/Engine.js"

export const ADMIN_TOKENS = ["admin-old-token", "admin-new-token"] as const

/** The API on a free loopback port over the engine on a fresh database, as `serve` wires it minus the daemon. */
export const apiFor = (sim: SimulatorHandle, extra: Record<string, string> = {}) => {
  const env = { ...simulatorEnv(sim), ORDERSYNC_API_TOKEN: ADMIN_TOKENS.join(","), ...extra }
  const config = Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  return HttpApiBuilder.serve().pipe(
    Layer.provide(ApiLive),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Layer.provideMerge(ApiTokens.Default),
    Layer.provideMerge(engineOver(TestSql)),
    Layer.provide(config)
  )
}

export const baseUrl = Effect.map(HttpServer.HttpServer, (server) =>
  server.address._tag === "TcpAddress" ? `http://127.0.0.1:${server.address.port}` : "")

/** The typed client, sending this bearer token (or none). */
export const clientWith = (token: string | null) =>
  Effect.flatMap(baseUrl, (url) =>
    HttpApiClient.make(Api, {
      baseUrl: url,
      transformClient: token === null ? undefined : HttpClient.mapRequest(HttpClientRequest.bearerToken(token))
    })).pipe(Effect.provide(FetchHttpClient.layer))

export interface RawAnswer {
  readonly status: number
  readonly contentType: string | null
  readonly body: unknown
  readonly text: string
}

/** A request the typed client would never send: raw bodies, wrong types, odd headers. */
export const raw = (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
  Effect.flatMap(baseUrl, (url) =>
    Effect.promise(async (): Promise<RawAnswer> => {
      const response = await fetch(url + path, {
        method: init.method ?? "GET",
        headers: init.headers ?? {},
        ...(init.body !== undefined ? { body: init.body } : {})
      })
      const text = await response.text()
      let body: unknown = null
      try {
        body = JSON.parse(text)
      } catch {
        body = null
      }
      return { status: response.status, contentType: response.headers.get("content-type"), body, text }
    }))
