import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import { Context, Schema } from "effect"
import { BackfillStatus } from "../Domain/BackfillStatus.js"
import { BackfillDays, TenantId } from "../Domain/Ids.js"

// ---- Errors: Amazon's shape, {"errors": [{"code", "message", "details"}]}, one class per HTTP status ----

export class ErrorEntry extends Schema.Class<ErrorEntry>("ErrorEntry")({
  code: Schema.String,
  message: Schema.String,
  details: Schema.String
}) {}

const errorBody = { errors: Schema.Array(ErrorEntry) }

export class BadRequest extends Schema.Class<BadRequest>("BadRequest")(errorBody, HttpApiSchema.annotations({ status: 400 })) {}
export class Unauthorized extends Schema.Class<Unauthorized>("Unauthorized")(errorBody, HttpApiSchema.annotations({ status: 401 })) {}
export class Forbidden extends Schema.Class<Forbidden>("Forbidden")(errorBody, HttpApiSchema.annotations({ status: 403 })) {}
export class NotFound extends Schema.Class<NotFound>("NotFound")(errorBody, HttpApiSchema.annotations({ status: 404 })) {}
export class Conflict extends Schema.Class<Conflict>("Conflict")(errorBody, HttpApiSchema.annotations({ status: 409 })) {}
export class InternalFailure extends Schema.Class<InternalFailure>("InternalFailure")(errorBody, HttpApiSchema.annotations({ status: 500 })) {}
export class ServiceUnavailable extends Schema.Class<ServiceUnavailable>("ServiceUnavailable")(errorBody, HttpApiSchema.annotations({ status: 503 })) {}

type ErrorClass<A> = new(props: { readonly errors: ReadonlyArray<ErrorEntry> }) => A

/** One error entry in the error class of its status. */
export const apiError = <A>(Class: ErrorClass<A>, code: string, message: string, details = ""): A =>
  new Class({ errors: [new ErrorEntry({ code, message, details })] })

// ---- Who is calling ----

export type Principal =
  | { readonly _tag: "Admin" }
  | { readonly _tag: "Tenant"; readonly tenantId: string }

export class Caller extends Context.Tag("ordersync/Caller")<Caller, Principal>() {}

