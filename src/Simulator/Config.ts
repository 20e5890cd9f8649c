import { Schema } from "effect"
import { FieldErrors, fieldErrorsByDefault, SellerRole } from "./FieldErrors.js"
import { defaultReportSettings, ReportSettings } from "./Reports/Settings.js"

/** The rate-limited operations the simulator serves, named as in the models. */
export const Operation = Schema.Literal(
  "searchOrders", "getOrder", "getOrders", "getOrderV0", "getOrderItems",
  "createReport", "getReport", "getReports", "getReportDocument", "cancelReport"
)
export type Operation = typeof Operation.Type

export const operations: ReadonlyArray<Operation> = Operation.literals

/** Amazon's default usage plans (requests per second of Amazon time, burst). */
export const defaultUsagePlans: Readonly<Record<Operation, UsagePlan>> = {
  searchOrders: { rate: 0.0056, burst: 20 },
  getOrder: { rate: 0.5, burst: 30 },
  getOrders: { rate: 0.0167, burst: 20 },
  getOrderV0: { rate: 0.5, burst: 30 },
  getOrderItems: { rate: 0.5, burst: 30 },
  createReport: { rate: 0.0167, burst: 15 },
  getReport: { rate: 2, burst: 15 },
  getReports: { rate: 0.0222, burst: 10 },
  getReportDocument: { rate: 0.0167, burst: 15 },
  cancelReport: { rate: 0.0222, burst: 10 }
}

export const UsagePlan = Schema.Struct({
  rate: Schema.Number.pipe(Schema.positive()),
  burst: Schema.Int.pipe(Schema.positive())
})
export type UsagePlan = typeof UsagePlan.Type

export const UsagePlanOverrides = Schema.partial(Schema.Record({ key: Operation, value: UsagePlan }))
export type UsagePlanOverrides = typeof UsagePlanOverrides.Type

const Probability = Schema.Number.pipe(Schema.between(0, 1))
const zero = () => 0

export const Faults = Schema.Struct({
  extra429Probability: Schema.optionalWith(Probability, { default: zero }),
  error500Probability: Schema.optionalWith(Probability, { default: zero }),
  error503Probability: Schema.optionalWith(Probability, { default: zero }),
  truncatedBodyProbability: Schema.optionalWith(Probability, { default: zero }),
  malformedJsonProbability: Schema.optionalWith(Probability, { default: zero }),
  /** Real milliseconds (network latency does not scale with timeFactor). */
  slowResponseMs: Schema.optionalWith(Schema.NonNegative, { default: zero }),
  slowResponseProbability: Schema.optionalWith(Probability, { default: () => 1 }),
  hangProbability: Schema.optionalWith(Probability, { default: zero }),
  /** Share of orders always served damaged (a createdTime that is not a date): the client must quarantine them. */
  corruptOrderShare: Schema.optionalWith(Probability, { default: zero }),
  /**
   * Share of orders served with a NUL character in a field the client does not read (2026: the marketplace name;
   * v0: `ShipServiceLevel`), written in the JSON as `\u0000`: PostgreSQL's jsonb refuses it, so the client must
   * quarantine those orders and store the rest of their page.
   */
  nulTextShare: Schema.optionalWith(Probability, { default: zero }),
  /** The same in v0 getOrderItems answers (each item's `ConditionNote`), for another share of the orders. */
  nulItemTextShare: Schema.optionalWith(Probability, { default: zero }),
  /**
   * Share of orders served with only the basic information whatever `includedData` asked for (1: every order, as a
   * proxy or an API change that drops the parameter would): the client must not store them as if complete.
   */
  datasetsDroppedShare: Schema.optionalWith(Probability, { default: zero }),
  /** Amazon seconds; overrides the global lifetime for this seller (early expiry). */
  accessTokenLifetimeSeconds: Schema.optional(Schema.Number.pipe(Schema.positive())),
  pageTokenLifetimeSeconds: Schema.optional(Schema.Number.pipe(Schema.positive())),
  /** Share of reports that end FATAL (drawn per report from the seed), with a document explaining why. */
  fatalReportShare: Schema.optionalWith(Probability, { default: zero }),
  /** Share of reports that stay IN_PROGRESS for ever. */
  stuckReportShare: Schema.optionalWith(Probability, { default: zero })
})
export type Faults = typeof Faults.Type
export type FaultsInput = typeof Faults.Encoded

