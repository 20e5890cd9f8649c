import { Command, Options } from "@effect/cli"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import { Config, ConfigProvider, Console, Effect, Layer, Option, Redacted } from "effect"
import { HttpLive, listenAddress } from "../Http/Server.js"
import { Daemon } from "../Services/Daemon.js"
import { EngineLive, engineOver } from "../Services/Engine.js"
import { FleetMetricsLive } from "../Services/FleetMetrics.js"
import { demoSecretKey, SecretsConfig } from "../Services/Secrets.js"
import { newToken } from "../Services/Store/ApiTokens.js"
import { SqlLiveCheckedFirst } from "../Services/Store/Database.js"
import { Tenants, tenantsBesides } from "../Services/Store/Tenants.js"
import { clientSettings, demoConfig, scoped as simulator, type SimulatorHandle } from "../Simulator/index.js"
import { adminTokenProblems, DEMO_HINT, productionProblems, reportRefusal, ServeRefused } from "./ServeChecks.js"
import { registerSimulatorSellers } from "./SimulatorTenants.js"

// Probes and scrapes every few seconds per replica would drown the API's own spans.
const HttpTraced = HttpLive.pipe(HttpMiddleware.withTracerDisabledForUrls(["/health", "/ready", "/metrics"]))

/** The daemon and the HTTP API over one engine (one pool, one embedded server), after `setup`. */
const serveLayer = <E, EE>(engine: Layer.Layer<Layer.Layer.Success<typeof EngineLive>, EE>, setup: Effect.Effect<void, E, Tenants>) =>
  Layer.mergeAll(HttpTraced, Daemon.Default, FleetMetricsLive).pipe(
    Layer.provide(Layer.effectDiscard(setup)),
    Layer.provide(engine)
  )

const DemoConfig = Config.all({
  timeFactor: Config.number("ORDERSYNC_DEMO_TIME_FACTOR").pipe(Config.withDefault(900)),
  adminTokens: Config.option(Config.redacted("ORDERSYNC_API_TOKEN")),
  host: Config.option(Config.string("HOST")),
  secrets: SecretsConfig
})

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"])

const refuse = (...problems: ReadonlyArray<string>) => Effect.fail(new ServeRefused({ problems }))

/** The engine's settings for the in-process simulator, laid over the real environment. */
const simulatorSettings = (sim: SimulatorHandle, adminToken: string): Record<string, string> => ({
  ...clientSettings(sim),
  ORDERSYNC_API_TOKEN: adminToken
})

// Before any migration: a database with tenants of its own is somebody's real data, not the demo's to take over.
const onlyDemoTenants = (sim: SimulatorHandle) =>
  Effect.flatMap(tenantsBesides(sim.sellers().map((s) => s.sellerId)), (others) =>
    others.length === 0 ? Effect.void : refuse(
      `demo mode will not touch a database that holds real tenants (${others.join(", ")}): point DATABASE_URL ` +
        "(or ORDERSYNC_DATA_DIR) at a database of its own for the demo, or run serve without --demo, with LWA credentials"
    ))

// A tenant named like a demo seller is the demo's only if it holds that seller's simulator token.
const demoTenantsAreTheDemos = (sim: SimulatorHandle) =>
  Effect.gen(function*() {
    const tenants = yield* Tenants
    const foreign: Array<string> = []
    for (const tenant of yield* tenants.list) {
      const seller = sim.sellers().find((s) => s.sellerId === tenant.tenantId)
      const stored = yield* Effect.option(tenants.get(tenant.tenantId))
      if (seller === undefined || Option.isNone(stored) || Redacted.value(stored.value.refreshToken) !== seller.refreshToken) {
        foreign.push(tenant.tenantId)
      }
    }
    if (foreign.length > 0) {
      return yield* refuse(
        `demo mode will not take over tenants it did not create (${foreign.join(", ")}: their refresh tokens are not ` +
          "the simulator's): give the demo a database of its own (DATABASE_URL or ORDERSYNC_DATA_DIR)"
      )
    }
  })

