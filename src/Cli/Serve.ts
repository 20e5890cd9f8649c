import { Command } from "@effect/cli"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import { Config, ConfigProvider, Console, Effect, Layer, Option, Redacted } from "effect"
import { HttpLive, listenAddress } from "../Http/Server.js"
import { Daemon } from "../Services/Daemon.js"
import { EngineLive } from "../Services/Engine.js"
import { FleetMetricsLive } from "../Services/FleetMetrics.js"
import { newToken } from "../Services/Store/ApiTokens.js"
import type { Tenants } from "../Services/Store/Tenants.js"
import { clientSettings, demoConfig, scoped as simulator, type SimulatorHandle } from "../Simulator/index.js"
import { registerSimulatorSellers } from "./SimulatorTenants.js"

// Probes and scrapes every few seconds per replica would drown the API's own spans.
const HttpTraced = HttpLive.pipe(HttpMiddleware.withTracerDisabledForUrls(["/health", "/ready", "/metrics"]))

/** The daemon and the HTTP API over one engine (one pool, one embedded server), after `setup`. */
const serveLayer = <E>(setup: Effect.Effect<void, E, Tenants>) =>
  Layer.mergeAll(HttpTraced, Daemon.Default, FleetMetricsLive).pipe(
    Layer.provide(Layer.effectDiscard(setup)),
    Layer.provide(EngineLive)
  )

const DemoConfig = Config.all({
  timeFactor: Config.number("ORDERSYNC_DEMO_TIME_FACTOR").pipe(Config.withDefault(900)),
  adminTokens: Config.option(Config.redacted("ORDERSYNC_API_TOKEN")),
  host: Config.option(Config.string("HOST"))
})

/** The engine's settings for the in-process simulator, laid over the real environment. */
const simulatorSettings = (sim: SimulatorHandle, adminToken: string): Record<string, string> => ({
  ...clientSettings(sim),
  ORDERSYNC_API_TOKEN: adminToken
})

const demo = Effect.gen(function*() {
  const config = yield* DemoConfig
  yield* Effect.logWarning(
    "*** DEMO MODE: SIMULATED AMAZON. No LWA_CLIENT_ID is configured, so ordersync talks to its bundled SP-API simulator, " +
      "not to Amazon. Set LWA_CLIENT_ID, LWA_CLIENT_SECRET and add real tenants to sync real orders. ***"
  )
  const sim = yield* simulator({ ...demoConfig(), timeFactor: config.timeFactor })
  const adminToken = Option.match(config.adminTokens, {
    onNone: () => newToken("demo"),
    onSome: (tokens) => Redacted.value(tokens).split(",")[0]!.trim()
  })
  // A generated demo token still keeps the demo on loopback unless HOST says otherwise.
  const settings = { ...simulatorSettings(sim, adminToken), ...(Option.isNone(config.host) ? { HOST: "127.0.0.1" } : {}) }
  const provider = ConfigProvider.fromMap(new Map(Object.entries(settings))).pipe(
    ConfigProvider.orElse(() => ConfigProvider.fromEnv())
  )
  return yield* Effect.gen(function*() {
    const { host, port } = yield* listenAddress
    const base = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`
    yield* Console.log([
      "",
      `  ordersync demo: simulated Amazon at ${sim.url} (time x${sim.config.timeFactor}), sellers ${sim.sellers().map((s) => s.sellerId).join(", ")}`,
      Option.isNone(config.adminTokens) ? `  demo admin token (printed once): ${adminToken}` : "  admin token: the first one in ORDERSYNC_API_TOKEN",
      `  curl -H "Authorization: Bearer ${Option.isNone(config.adminTokens) ? adminToken : "$TOKEN"}" ${base}/api/v1/orders/sync/backfill`,
      `  console: ${base}/ (sign in with the admin token)   API docs: ${base}/docs   metrics: ${base}/metrics`,
      ""
    ].join("\n"))
    return yield* Layer.launch(serveLayer(registerSimulatorSellers(sim)))
  }).pipe(Effect.withConfigProvider(provider))
})

export const serveCommand = Command.make("serve", {}, () =>
  Effect.gen(function*() {
    const lwa = yield* Config.option(Config.string("LWA_CLIENT_ID"))
    if (Option.isNone(lwa)) return yield* demo
    return yield* Layer.launch(serveLayer(Effect.void))
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      "Run the daemon: one supervised fiber per tenant (leases in PostgreSQL split tenants between replicas), " +
        "delta syncs on an interval, and the HTTP API on PORT/HOST. Without LWA_CLIENT_ID: demo mode on a bundled simulator."
    )
  )