export const noFaults: Faults = Schema.decodeUnknownSync(Faults)({})

export const Changes = Schema.Struct({
  /** Share of the history (0..1) whose status changes after the simulator starts. */
  share: Probability,
  /** Amazon seconds after start within which every change happens. */
  horizonSeconds: Schema.Number.pipe(Schema.positive())
})
export type Changes = typeof Changes.Type

export const Late = Schema.Struct({
  /** Count of new orders arriving during the run, as a share (0..1) of `orders`. */
  share: Probability,
  /** Amazon seconds after start within which the new orders are created. */
  horizonSeconds: Schema.optionalWith(Schema.Number.pipe(Schema.positive()), { default: () => 6 * 3600 }),
  /** Each new order becomes visible up to this many Amazon seconds after its creation. */
  maxDelaySeconds: Schema.Number.pipe(Schema.positive())
})
export type Late = typeof Late.Type

/**
 * How a listing by `lastUpdatedAfter`/`lastUpdatedBefore` orders its orders, across pages and within each. Amazon's
 * models and docs say nothing about the order; v0 users see ascending `LastUpdateDate`, hence the default.
 * `shuffled`: a fixed pseudo-random order (by order id and seed), so a later page may hold older changes.
 */
export const UpdatedListingOrder = Schema.Literal("ascending", "shuffled")
export type UpdatedListingOrder = typeof UpdatedListingOrder.Type

export const SellerConfig = Schema.Struct({
  sellerId: Schema.NonEmptyString,
  refreshToken: Schema.NonEmptyString,
  marketplaceIds: Schema.NonEmptyArray(Schema.String),
  /** Count of orders in the ~800-day history before start. */
  orders: Schema.Int.pipe(Schema.nonNegative()),
  seed: Schema.optionalWith(Schema.Int, { default: () => 1 }),
  usagePlans: Schema.optionalWith(UsagePlanOverrides, { default: () => ({}) }),
  faults: Schema.optionalWith(Faults, { default: () => noFaults }),
  changes: Schema.optional(Changes),
  late: Schema.optional(Late),
  /**
   * What the seller's authorisation of the application covers (default both). An operation outside it is answered as
   * Amazon answers an application without the role: 403 `Unauthorized` "Access to requested resource is denied."
   * with `details: ""` (amzn/selling-partner-api-models#1262; amz-tools/amazon-sp-api#1, #10).
   */
  roles: Schema.optionalWith(Schema.Array(SellerRole), { default: () => ["orders", "reports"] as const }),
  updatedListingOrder: Schema.optionalWith(UpdatedListingOrder, { default: () => "ascending" as const }),
  /**
   * The seller is enrolled in Amazon's VAT Calculation Service: in its EU and UK marketplaces each charge carries the
   * country's standard VAT inside it (the buyer pays what a seller not enrolled is paid), and the order report's
   * `item-tax`, `shipping-tax` and `gift-wrap-tax` show that VAT while `item-price` & co. stay VAT-inclusive (Charges.ts).
   */
  vatCalculationService: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /** Reports API processing times, lag, URL lifetime and charsets; see Reports/Settings.ts for the defaults. */
  reports: Schema.optionalWith(ReportSettings, { default: () => defaultReportSettings })
})
export type SellerConfig = typeof SellerConfig.Type
export type SellerConfigInput = typeof SellerConfig.Encoded

