import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Either, Option, Schedule } from "effect"
import { itemsV0 } from "../../src/Domain/ApiItems.js"
import { Backfill } from "../../src/Services/Backfill.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { type GroundTruthOrder, scoped as simulator, type SellerStats } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, requestsOf, storedOrders, testSeller } from "../support/Engine.js"

// Orders API v0 carries no items: with ORDERSYNC_V0_ITEMS=true every order of a page gets them from getOrderItems (one
// call per order, paced by that operation's own plan, 0.5/s with a burst of 30) before the page is stored, net of tax
// whether the seller's prices carry it on top (US) or inside (a seller in the VAT Calculation Service, DE).

const DE = "A1PA6795UKMFR9"
/** Amazon seconds per real second: getOrderItems' 0.5/s is 50/s here, so a few hundred orders take seconds. */
const FACTOR = 100
const V0_ITEMS = { ORDERS_API: "v0", ORDERSYNC_V0_ITEMS: "true" }

const MONEY = ["itemPrice", "itemTax", "shippingPrice", "shippingTax", "giftWrapPrice", "giftWrapTax", "promotionDiscount"] as const
type Money = typeof MONEY[number]

interface ItemRow extends Record<Money, string | null> {
  readonly externalOrderId: string
  readonly orderItemId: string
  readonly sku: string | null
  readonly asin: string | null
  readonly title: string | null
  readonly quantity: number
  readonly quantityShipped: number | null
  readonly itemStatus: string | null
  readonly currency: string | null
}

/** The database writes NUMERIC(18,2) as "4.00", the ground truth as Amazon would ("4.00", JPY "1200"): by value. */
const amount = (value: string | null) => (value === null ? "null" : Number(value).toFixed(2))

const comparable = (orderId: string, item: Omit<ItemRow, "externalOrderId">) =>
  [orderId, item.orderItemId, item.sku, item.asin, item.title, item.quantity, item.quantityShipped, item.itemStatus, item.currency,
    ...MONEY.map((m) => amount(item[m]))].join(" | ")

const storedItems = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<ItemRow>`
      SELECT "externalOrderId", "orderItemId", "sku", "asin", "title", "quantity", "quantityShipped", "itemStatus", "currency",
        ${sql.literal(MONEY.map((m) => `"${m}"::text AS "${m}"`).join(", "))}
      FROM "OrderItem" WHERE "tenantId" = ${tenantId}`.pipe(Effect.orDie))

/** Every order of `truth` has exactly its ground-truth items, by id, and nothing else is stored: strict, v0 included. */
const expectItemsOf = (tenantId: string, truth: ReadonlyArray<GroundTruthOrder>) =>
  Effect.gen(function*() {
    const rows = yield* storedItems(tenantId)
    const expected = truth.flatMap((order) => order.items.map((item) => comparable(order.orderId, item)))
    expect(rows.map((row) => comparable(row.externalOrderId, row)).sort()).toEqual(expected.sort())
    return rows.length
  })

/** getOrderItems calls the simulator answered with the items. */
const answered = (sim: { stats: (id: string) => SellerStats }, tenantId: string) => sim.stats(tenantId).requests.getOrderItems?.["200"] ?? 0

/** The range's ground truth for a tenant's run, now. */
const rangeTruth = (sim: { groundTruth: (id: string, o: { createdAfter: Date; createdBefore: Date }) => ReadonlyArray<GroundTruthOrder> }, tenantId: string) =>
  Effect.map(Effect.flatMap(SyncStateRepo, (repo) => repo.run(tenantId)), (run) => {
    const { rangeEnd, rangeStart } = Option.getOrThrow(run)
    return sim.groundTruth(tenantId, { createdAfter: rangeStart, createdBefore: rangeEnd })
  })