const demo = (expose: boolean) =>
  Effect.gen(function*() {
    const config = yield* DemoConfig
    const tokenProblems = yield* adminTokenProblems
    if (tokenProblems.length > 0) return yield* refuse(...tokenProblems)
    if (expose && Option.isNone(config.adminTokens)) {
      return yield* refuse(
        "--expose needs ORDERSYNC_API_TOKEN: a token generated and printed in the log must not guard a listener on " +
          "other interfaces (make one with `openssl rand -hex 32`)"
      )
    }
    const askedHost = Option.getOrUndefined(config.host)
    if (!expose && askedHost !== undefined && !LOOPBACK.has(askedHost)) {
      yield* Effect.logWarning(
        `demo mode listens on 127.0.0.1 only: HOST=${askedHost} ignored (pass --expose, with ORDERSYNC_API_TOKEN set, to listen on it)`
      )
    }
    yield* Effect.logWarning(
      "*** DEMO MODE (--demo): SIMULATED AMAZON. ordersync talks to its bundled SP-API simulator, not to Amazon. To sync " +
        "real orders run serve without --demo, with LWA_CLIENT_ID, LWA_CLIENT_SECRET and ORDERSYNC_SECRET_KEY set. ***"
    )
    const sim = yield* simulator({ ...demoConfig(), timeFactor: config.timeFactor })
    const adminToken = Option.match(config.adminTokens, {
      onNone: () => newToken("demo"),
      onSome: (tokens) => Redacted.value(tokens).split(",")[0]!.trim()
    })
    const generatedKey = Option.isNone(config.secrets.secret)
    const settings = {
      ...simulatorSettings(sim, adminToken),
      // The demo's throwaway key, kept beside its embedded database.
      ...(generatedKey ? { ORDERSYNC_SECRET_KEY: yield* Effect.sync(() => demoSecretKey(config.secrets.dataDir)) } : {}),
      ...(expose ? {} : { HOST: "127.0.0.1" })
    }
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
        ...(generatedKey ? [`  other commands on this demo's data: ORDERSYNC_SECRET_KEY="$(cat ${config.secrets.dataDir}/secret.key)"`] : []),
        ""
      ].join("\n"))
      const engine = engineOver(SqlLiveCheckedFirst(onlyDemoTenants(sim)))
      return yield* Layer.launch(
        serveLayer(engine, Effect.zipRight(demoTenantsAreTheDemos(sim), registerSimulatorSellers(sim)))
      )
    }).pipe(Effect.withConfigProvider(provider))
  })

const production = Effect.gen(function*() {
  const problems = yield* productionProblems
  if (problems.length > 0) return yield* Effect.fail(new ServeRefused({ problems, hint: DEMO_HINT }))
  return yield* Layer.launch(serveLayer(EngineLive, Effect.void))
})

const demoOption = Options.boolean("demo").pipe(
  Options.withDescription(
    "Demo mode: a bundled Amazon SP-API simulator with three demo sellers, no credentials needed (npm start passes it). " +
      "Listens on 127.0.0.1 only, and refuses a database that holds real tenants."
  )
)
const exposeOption = Options.boolean("expose").pipe(
  Options.withDescription("With --demo: listen on HOST (default 0.0.0.0) instead of 127.0.0.1. Needs ORDERSYNC_API_TOKEN.")
)

export const serveCommand = Command.make("serve", { demo: demoOption, expose: exposeOption }, (flags) =>
  Effect.gen(function*() {
    if (flags.expose && !flags.demo) {
      return yield* refuse("--expose only applies to --demo: outside demo mode serve listens on HOST (0.0.0.0 by default once ORDERSYNC_API_TOKEN is set)")
    }
    return yield* (flags.demo ? demo(flags.expose) : production)
  }).pipe(
    Effect.scoped,
    Effect.catchTag("ServeRefused", reportRefusal)
  )).pipe(
    Command.withDescription(
      "Run the daemon: one supervised fiber per tenant (leases in PostgreSQL split tenants between replicas), " +
        "delta syncs on an interval, and the HTTP API on PORT/HOST. Needs LWA_CLIENT_ID, LWA_CLIENT_SECRET and " +
        "ORDERSYNC_SECRET_KEY (and ORDERSYNC_API_TOKEN, 32+ characters, to listen beyond 127.0.0.1); --demo runs on a bundled simulator instead."
    )
  )
