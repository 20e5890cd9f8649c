import type { SimulatorConfig } from "./Config.js"

/**
 * The environment that points an ordersync process at a simulator: its endpoints and demo credentials, and the
 * 2-minute rule and default usage plans in its (scaled) time.
 */
export const clientSettings = (simulator: { readonly url: string; readonly config: SimulatorConfig }): Record<string, string> => ({
  SPAPI_ENDPOINT: simulator.url,
  LWA_ENDPOINT: `${simulator.url}/auth/o2/token`,
  LWA_CLIENT_ID: simulator.config.clientId,
  LWA_CLIENT_SECRET: simulator.config.clientSecret,
  // A little more than 120 s of Amazon time, so a `*Before` bound is never refused.
  SPAPI_LISTING_LAG_SECONDS: String(Number(Math.max(0.05, 150 / simulator.config.timeFactor).toPrecision(3))),
  SPAPI_RATE_SCALE: String(simulator.config.timeFactor)
})