describe("order items on Orders API v0 (ORDERSYNC_V0_ITEMS)", () => {
  it.scopedLive("a backfill stores exactly the ground truth's items, taxes on top (US) or inside the prices (VAT Calculation Service, DE), paced at getOrderItems' plan", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: FACTOR,
        sellers: [
          testSeller("v0-us", 700, 61),
          testSeller("v0-vcs", 500, 62, { marketplaceIds: [DE], vatCalculationService: true })
        ]
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const sql = yield* SqlClient.SqlClient
        for (const tenantId of ["v0-us", "v0-vcs"]) {
          const status = yield* backfill.runInitialBackfill(tenantId, 365)
          expect(status.initialBackfillStatus).toBe("success")
          const truth = yield* rangeTruth(sim, tenantId)
          expect(truth.length).toBeGreaterThan(150)
          expectExactly(yield* storedOrders(tenantId), truth)
          const items = yield* expectItemsOf(tenantId, truth)
          expect(items).toBeGreaterThan(truth.length)

          // One getOrderItems per order, within `burst + rate × elapsed` of its own plan. A 429 is rare: the client
          // sends each call the moment its own bucket has a token, and a call that reaches Amazon's sooner after the
          // one before than it left (latency varies) can find a fraction of a token short; it is retried.
          const stats = sim.stats(tenantId)
          const bucket = stats.tokens.getOrderItems!
          const throttled = stats.requests.getOrderItems!["429"] ?? 0
          expect(answered(sim, tenantId)).toBe(truth.length)
          expect(throttled).toBeLessThanOrEqual(Math.ceil(truth.length / 100))
          expect(requestsOf(sim, tenantId, "getOrderItems")).toBe(truth.length + throttled)
          expect(bucket.spent).toBe(truth.length)
          expect(bucket.spent).toBeLessThanOrEqual(bucket.maximum + 1)
          // Past the burst, the pacing keeps up with the plan rather than trailing it.
          expect(bucket.spent / bucket.maximum).toBeGreaterThan(0.5)
          // The backfill's requests count the items' calls too.
          expect(status.progress.requests).toBeGreaterThanOrEqual(truth.length)
        }

        // The VCS seller's VAT is inside its prices: stored net, and net + tax − promotion is the order's total.
        const [vcs] = yield* sql<{ taxed: number; orders: number; off: number }>`
          SELECT count(*) FILTER (WHERE i."itemTax" > 0)::int AS taxed, count(DISTINCT o."externalOrderId")::int AS orders,
            count(*) FILTER (WHERE o."totalAmount" IS NOT NULL AND o."totalAmount" <> (
              SELECT sum(x."itemPrice" + x."itemTax" + x."shippingPrice" + x."shippingTax" + x."giftWrapPrice" + x."giftWrapTax" - x."promotionDiscount")
              FROM "OrderItem" x WHERE x."tenantId" = o."tenantId" AND x."externalOrderId" = o."externalOrderId"))::int AS off
          FROM "Order" o JOIN "OrderItem" i ON i."tenantId" = o."tenantId" AND i."externalOrderId" = o."externalOrderId"
          WHERE o."tenantId" = 'v0-vcs'`
        expect(vcs!.taxed).toBeGreaterThan(100)
        expect(vcs!.off).toBe(0)
        const [us] = yield* sql<{ taxed: number }>`SELECT count(*) FILTER (WHERE "itemTax" > 0)::int AS taxed FROM "OrderItem" WHERE "tenantId" = 'v0-us'`
        expect(us!.taxed).toBeGreaterThan(100)
      }).pipe(Effect.provide(engineFor(sim, V0_ITEMS)))
    }))

  it.scopedLive("throttled and failing getOrderItems calls are retried: the items are still exactly the ground truth's", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: FACTOR,
        sellers: [testSeller("v0-faulty", 300, 65, { faults: { extra429Probability: 0.1, error500Probability: 0.05, error503Probability: 0.05 } })]
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("v0-faulty", 365)
        expect(status.initialBackfillStatus).toBe("success")
        const truth = yield* rangeTruth(sim, "v0-faulty")
        expectExactly(yield* storedOrders("v0-faulty"), truth)
        yield* expectItemsOf("v0-faulty", truth)
        const answers = sim.stats("v0-faulty").requests.getOrderItems!
        expect(answers["429"]).toBeGreaterThan(0)
        expect((answers["500"] ?? 0) + (answers["503"] ?? 0)).toBeGreaterThan(0)
        expect(answers["200"]).toBe(truth.length)
      }).pipe(Effect.provide(engineFor(sim, V0_ITEMS)))
    }))

  it.scopedLive("off by default: no getOrderItems call and no item rows for a v0 tenant", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: 3600, sellers: [testSeller("v0-plain", 600, 63)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("v0-plain", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expectExactly(yield* storedOrders("v0-plain"), yield* rangeTruth(sim, "v0-plain"))
        expect(requestsOf(sim, "v0-plain", "getOrderItems")).toBe(0)
        expect(yield* storedItems("v0-plain")).toEqual([])
      }).pipe(Effect.provide(engineFor(sim, { ORDERS_API: "v0" })))
    }))

  it.scopedLive("a delta sync after orders change keeps their items current (status, shipped quantity, Pending orders' prices)", () =>
    Effect.gen(function*() {
      // The last three days only, where the open orders are, so that many changes come after the backfill.
      const factor = FACTOR
      const sim = yield* simulator({ timeFactor: factor })
      yield* Effect.gen(function*() {
        // Added once the engine is up (its database migrated), so that the changes' clock starts with the backfill.
        sim.addSeller(testSeller("v0-moving", 20_000, 64, {
          // Within 6 real seconds of now, the open orders (Pending, Unshipped) move on.
          changes: { share: 0.1, horizonSeconds: 6 * factor }
        }))
        const anchor = new Date(sim.sellers()[0]!.anchorTime).getTime()
        yield* addSellers(sim)
        const backfill = yield* Backfill
        yield* backfill.runInitialBackfill("v0-moving", 3)
        const before = yield* rangeTruth(sim, "v0-moving")
        // Let the changes play out and become listable (the 2-minute rule is 1.2 s here).
        const settled = anchor + 6_000 + 2_000
        yield* Clock.currentTimeMillis.pipe(Effect.repeat({ until: (now) => now > settled, schedule: Schedule.spaced("100 millis") }))
        const calls = answered(sim, "v0-moving")
        const delta = yield* backfill.runOrdersDeltaSync("v0-moving")
        expect(delta.orders).toBeGreaterThan(0)
        // The delta asked for the items of each order it listed.
        expect(answered(sim, "v0-moving") - calls).toBe(delta.orders)
        expect(sim.stats("v0-moving").tokens.getOrderItems!.spent).toBeLessThanOrEqual(sim.stats("v0-moving").tokens.getOrderItems!.maximum + 1)

        // The range's orders, and any older one the delta stored because it changed.
        const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run("v0-moving"))
        const storedIds = new Set((yield* storedOrders("v0-moving")).map((o) => o.externalOrderId))
        const after = sim.groundTruth("v0-moving").filter((o) => new Date(o.createdTime) >= run.rangeStart || storedIds.has(o.orderId))
        const changed = after.filter((o) => before.find((b) => b.orderId === o.orderId)?.lastUpdatedTime !== o.lastUpdatedTime)
        expect(changed.length).toBeGreaterThan(5)
        const statuses = (orders: ReadonlyArray<GroundTruthOrder>) => orders.flatMap((o) => o.items.map((i) => `${o.orderId} ${i.orderItemId} ${i.itemStatus} ${i.itemPrice}`))
        // The run did change items: statuses or prices differ from the backfill's.
        expect(statuses(changed).filter((row) => !new Set(statuses(before)).has(row)).length).toBeGreaterThan(0)
        expectExactly(yield* storedOrders("v0-moving"), after)
        yield* expectItemsOf("v0-moving", after)
      }).pipe(Effect.provide(engineFor(sim, V0_ITEMS)))
    }))
})

