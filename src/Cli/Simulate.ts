import { Command, Options } from "@effect/cli"
import { Console, Effect, Option, Schema } from "effect"
import {
  demoConfig,
  type FaultsInput,
  type SellerConfigInput,
  SimulatorConfig,
  type SimulatorConfigInput
} from "../Simulator/Config.js"
import { clientSettings } from "../Simulator/ClientSettings.js"
import { scoped } from "../Simulator/Simulator.js"

const port = Options.integer("port").pipe(
  Options.withDefault(4100),
  Options.withDescription("Port to listen on (0 picks a free one).")
)
const host = Options.text("host").pipe(Options.withDefault("127.0.0.1"), Options.withDescription("Address to bind."))
const configFile = Options.fileParse("config", "json").pipe(
  Options.optional,
  Options.withDescription("JSON file with the full simulator configuration (sellers, usage plans, faults, lifetimes). Flags below override it.")
)
const timeFactor = Options.float("time-factor").pipe(
  Options.optional,
  Options.withDescription("Speed-up of simulated time: usage-plan rates are multiplied by it, lifetimes and delays divided (default 1).")
)
const sellers = Options.integer("sellers").pipe(
  Options.optional,
  Options.withDescription("Number of demo sellers (refresh tokens 'Atzr|demo-seller-N'; default 3). Ignored with --config.")
)
const orders = Options.integer("orders").pipe(
  Options.optional,
  Options.withDescription("Orders per seller in the ~800-day history (default: 20000, 5000, 300 for the demo sellers).")
)
const seed = Options.integer("seed").pipe(
  Options.optional,
  Options.withDescription("Added to every seller's seed, for a different but reproducible data set.")
)
const probability = (name: string, description: string) =>
  Options.float(name).pipe(Options.optional, Options.withDescription(`${description} (probability 0..1, every seller).`))
const extra429 = probability("extra-429", "Extra 429 QuotaExceeded responses")
const errorRate = probability("error-rate", "500 InternalFailure responses")
const unavailableRate = probability("unavailable-rate", "503 ServiceUnavailable responses")
const truncateRate = probability("truncate-rate", "Responses cut off mid-body")
const malformedRate = probability("malformed-rate", "Responses with malformed JSON")
const hangRate = probability("hang-rate", "Connections accepted but never answered")
const slowMs = Options.integer("slow-ms").pipe(
  Options.optional,
  Options.withDescription("Delay answers by this many real milliseconds (with --slow-rate, default every answer).")
)
const slowRate = probability("slow-rate", "Share of answers delayed by --slow-ms")
const tokenLifetime = Options.integer("token-lifetime").pipe(
  Options.optional,
  Options.withDescription("Access-token lifetime in Amazon seconds (default 3600).")
)
const pageTokenLifetime = Options.integer("page-token-lifetime").pipe(
  Options.optional,
  Options.withDescription("Orders 2026-01-01 page-token lifetime in Amazon seconds (default 86400).")
)

const clockOffset = Options.float("clock-offset").pipe(
  Options.optional,
  Options.withDescription("Seconds the simulated Amazon's clock runs ahead of this host's (negative: behind), to reproduce a skewed host (default 0).")
)

const options = {
  port, host, configFile, timeFactor, sellers, orders, seed,
  extra429, errorRate, unavailableRate, truncateRate, malformedRate, hangRate, slowMs, slowRate,
  tokenLifetime, pageTokenLifetime, clockOffset
}

type Flags = Command.Command.ParseConfig<typeof options>

const faultsFrom = (flags: Flags): FaultsInput => {
  const entries: ReadonlyArray<readonly [keyof FaultsInput, Option.Option<number>]> = [
    ["extra429Probability", flags.extra429],
    ["error500Probability", flags.errorRate],
    ["error503Probability", flags.unavailableRate],
    ["truncatedBodyProbability", flags.truncateRate],
    ["malformedJsonProbability", flags.malformedRate],
    ["hangProbability", flags.hangRate],
    ["slowResponseMs", flags.slowMs],
    ["slowResponseProbability", flags.slowRate]
  ]
  return Object.fromEntries(entries.flatMap(([key, value]) => Option.isSome(value) ? [[key, value.value]] : []))
}

