import type { SimulatorConfig } from "./Config.js"

const scaled = (seconds: number, timeFactor: number) => String(Number((seconds / timeFactor).toPrecision(3)))

/**
 * The environment that points an ordersync process at a simulator: its endpoints and demo credentials, and the
 * 2-minute rule and default usage plans in its (scaled) time.
 */
export const clientSettings = (simulator: { readonly url: string; readonly config: SimulatorConfig }): Record<string, string> => ({
  SPAPI_ENDPOINT: simulator.url,
  // Its presigned document URLs are http on its own origin; Amazon's are https on S3 (the client's default).
  ORDERSYNC_REPORT_DOCUMENT_ORIGINS: new URL(simulator.url).origin,
  LWA_ENDPOINT: `${simulator.url}/auth/o2/token`,
  LWA_CLIENT_ID: simulator.config.clientId,
  LWA_CLIENT_SECRET: simulator.config.clientSecret,
  // The 2-minute rule and the clock margin (5 s), in the simulator's time.
  SPAPI_LISTING_LAG_SECONDS: String(Number((120 / simulator.config.timeFactor).toPrecision(3))),
  SPAPI_CLOCK_MARGIN_SECONDS: String(Number(Math.max(0.02, 5 / simulator.config.timeFactor).toPrecision(3))),
  SPAPI_RATE_SCALE: String(simulator.config.timeFactor),
  // The reports path's timing, in the simulator's time: Amazon's 30-minute report lag, the poll interval, the
  // deadline of a stuck report and the planner's first guess of a report's processing time.
  ORDERSYNC_REPORT_LAG_SECONDS: scaled(1800, simulator.config.timeFactor),
  ORDERSYNC_REPORT_POLL_SECONDS: scaled(15, simulator.config.timeFactor),
  ORDERSYNC_REPORT_DEADLINE_SECONDS: scaled(4 * 3600, simulator.config.timeFactor),
  ORDERSYNC_REPORT_SECONDS_ESTIMATE: scaled(300, simulator.config.timeFactor),
  ORDERSYNC_REPORT_FATAL_WAIT_SECONDS: scaled(1800, simulator.config.timeFactor)
})