describe("decoding v0 getOrderItems (itemsV0)", () => {
  const money = (Amount: string, CurrencyCode = "EUR") => ({ Amount, CurrencyCode })
  const item = (id: string, extra: Record<string, unknown> = {}) => ({ OrderItemId: id, ASIN: `B0${id}`, SellerSKU: `SKU-${id}`, Title: `Item ${id}`, QuantityOrdered: 2, QuantityShipped: 2, ...extra })
  const read = (list: ReadonlyArray<unknown>, totalAmount: string | null, orderStatus = "SHIPPED", currency: string | null = "EUR") =>
    Either.getOrThrow(itemsV0(list, { orderStatus, totalAmount, currency }))
  const parts = (i: { itemPrice: string | null; itemTax: string | null; shippingPrice: string | null; shippingTax: string | null; giftWrapPrice: string | null; giftWrapTax: string | null; promotionDiscount: string | null }) =>
    [i.itemPrice, i.itemTax, i.shippingPrice, i.shippingTax, i.giftWrapPrice, i.giftWrapTax, i.promotionDiscount]

  it("decides per order from OrderTotal: taxes on top, or inside the prices (taken out), gift wrap and promotions included", () => {
    const priced = item("1", {
      ItemPrice: money("119.00"), ItemTax: money("19.00"), ShippingPrice: money("5.95"), ShippingTax: money("0.95"),
      PromotionDiscount: money("-11.90"), ShippingDiscount: money("0.00"),
      BuyerInfo: { GiftWrapPrice: money("3.57"), GiftWrapTax: money("0.57") }
    })
    // 119 + 5.95 + 3.57 − 11.90: the VAT is inside the prices.
    const inside = read([priced], "116.62")
    expect(inside).toMatchObject({ rule: "taxIncluded", matched: true })
    expect(parts(inside.items[0]!)).toEqual(["100.00", "19.00", "5.00", "0.95", "3.00", "0.57", "11.90"])
    // The same parts with the taxes on top (a US order): 119 + 19 + 5.95 + 0.95 + 3.57 + 0.57 − 11.90.
    const onTop = read([priced], "137.14")
    expect(onTop).toMatchObject({ rule: "additive", matched: true })
    expect(parts(onTop.items[0]!)).toEqual(["119.00", "19.00", "5.95", "0.95", "3.57", "0.57", "11.90"])
    expect(onTop.items[0]).toMatchObject({ orderItemId: "1", sku: "SKU-1", asin: "B01", title: "Item 1", quantity: 2, quantityShipped: 2, itemStatus: "SHIPPED", currency: "EUR" })
    expect(onTop.items[0]!.raw).toEqual({ value: priced })
  })

  it("promotion taxes: taken off the taxes when the total says so; COD fees count in the total", () => {
    const withDiscountTax = item("1", {
      ItemPrice: money("50.00", "USD"), ItemTax: money("5.00", "USD"), PromotionDiscount: money("10.00", "USD"), PromotionDiscountTax: money("1.00", "USD"),
      CODFee: money("2.00", "USD"), CODFeeDiscount: money("0.50", "USD")
    })
    // 50 + (5 − 1) − 10 + 1.50
    const net = read([withDiscountTax], "45.50", "SHIPPED", "USD")
    expect(net).toMatchObject({ rule: "additive", matched: true })
    expect(net.items[0]!.itemTax).toBe("4.00")
    // 50 + 5 − 10 + 1.50: the tax was already after the promotion.
    const gross = read([withDiscountTax], "46.50", "SHIPPED", "USD")
    expect(gross).toMatchObject({ rule: "additiveGross", matched: true })
    expect(gross.items[0]!.itemTax).toBe("5.00")
  })

  it("no total to check with: taxes on top in USD and CAD, inside elsewhere, and it says so; Pending items have no money", () => {
    const taxed = (currency: string) => item("1", { ItemPrice: money("12.00", currency), ItemTax: money("2.00", currency) })
    expect(read([taxed("USD")], null, "CANCELLED", null)).toMatchObject({ rule: "additive", matched: false, items: [{ itemPrice: "12.00", itemStatus: "CANCELLED" }] })
    expect(read([taxed("GBP")], null, "CANCELLED", null)).toMatchObject({ rule: "taxIncluded", matched: false, items: [{ itemPrice: "10.00", currency: "GBP" }] })
    expect(read([taxed("EUR")], "99.00")).toMatchObject({ matched: false })
    const pending = read([item("1", { QuantityShipped: 0 }), item("2", { QuantityShipped: 0 })], null, "PENDING", null)
    expect(pending.matched).toBe(true)
    for (const i of pending.items) {
      expect(parts(i)).toEqual([null, null, null, null, null, null, null])
      expect(i).toMatchObject({ currency: null, itemStatus: "UNSHIPPED", quantityShipped: 0 })
    }
    // A partially shipped order: the items' own shipped quantities.
    expect(read([item("1"), item("2", { QuantityShipped: 0 })], null, "PARTIALLY_SHIPPED").items.map((i) => i.itemStatus)).toEqual(["SHIPPED", "UNSHIPPED"])
  })

  it("a malformed list fails with the reason: no id, an id twice, a quantity or amount that is not a number, two currencies", () => {
    const fails = (list: ReadonlyArray<unknown>) => Either.getLeft(itemsV0(list, { orderStatus: "SHIPPED", totalAmount: "1.00", currency: "EUR" })).pipe(Option.getOrThrow)
    expect(fails([{ ASIN: "B0", QuantityOrdered: 1 }])).toMatch(/OrderItems\[0\] has no OrderItemId/)
    expect(fails([item("1"), item("1")])).toMatch(/appears twice/)
    expect(fails([item("1", { QuantityOrdered: "2" })])).toMatch(/QuantityOrdered/)
    expect(fails([item("1", { ItemPrice: money("1,00") })])).toMatch(/ItemPrice "1,00" is not a decimal number/)
    expect(fails([item("1", { ItemPrice: money("1.00") }), item("2", { ItemPrice: money("1.00", "GBP") })])).toMatch(/more than one currency/)
  })
})