/** `Authorization: Bearer <token>`: an admin token (ORDERSYNC_API_TOKEN) or a tenant token (`ordersync tokens create`). */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("Authentication", {
  failure: Unauthorized,
  provides: Caller,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

// ---- Payloads: unknown fields are refused, not ignored ----

const strict = { parseOptions: { onExcessProperty: "error" } } as const

export const RunBackfill = Schema.Struct({
  tenantId: TenantId,
  /** 1–730, default 365. */
  days: Schema.optional(BackfillDays),
  /** Start over even when a run is finished or half done. */
  restart: Schema.optional(Schema.Boolean)
}).annotations({ ...strict, identifier: "RunBackfill" })

export const TenantRequest = Schema.Struct({ tenantId: TenantId }).annotations({ ...strict, identifier: "TenantRequest" })

export const TenantQuery = Schema.Struct({ tenantId: TenantId })

const QueryInt = (name: string, min: number, max: number) =>
  Schema.NumberFromString.pipe(
    Schema.int({ message: () => `${name} must be an integer` }),
    Schema.between(min, max, { message: () => `${name} must be between ${min} and ${max}` })
  )

export const Page = Schema.Struct({
  /** 1–500, default 50. */
  limit: Schema.optional(QueryInt("limit", 1, 500)),
  /** Default 0. */
  offset: Schema.optional(QueryInt("offset", 0, Number.MAX_SAFE_INTEGER))
})

export class BackfillList extends Schema.Class<BackfillList>("BackfillList")({
  tenants: Schema.Array(BackfillStatus),
  total: Schema.Number,
  limit: Schema.Number,
  offset: Schema.Number,
  /** The offset of the next page, or null on the last one. */
  nextOffset: Schema.NullOr(Schema.Number)
}) {}

// ---- The console's read models (the browser at /) ----

export const TenantStatusFilter = Schema.Literal("in_progress", "success", "failed", "paused", "parked", "not_started")
export const TenantSort = Schema.Literal("tenant", "status", "orders", "lastSync", "error")

export const TenantListQuery = Schema.Struct({
  /** 1–500, default 50. */
  limit: Schema.optional(QueryInt("limit", 1, 500)),
  offset: Schema.optional(QueryInt("offset", 0, Number.MAX_SAFE_INTEGER)),
  /** A part of the tenant id, case-insensitive. */
  search: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  status: Schema.optional(TenantStatusFilter),
  sort: Schema.optional(TenantSort),
  descending: Schema.optional(Schema.BooleanFromString)
})

export class Who extends Schema.Class<Who>("Who")({
  role: Schema.Literal("admin", "tenant"),
  /** The tenant a tenant token belongs to; null for an admin. */
  tenantId: Schema.NullOr(Schema.String)
}) {}

export class ReplicaLoad extends Schema.Class<ReplicaLoad>("ReplicaLoad")({
  owner: Schema.String,
  tenants: Schema.Number
}) {}

export class FleetOverview extends Schema.Class<FleetOverview>("FleetOverview")({
  tenants: Schema.Number,
  /** Tenants by status; `parked` counts tenants whose credentials Amazon refused (also counted as failed). */
  byStatus: Schema.Struct({
    in_progress: Schema.Number,
    success: Schema.Number,
    failed: Schema.Number,
    paused: Schema.Number,
    parked: Schema.Number,
    not_started: Schema.Number
  }),
  ordersStored: Schema.Number,
  /** Summed over the backfills running now, each over the wall-clock time since it started. */
  ordersPerMinute: Schema.Number,
  requestsPerMinute: Schema.Number,
  throttledRequests: Schema.Number,
  quarantinedOrders: Schema.Number,
  replicas: Schema.Array(ReplicaLoad)
}) {}

export class WindowView extends Schema.Class<WindowView>("WindowView")({
  kind: Schema.Literal("orders", "report"),
  startAt: Schema.String,
  endAt: Schema.String,
  /** Up to where the window is stored (its end once done). */
  coveredUntil: Schema.NullOr(Schema.String),
  status: Schema.String,
  orders: Schema.Number
}) {}

export class QuarantinedView extends Schema.Class<QuarantinedView>("QuarantinedView")({
  externalOrderId: Schema.NullOr(Schema.String),
  error: Schema.String,
  raw: Schema.String,
  at: Schema.String
}) {}

export class TenantDetail extends Schema.Class<TenantDetail>("TenantDetail")({
  status: BackfillStatus,
  parkedReason: Schema.NullOr(Schema.String),
  windows: Schema.Array(WindowView),
  quarantined: Schema.Array(QuarantinedView),
  quarantinedTotal: Schema.Number
}) {}

/** An Amazon order id such as 123-1234567-1234567 (other channels' ids: letters, digits, "-", "_", "."). */
const OrderIdParam = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
    message: () => "orderId must be an order id such as 123-1234567-1234567: 1–100 letters, digits, '-', '_' or '.'"
  })
)

export const OrdersQuery = Schema.Struct({
  tenantId: TenantId,
  /** 1–100, default 20. */
  limit: Schema.optional(QueryInt("limit", 1, 100)),
  /** Only this order (404 when it is not stored). */
  orderId: Schema.optional(OrderIdParam)
})

/** A stored item of an order; money in the order's currency, for the item's whole quantity, net of tax. */
export class ItemView extends Schema.Class<ItemView>("ItemView")({
  orderItemId: Schema.String,
  sku: Schema.NullOr(Schema.String),
  asin: Schema.NullOr(Schema.String),
  title: Schema.NullOr(Schema.String),
  quantity: Schema.Number,
  /** Null where the source does not say (order reports). */
  quantityShipped: Schema.NullOr(Schema.Number),
  itemStatus: Schema.NullOr(Schema.String),
  itemPrice: Schema.NullOr(Schema.String),
  itemTax: Schema.NullOr(Schema.String),
  shippingPrice: Schema.NullOr(Schema.String),
  shippingTax: Schema.NullOr(Schema.String),
  giftWrapPrice: Schema.NullOr(Schema.String),
  giftWrapTax: Schema.NullOr(Schema.String),
  /** A positive amount taken off. */
  promotionDiscount: Schema.NullOr(Schema.String),
  currency: Schema.NullOr(Schema.String)
}) {}

export class OrderView extends Schema.Class<OrderView>("OrderView")({
  externalOrderId: Schema.String,
  marketplaceId: Schema.NullOr(Schema.String),
  orderDate: Schema.NullOr(Schema.String),
  orderStatus: Schema.NullOr(Schema.String),
  fulfillmentChannel: Schema.NullOr(Schema.String),
  /** Null while Amazon gives none (a Pending order). */
  totalAmount: Schema.NullOr(Schema.String),
  currency: Schema.NullOr(Schema.String),
  itemsCount: Schema.NullOr(Schema.Number),
  /** The stored items; empty when the order's source carried none (v0 without ORDERSYNC_V0_ITEMS). */
  items: Schema.Array(ItemView)
}) {}

