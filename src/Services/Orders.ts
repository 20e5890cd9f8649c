import { Config, Effect, Either, Option, Schema, Stream } from "effect"
import { decode2026, decodeV0, INCLUDED_DATA_2026, jsonbRefuses, lacksDatasets2026, pageOrders } from "../Domain/AmazonOrders.js"
import { itemsV0 } from "../Domain/ApiItems.js"
import { DatasetsMissing } from "../Domain/Errors.js"
import type { DecodedOrder, Order, PageOrders } from "../Domain/Order.js"
import * as Permits from "./Permits.js"
import { type BodyDecoder, type MemoryBudget, type QuotaWait, type RequestOptions, schemaBody, type SellerAuth, SpApiClient, type SpApiError } from "./SpApi/SpApiClient.js"
import { SpApiConfig } from "./SpApi/SpApiConfig.js"

/** One listing of orders: a date family, its bounds, and where the pagination stands. */
export interface PageQuery {
  readonly family: "created" | "lastUpdated"
  readonly after: Date
  readonly before: Date
  readonly marketplaceIds: ReadonlyArray<string>
  readonly token: Option.Option<string>
}

/**
 * One page of orders. Its orders are handed over once (`take`): a stream may hold on to the last page it carried
 * while its tenant waits minutes for the next quota token, and a thousand waiting tenants should not each keep
 * a hundred orders alive. They come with the answer's text, from which the database takes each order's `raw`.
 */
export class Page {
  #orders: PageOrders | undefined
  constructor(
    orders: PageOrders,
    readonly nextToken: Option.Option<string>,
    readonly attempts: number,
    readonly throttled: number
  ) {
    this.#orders = orders
  }

  take(): PageOrders {
    const orders = this.#orders ?? { decoded: [] }
    this.#orders = undefined
    return orders
  }
}

const SearchOrdersBody = Schema.Struct({
  orders: Schema.Array(Schema.Unknown),
  pagination: Schema.optional(Schema.Struct({ nextToken: Schema.optional(Schema.String) }))
})
const GetOrdersBody = Schema.Struct({
  payload: Schema.Struct({ Orders: Schema.Array(Schema.Unknown), NextToken: Schema.optional(Schema.String) })
})
const GetOrderItemsBody = Schema.Struct({
  payload: Schema.Struct({ OrderItems: Schema.Array(Schema.Unknown), NextToken: Schema.optional(Schema.String) })
})

/** Restarts of one order's getOrderItems after Amazon refuses its NextToken, before its items are given up. */
const ITEMS_TOKEN_RESTARTS = 2

/** A page's body and its text: each order's `raw` is taken from the text by the database (see OrderRepo.upsert). */
const withText = <A, I>(schema: Schema.Schema<A, I>): BodyDecoder<{ readonly body: A; readonly text: string }> => {
  const decode = schemaBody(schema)
  return (body, text) => Either.map(decode(body, text), (decoded) => ({ body: decoded, text }))
}

const iso = (date: Date) => date.toISOString()

/** An Orders API version: how to ask for a page and how to read one. */
interface Source {
  readonly operation: string
  readonly fetch: (seller: SellerAuth, query: PageQuery, budget: MemoryBudget, options: RequestOptions) => Effect.Effect<Page, OrdersError | QuotaWait>
}

export type OrdersError = SpApiError | DatasetsMissing

