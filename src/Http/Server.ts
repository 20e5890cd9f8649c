import { createServer } from "node:http"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiSwagger from "@effect/platform/HttpApiSwagger"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Config, Effect, Layer, Option } from "effect"
import { Requests } from "../Services/Daemon/Requests.js"
import { ApiTokens } from "../Services/Store/ApiTokens.js"
import { Fleet } from "../Services/Store/Fleet.js"
import { Api } from "./Api.js"
import { AdminTokensConfig, AuthenticationLive } from "./Auth.js"
import { AuthThrottle } from "./AuthThrottle.js"
import { BackfillHandlers } from "./BackfillHandlers.js"
import { ConsoleLive } from "./Console.js"
import { ConsoleHandlers } from "./ConsoleHandlers.js"
import { ErrorShapeLive } from "./Errors.js"
import { Prometheus } from "./Metrics.js"
import { RequestGuardLive } from "./RequestGuard.js"
import { SystemHandlers } from "./SystemHandlers.js"

export const ServerConfig = Config.all({
  port: Config.integer("PORT").pipe(Config.withDefault(3000)),
  host: Config.option(Config.string("HOST"))
})

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"])

/** Where to listen: HOST (default 0.0.0.0) only with an admin token configured; loopback otherwise, and said loudly. */
export const listenAddress = Effect.gen(function*() {
  const { port, host } = yield* ServerConfig
  const admins = yield* AdminTokensConfig
  if (admins.length > 0) return { port, host: Option.getOrElse(host, () => "0.0.0.0") }
  const asked = Option.getOrElse(host, () => "127.0.0.1")
  yield* Effect.logWarning(
    `NO ORDERSYNC_API_TOKEN CONFIGURED: the HTTP API listens on 127.0.0.1 only${LOOPBACK.has(asked) ? "" : ` (HOST=${asked} ignored)`}. ` +
      "Set ORDERSYNC_API_TOKEN to serve on other interfaces."
  )
  return { port, host: "127.0.0.1" }
})

/** The API with its handlers, auth, error shape, OpenAPI document (/openapi.json) and UI (/docs), and the console at /. */
export const ApiLive = Layer.mergeAll(
  HttpApiSwagger.layer({ path: "/docs" }),
  HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" }),
  ConsoleLive
).pipe(
  Layer.provideMerge(HttpApiBuilder.api(Api)),
  Layer.provide([BackfillHandlers, ConsoleHandlers, SystemHandlers, ErrorShapeLive, RequestGuardLive]),
  Layer.provide(AuthenticationLive),
  Layer.provide([ApiTokens.Default, Requests.Default, Prometheus.Default, Fleet.Default, AuthThrottle.Default])
)

/** The HTTP server on PORT/HOST (see listenAddress). */
export const HttpLive = HttpApiBuilder.serve().pipe(
  Layer.provide(ApiLive),
  HttpServer.withLogAddress,
  Layer.provide(Layer.unwrapEffect(Effect.map(listenAddress, (address) => NodeHttpServer.layer(createServer, address))))
)