export class OrderList extends Schema.Class<OrderList>("OrderList")({
  /** Newest order date first. */
  orders: Schema.Array(OrderView)
}) {}

export class Health extends Schema.Class<Health>("Health")({ status: Schema.Literal("ok") }) {}

export class Readiness extends Schema.Class<Readiness>("Readiness")({
  status: Schema.Literal("ready"),
  migrations: Schema.Number
}) {}

// ---- Routes ----

export class BackfillGroup extends HttpApiGroup.make("backfill")
  .add(
    HttpApiEndpoint.get("status", "/backfill/status")
      .setUrlParams(TenantQuery)
      .addSuccess(BackfillStatus)
      .addError(Forbidden)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "A tenant's backfill status and progress")
  )
  .add(
    HttpApiEndpoint.get("list", "/backfill")
      .setUrlParams(Page)
      .addSuccess(BackfillList)
      .annotate(OpenApi.Summary, "Every tenant's backfill status (a tenant token sees its own only)")
  )
  .add(
    HttpApiEndpoint.post("run", "/backfill/run")
      .setPayload(RunBackfill)
      .addSuccess(BackfillStatus, { status: 202 })
      .addError(Forbidden)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Summary, "Start (or with restart: true, restart) a backfill on whichever replica holds the tenant")
  )
  .add(
    HttpApiEndpoint.post("pause", "/backfill/pause")
      .setPayload(TenantRequest)
      .addSuccess(BackfillStatus)
      .addError(Forbidden)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Stop a running backfill at its next page")
  )
  .add(
    HttpApiEndpoint.post("resume", "/backfill/resume")
      .setPayload(TenantRequest)
      .addSuccess(BackfillStatus)
      .addError(Forbidden)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Let a paused (or parked) tenant be picked up again")
  )
  .add(
    HttpApiEndpoint.post("delta", "/delta/run")
      .setPayload(TenantRequest)
      .addSuccess(BackfillStatus, { status: 202 })
      .addError(Forbidden)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Summary, "Fetch what changed since the last sync, now")
  )
  .middleware(Authentication)
  .prefix("/api/v1/orders/sync")
{}

/** Read models for the operator console: who is signed in, the fleet, a filtered page of tenants, one tenant, its orders. */
export class ConsoleGroup extends HttpApiGroup.make("console")
  .add(HttpApiEndpoint.get("who", "/who").addSuccess(Who).annotate(OpenApi.Summary, "Who this token is"))
  .add(
    HttpApiEndpoint.get("fleet", "/fleet")
      .addSuccess(FleetOverview)
      .annotate(OpenApi.Summary, "Counts, rates and replicas across the tenants this token sees")
  )
  .add(
    HttpApiEndpoint.get("tenants", "/tenants")
      .setUrlParams(TenantListQuery)
      .addSuccess(BackfillList)
      .annotate(OpenApi.Summary, "A page of tenants, searched, filtered by status and sorted")
  )
  .add(
    HttpApiEndpoint.get("tenant", "/tenant")
      .setUrlParams(TenantQuery)
      .addSuccess(TenantDetail)
      .addError(Forbidden)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "One tenant: status, windows, quarantined orders")
  )
  .add(
    HttpApiEndpoint.get("orders", "/orders")
      .setUrlParams(OrdersQuery)
      .addSuccess(OrderList)
      .addError(Forbidden)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "A tenant's newest stored orders (or one, by orderId) with their items")
  )
  .middleware(Authentication)
  .prefix("/api/v1/orders/sync/console")
{}

export class SystemGroup extends HttpApiGroup.make("system")
  .add(HttpApiEndpoint.get("health", "/health").addSuccess(Health))
  .add(HttpApiEndpoint.get("ready", "/ready").addSuccess(Readiness).addError(ServiceUnavailable))
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .addSuccess(HttpApiSchema.Text({ contentType: "text/plain; version=0.0.4; charset=utf-8" }))
      .annotate(OpenApi.Summary, "Prometheus text format")
  )
{}

export class Api extends HttpApi.make("ordersync")
  .add(BackfillGroup)
  .add(ConsoleGroup)
  .add(SystemGroup)
  .addError(BadRequest)
  .addError(InternalFailure)
  .annotate(OpenApi.Title, "ordersync")
  .annotate(OpenApi.Description, "Amazon order backfill and sync: status and triggers. Every /api route needs Authorization: Bearer <token>.")
{}