/** Amazon order pages for a tenant, from Orders API 2026-01-01 (default) or v0 (`ORDERS_API=v0`). */
export class Orders extends Effect.Service<Orders>()("ordersync/Orders", {
  effect: Effect.gen(function*() {
    const client = yield* SpApiClient
    const { ordersApi } = yield* SpApiConfig
    const pagesInMemory = yield* Config.integer("ORDERSYNC_PAGES_IN_MEMORY").pipe(Config.withDefault(32))
    /**
     * Orders API v0 carries no items: with this, every order of a v0 page gets its items from getOrderItems (one call
     * per order, paced by that operation's own plan, 0.5/s and a burst of 30 by default) before the page is stored,
     * in the backfill and the delta sync alike. Off: v0 orders are stored without items (those stored stay).
     */
    const v0Items = yield* Config.boolean("ORDERSYNC_V0_ITEMS").pipe(Config.withDefault(false))

    // 2026-01-01 searchOrders: every parameter is repeated unchanged alongside the token. The datasets the stored
    // fields come from are opt-in, and Amazon lets includedData change between pages: it is sent on every call.
    const searchOrders: Source = {
      operation: "searchOrders",
      fetch: (seller, query, budget, options) =>
        client.request(seller, {
          operation: "searchOrders",
          path: "/orders/2026-01-01/orders",
          paginated: Option.isSome(query.token),
          listingBound: query.before,
          params: [
            [query.family === "created" ? "createdAfter" : "lastUpdatedAfter", iso(query.after)],
            [query.family === "created" ? "createdBefore" : "lastUpdatedBefore", iso(query.before)],
            ...(query.marketplaceIds.length > 0 ? [["marketplaceIds", query.marketplaceIds.join(",")] as const] : []),
            ["maxResultsPerPage", "100"],
            ["includedData", INCLUDED_DATA_2026.join(",")],
            ...Option.match(query.token, { onNone: () => [], onSome: (token) => [["paginationToken", token] as const] })
          ]
        }, withText(SearchOrdersBody), budget, options).pipe(
          Effect.filterOrFail(
            ({ body: { body } }) => body.orders.length === 0 || !body.orders.every(lacksDatasets2026),
            () => new DatasetsMissing({ operation: "searchOrders", datasets: INCLUDED_DATA_2026.join(",") })
          ),
          Effect.map((response) =>
            new Page(
              pageOrders(response.body.body.orders, response.body.text, ["orders"], decode2026, "orderId"),
              Option.fromNullable(response.body.body.pagination?.nextToken),
              response.attempts,
              response.throttled
            )
          )
        )
    }

    // v0 getOrders: the same listing, PascalCase, MarketplaceIds required.
    const getOrders: Source = {
      operation: "getOrders",
      fetch: (seller, query, budget, options) =>
        client.request(seller, {
          operation: "getOrders",
          path: "/orders/v0/orders",
          paginated: Option.isSome(query.token),
          listingBound: query.before,
          params: [
            [query.family === "created" ? "CreatedAfter" : "LastUpdatedAfter", iso(query.after)],
            [query.family === "created" ? "CreatedBefore" : "LastUpdatedBefore", iso(query.before)],
            ["MarketplaceIds", query.marketplaceIds.join(",")],
            ["MaxResultsPerPage", "100"],
            ...Option.match(query.token, { onNone: () => [], onSome: (token) => [["NextToken", token] as const] })
          ]
        }, withText(GetOrdersBody), budget, options).pipe(
          Effect.map((response) =>
            new Page(
              pageOrders(response.body.body.payload.Orders, response.body.text, ["payload", "Orders"], decodeV0, "AmazonOrderId"),
              Option.fromNullable(response.body.body.payload.NextToken),
              response.attempts,
              response.throttled
            )
          )
        )
    }

    const source = ordersApi === "v0" ? getOrders : searchOrders

    /** v0 getOrderItems: every item of an order, following `NextToken`; the order is listed again if the token is refused. */
    const getOrderItems = (seller: SellerAuth, orderId: string) => {
      const from = (token: Option.Option<string>, restarts: number, got: ReadonlyArray<unknown>, attempts: number, throttled: number): Effect.Effect<
        { readonly items: ReadonlyArray<unknown>; readonly attempts: number; readonly throttled: number },
        SpApiError
      > =>
        client.call(seller, {
          operation: "getOrderItems",
          path: `/orders/v0/orders/${encodeURIComponent(orderId)}/orderItems`,
          paginated: Option.isSome(token),
          params: Option.match(token, { onNone: () => [], onSome: (next) => [["NextToken", next] as const] })
        }, schemaBody(GetOrderItemsBody)).pipe(
          Effect.flatMap((response) => {
            const items = [...got, ...response.body.payload.OrderItems]
            const counted = { attempts: attempts + response.attempts, throttled: throttled + response.throttled }
            const next = response.body.payload.NextToken
            return next === undefined || next === ""
              ? Effect.succeed({ items, ...counted })
              : from(Option.some(next), restarts, items, counted.attempts, counted.throttled)
          }),
          Effect.catchTag("PageTokenRejected", (refused) =>
            restarts >= ITEMS_TOKEN_RESTARTS ? Effect.fail(refused) : from(Option.none(), restarts + 1, [], attempts + 1, throttled))
        )
      return from(Option.none(), 0, [], 0, 0)
    }

    /**
     * One order with its items, or without (its version then has none stored) when Amazon refuses them for this
     * order for good (a 4xx such as 404, a refused NextToken) or they do not decode or cannot be stored: a warning
     * says which. What is
     * not the order's own (the quota, Amazon unavailable after the retries, the credentials or the role) fails the
     * page, which is then asked again from its checkpoint: an order stored without items would get them only when it
     * next changes.
     */
    const withItems = (seller: SellerAuth, order: Order) => {
      const without = (reason: string) =>
        Effect.as(Effect.logWarning(`order ${order.externalOrderId} stored without its items: ${reason}`), { order, attempts: 0, throttled: 0 })
      return getOrderItems(seller, order.externalOrderId).pipe(
        Effect.flatMap(({ attempts, items, throttled }) =>
          // Each item's raw goes to the database as jsonb, which refuses a NUL (\u0000) or half a surrogate pair.
          items.some(jsonbRefuses)
            ? Effect.map(without("getOrderItems answered text PostgreSQL cannot store (a NUL or half a surrogate pair)"), (kept) => ({ ...kept, attempts, throttled }))
            : Either.match(itemsV0(items, order), {
            onLeft: (reason) => Effect.map(without(`getOrderItems answered items that do not decode (${reason})`), (kept) => ({ ...kept, attempts, throttled })),
            onRight: (read) =>
              Effect.as(
                read.matched ? Effect.void : Effect.logWarning(
                  `order ${order.externalOrderId}: ${order.totalAmount === null ? "no OrderTotal to check its items' prices with" :
                    `its items' prices do not sum to its OrderTotal ${order.totalAmount} with the taxes on top or inside`}; ` +
                    `stored with the taxes ${read.rule === "taxIncluded" ? "inside the prices" : "on top"} (by its currency)`
                ),
                { order: { ...order, items: read.items }, attempts, throttled }
              )
          })),
        Effect.catchTags({
          AmazonRejected: (refused) => without(`getOrderItems answered ${refused.status} ${refused.code}${refused.reason === "" ? "" : ` (${refused.reason})`}`),
          PageTokenRejected: (refused) => without(refused.reason)
        })
      )
    }

    /** A v0 page with every decoded order's items (see `withItems`); its requests counted with the page's. */
    const pageWithItems = (seller: SellerAuth, fetched: Page): Effect.Effect<Page, SpApiError> => {
      const taken = fetched.take()
      // One call after the other: each is sent only once the one before was answered, so none overtakes another on
      // the way and reaches Amazon's bucket before its turn (the burst of 30 is a few seconds of latency in 200).
      return Effect.forEach(taken.decoded, (decoded): Effect.Effect<{ decoded: DecodedOrder; attempts: number; throttled: number }, SpApiError> =>
        decoded._tag === "Quarantined"
          ? Effect.succeed({ decoded, attempts: 0, throttled: 0 })
          : Effect.map(withItems(seller, decoded.order), ({ attempts, order, throttled }) => ({ decoded: { _tag: "Order", order }, attempts, throttled }))).pipe(
        Effect.map((read) =>
          new Page(
            { ...taken, decoded: read.map((r) => r.decoded) },
            fetched.nextToken,
            read.reduce((n, r) => n + r.attempts, fetched.attempts),
            read.reduce((n, r) => n + r.throttled, fetched.throttled)
          )
        ),
        Effect.withSpan("orders.items", { attributes: { tenantId: seller.tenantId, orders: taken.decoded.length }, captureStackTrace: false })
      )
    }

    /** The operation whose calls give v0 orders their items, when they are asked for (the planner counts it). */
    const itemsOperation = ordersApi === "v0" && v0Items ? "getOrderItems" as const : undefined

    // Pages fetched and not yet stored, across all tenants: a thousand tenants starting at once would otherwise
    // each hold a decoded page while they queue for a database connection.
    const budget = yield* Permits.make(pagesInMemory)

    /**
     * One page of a query (`query.token` says which): handed to `store` (which commits it), and answered with what
     * `store` answered and the next page's token, if there is one. The page holds a slot of the memory budget from its
     * answer until it is stored. With v0 items (`itemsOperation`), each of its orders gets its items first, paced by
     * getOrderItems' own bucket (minutes for a page at Amazon's default plan): the page gives its slot back for that
     * wait, as for any quota wait, and takes one again to be stored, with its items or not at all (see `withItems`).
     *
     * With `parkAfter`, it fails with QuotaWait instead of waiting longer than that for the tenant's quota (or
     * retrying a 429): the caller, which has stored every page so far with its checkpoint, waits with nothing of
     * this page held and asks again from there. A thousand paced tenants then wait as a few frames each, not as a
     * fiber with the request's whole stack (B3).
     */
    const page = <B, E, R>(
      seller: SellerAuth,
      query: PageQuery,
      store: (page: Page) => Effect.Effect<B, E, R>,
      options: RequestOptions = {}
    ): Effect.Effect<readonly [B, Option.Option<string>], OrdersError | QuotaWait | E, R> =>
      // The quota wait comes first, where a paced tenant's fiber holds the least; the request takes the token.
      Effect.zipRight(
        options.parkAfter === undefined ? client.ready(seller.tenantId, source.operation) : Effect.void,
        itemsOperation === undefined
          ? Effect.scoped(
            Effect.flatMap(Effect.scope, (scope) =>
              source.fetch(seller, query, { budget, scope }, options).pipe(
                Effect.flatMap((fetched) => Effect.map(store(fetched), (stored) => [stored, fetched.nextToken] as const))
              ))
          )
          : Effect.scoped(Effect.flatMap(Effect.scope, (scope) => source.fetch(seller, query, { budget, scope }, options))).pipe(
            Effect.flatMap((fetched) => pageWithItems(seller, fetched)),
            Effect.flatMap((fetched) => Effect.map(budget.withPermit(store(fetched)), (stored) => [stored, fetched.nextToken] as const))
          )
      )

    /** The pages of one query from `query.token` on, oldest first, each stored before the next is asked for (see `page`). */
    const pages = <B, E, R>(
      seller: SellerAuth,
      query: PageQuery,
      store: (page: Page) => Effect.Effect<B, E, R>,
      options: RequestOptions = {}
    ): Stream.Stream<B, OrdersError | QuotaWait | E, R> =>
      Stream.paginateEffect(query.token, (token) =>
        Effect.map(page(seller, { ...query, token }, store, options), ([stored, next]) => [stored, Option.map(next, Option.some)] as const))

    return { operation: source.operation, apiVersion: ordersApi, itemsOperation, page, pages } as const
  })
}) {}