/** The configuration from the file (or the demo set) with the flags laid over it. */
export const configFrom = (flags: Flags): Effect.Effect<SimulatorConfigInput, Error> =>
  Effect.gen(function*() {
    const base: SimulatorConfigInput = Option.isSome(flags.configFile)
      ? yield* Schema.decodeUnknown(Schema.encodedSchema(SimulatorConfig))(flags.configFile.value).pipe(
        Effect.mapError((error) => new Error(`Invalid --config: ${error.message}`))
      )
      : demoConfig({
        ...Option.match(flags.sellers, { onNone: () => ({}), onSome: (count) => ({ count }) }),
        ...Option.match(flags.orders, { onNone: () => ({}), onSome: (ordersPerSeller) => ({ ordersPerSeller }) })
      })
    const faults = faultsFrom(flags)
    const seller = (config: SellerConfigInput): SellerConfigInput => ({
      ...config,
      ...(Option.isSome(flags.orders) ? { orders: flags.orders.value } : {}),
      ...(Option.isSome(flags.seed) ? { seed: (config.seed ?? 1) + flags.seed.value } : {}),
      ...(Object.keys(faults).length > 0 ? { faults: { ...config.faults, ...faults } } : {})
    })
    return {
      ...base,
      port: flags.port,
      host: flags.host,
      ...Option.match(flags.timeFactor, { onNone: () => ({}), onSome: (timeFactor) => ({ timeFactor }) }),
      ...Option.match(flags.tokenLifetime, { onNone: () => ({}), onSome: (accessTokenLifetimeSeconds) => ({ accessTokenLifetimeSeconds }) }),
      ...Option.match(flags.pageTokenLifetime, { onNone: () => ({}), onSome: (pageTokenLifetimeSeconds) => ({ pageTokenLifetimeSeconds }) }),
      ...Option.match(flags.clockOffset, { onNone: () => ({}), onSome: (clockOffsetSeconds) => ({ clockOffsetSeconds }) }),
      sellers: (base.sellers ?? []).map(seller)
    }
  })

const howTo = (url: string, config: SimulatorConfig, sellers: ReadonlyArray<{ readonly sellerId: string; readonly refreshToken: string; readonly marketplaceIds: ReadonlyArray<string>; readonly orders: number }>): string => {
  const first = sellers[0]
  return [
    `Amazon SP-API simulator listening on ${url} (time factor ${config.timeFactor})`,
    "",
    "Point ordersync at it:",
    ...Object.entries(clientSettings({ url, config })).map(([name, value]) => `  export ${name}=${value}`),
    ...(first
      ? [
        `  npx ordersync tenants add --tenant demo-1 --refresh-token '${first.refreshToken}' --region na ${
          first.marketplaceIds.map((id) => `--marketplace ${id}`).join(" ")
        }`,
        "  npx ordersync backfill run --tenant demo-1"
      ]
      : []),
    "",
    "Sellers:",
    ...sellers.map((seller) => `  ${seller.sellerId}  refresh token '${seller.refreshToken}'  ${seller.marketplaceIds.join(",")}  ${seller.orders} orders`),
    "",
    `Ground truth and statistics: ${url}/_simulator/sellers, ${url}/_simulator/stats`,
    "Press Ctrl-C to stop."
  ].join("\n")
}

export const simulateCommand = Command.make("simulate", options, (flags) =>
  Effect.scoped(
    Effect.gen(function*() {
      const config = yield* configFrom(flags)
      const simulator = yield* scoped(config)
      yield* Console.log(howTo(simulator.url, simulator.config, simulator.sellers()))
      return yield* Effect.never
    })
  )).pipe(
    Command.withDescription(
      "Run the Amazon Selling Partner API simulator: Login with Amazon, Orders API 2026-01-01 and v0, usage plans, faults and ground truth, on one local port."
    )
  )