export const SimulatorConfig = Schema.Struct({
  port: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 65535)), { default: () => 0 }),
  host: Schema.optionalWith(Schema.String, { default: () => "127.0.0.1" }),
  /** Amazon seconds per real second: rates are multiplied by it, durations divided. */
  timeFactor: Schema.optionalWith(Schema.Number.pipe(Schema.positive()), { default: () => 1 }),
  clientId: Schema.optionalWith(Schema.String, { default: () => "ordersync-demo-client" }),
  clientSecret: Schema.optionalWith(Schema.String, { default: () => "ordersync-demo-secret" }),
  accessTokenLifetimeSeconds: Schema.optionalWith(Schema.Number.pipe(Schema.positive()), { default: () => 3600 }),
  /** Orders API 2026-01-01 page tokens: Amazon documents 24 h. */
  pageTokenLifetimeSeconds: Schema.optionalWith(Schema.Number.pipe(Schema.positive()), { default: () => 86400 }),
  /** Orders API v0 page tokens: undocumented, seen expiring much sooner in the field. */
  v0PageTokenLifetimeSeconds: Schema.optionalWith(Schema.Number.pipe(Schema.positive()), { default: () => 3600 }),
  usagePlans: Schema.optionalWith(UsagePlanOverrides, { default: () => ({}) }),
  /**
   * Real seconds Amazon's clock is ahead of the host's (negative: behind), as on a drifted VM or container host.
   * Everything the simulator does runs on that clock: the two-minute rule, lifetimes, the `Date` header.
   */
  clockOffsetSeconds: Schema.optionalWith(Schema.Number.pipe(Schema.finite()), { default: () => 0 }),
  /** Signs page tokens; fixed by default so tokens survive a restart with the same config. */
  tokenSecret: Schema.optionalWith(Schema.String, { default: () => "ordersync-simulator" }),
  /** Error answers as the field reports them (each on by default; see FieldErrors.ts). */
  fieldErrors: Schema.optionalWith(FieldErrors, { default: () => fieldErrorsByDefault }),
  sellers: Schema.optionalWith(Schema.Array(SellerConfig), { default: () => [] })
})
export type SimulatorConfig = typeof SimulatorConfig.Type
/** The JSON form: every field with a default may be left out. */
export type SimulatorConfigInput = typeof SimulatorConfig.Encoded

/** A seller with a refresh token named after it, on the US marketplace unless `extra` says otherwise. */
export const sellerNamed = (
  sellerId: string,
  orders: number,
  seed: number,
  extra: Partial<SellerConfigInput> = {}
): SellerConfigInput => ({
  sellerId,
  refreshToken: `Atzr|${sellerId}`,
  marketplaceIds: ["ATVPDKIKX0DER"],
  orders,
  seed,
  ...extra
})

export const decodeSimulatorConfig = Schema.decodeUnknownSync(SimulatorConfig)
export const decodeSellerConfig = Schema.decodeUnknownSync(SellerConfig)

const demoSellers: ReadonlyArray<SellerConfigInput> = [
  {
    sellerId: "demo-seller-1",
    refreshToken: "Atzr|demo-seller-1",
    marketplaceIds: ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
    orders: 20_000,
    seed: 1,
    changes: { share: 0.01, horizonSeconds: 6 * 3600 },
    late: { share: 0.005, horizonSeconds: 6 * 3600, maxDelaySeconds: 3 * 3600 }
  },
  {
    sellerId: "demo-seller-2",
    refreshToken: "Atzr|demo-seller-2",
    marketplaceIds: ["A1F83G8C2ARO7P", "A1PA6795UKMFR9", "A13V1IB3VIYZZH"],
    orders: 5_000,
    seed: 2,
    changes: { share: 0.01, horizonSeconds: 6 * 3600 },
    late: { share: 0.005, horizonSeconds: 6 * 3600, maxDelaySeconds: 3 * 3600 }
  },
  {
    sellerId: "demo-seller-3",
    refreshToken: "Atzr|demo-seller-3",
    marketplaceIds: ["A1AM78C64UM0Y8"],
    orders: 300,
    seed: 3,
    usagePlans: { searchOrders: { rate: 0.0167, burst: 30 } }
  }
]

/**
 * Three sellers of different size, region and currency. `count` above 3 adds more
 * sellers shaped like the first ones ("Atzr|demo-seller-N").
 */
export const demoConfig = (options: { readonly count?: number; readonly ordersPerSeller?: number } = {}): SimulatorConfigInput => {
  const count = options.count ?? demoSellers.length
  const sellers = Array.from({ length: count }, (_, i): SellerConfigInput => {
    const base = demoSellers[i % demoSellers.length]!
    const n = i + 1
    return {
      ...base,
      sellerId: `demo-seller-${n}`,
      refreshToken: `Atzr|demo-seller-${n}`,
      seed: n,
      ...(options.ordersPerSeller !== undefined ? { orders: options.ordersPerSeller } : {})
    }
  })
  return { sellers }
}
