import { Config, Duration } from "effect"
import type { Region } from "../../Domain/Ids.js"

export const REGION_HOSTS: Record<Region, string> = {
  na: "https://sellingpartnerapi-na.amazon.com",
  eu: "https://sellingpartnerapi-eu.amazon.com",
  fe: "https://sellingpartnerapi-fe.amazon.com"
}

export const SpApiConfig = Config.all({
  /** Overrides the regional host for every tenant (the simulator, a sandbox, a proxy). */
  endpoint: Config.option(Config.string("SPAPI_ENDPOINT")),
  lwaEndpoint: Config.string("LWA_ENDPOINT").pipe(Config.withDefault("https://api.amazon.com/auth/o2/token")),
  clientId: Config.option(Config.string("LWA_CLIENT_ID")),
  clientSecret: Config.option(Config.redacted("LWA_CLIENT_SECRET")),
  ordersApi: Config.literal("2026-01-01", "v0")("ORDERS_API").pipe(Config.withDefault("2026-01-01" as const)),
  requestTimeout: Config.integer("SPAPI_REQUEST_TIMEOUT_MS").pipe(Config.withDefault(30_000), Config.map(Duration.millis)),
  retryBase: Config.integer("SPAPI_RETRY_BASE_MS").pipe(Config.withDefault(1_000), Config.map(Duration.millis)),
  retryMax: Config.integer("SPAPI_RETRY_MAX_MS").pipe(Config.withDefault(120_000), Config.map(Duration.millis)),
  maxRetries: Config.integer("SPAPI_MAX_RETRIES").pipe(Config.withDefault(10)),
  /**
   * Multiplies Amazon's default usage-plan rates until Amazon reports the real one. Only for a time-scaled simulator
   * (set it to the simulator's time factor): a 429 carries no rate header, so a fresh bucket would otherwise wait
   * out Amazon's real refill time.
   */
  rateScale: Config.number("SPAPI_RATE_SCALE").pipe(Config.withDefault(1)),
  /** Amazon's 2-minute rule: a `*Before` bound is never later than Amazon's now minus this. */
  listingLag: Config.number("SPAPI_LISTING_LAG_SECONDS").pipe(Config.withDefault(120), Config.map((s) => Duration.millis(s * 1000))),
  /** Kept on top of the 2-minute rule, against the uncertainty of Amazon's time as seen from here (see AmazonClock). */
  clockMargin: Config.number("SPAPI_CLOCK_MARGIN_SECONDS").pipe(
    Config.withDefault(5),
    Config.validate({ message: "SPAPI_CLOCK_MARGIN_SECONDS must be 0 or more", validation: (s) => s >= 0 }),
    Config.map((s) => Duration.millis(s * 1000))
  )
})
export type SpApiConfig = Config.Config.Success<typeof SpApiConfig>
