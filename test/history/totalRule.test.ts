import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Option, Stream } from "effect"
import { sameAmount } from "../../src/Domain/Money.js"
import type { DecodedOrder } from "../../src/Domain/Order.js"
import { type ReportRaw, reportHeader, type RowMoney } from "../../src/Domain/ReportOrders.js"
import { candidateTotals, carriesTax, decideTotalRule, type PricedByBoth, rowsMoney } from "../../src/Domain/TotalRule.js"
import { Backfill } from "../../src/Services/Backfill.js"
import { documentOrders, redecode } from "../../src/Services/History/ReportDocument.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, expectRangeExact, requestsOf, storedOrders, testSeller } from "../support/Engine.js"

const FACTOR = 3600
const DE = "A1PA6795UKMFR9"

// ---------------------------------------------------------------------------------------------------------------
// The decision, pure: orders priced by both (the Orders API's total, the report's rows) → a rule, none, or undecided.

const money = (fields: Partial<RowMoney> & { readonly itemPrice: string }): RowMoney => ({ currency: "EUR", ...fields })
const priced = (externalOrderId: string, apiTotal: string, rows: ReadonlyArray<RowMoney>, apiCurrency: string | null = "EUR"): PricedByBoth => ({
  externalOrderId,
  apiTotal,
  apiCurrency,
  rows
})

/** A VCS seller's order in DE: 119.00 with 19.00 VAT inside it, shipping 4.99 given back (so no VAT on it). */
const vcs = (id: string) =>
  priced(id, "119.00", [money({ itemPrice: "119.00", itemTax: "19.00", shippingPrice: "4.99", shippingTax: "0.00", shipPromotionDiscount: "4.99" })])
/** A US order: 100.00 plus 8.25 sales tax. */
const us = (id: string) => priced(id, "108.25", [money({ currency: "USD", itemPrice: "100.00", itemTax: "8.25" })], "USD")
/** Any seller's order without tax in its rows (a VAT marketplace outside the VCS, an export, a 0 % state). */
const untaxed = (id: string, total = "25.00") => priced(id, total, [money({ itemPrice: total, itemTax: "0.00" })])

describe("choosing the report total rule (pure)", () => {
  it("VAT inside item-price: taxIncluded, with the orders that told", () => {
    const decision = decideTotalRule([vcs("A"), vcs("B"), untaxed("C")])
    expect(decision).toEqual({
      _tag: "Decided",
      rule: "taxIncluded",
      reason: "2 orders priced by both agree only with VAT inside item-price; 1 more carry no tax and agree with either"
    })
  })

  it("sales tax on top: additive", () => {
    expect(decideTotalRule([us("A")])).toEqual({
      _tag: "Decided",
      rule: "additive",
      reason: "1 order priced by both agree only with the taxes added to the prices"
    })
  })

  it("no order carries tax, or none is priced by both: undecided (either rule gives those totals)", () => {
    expect(decideTotalRule([untaxed("A"), untaxed("B")])).toEqual({
      _tag: "Undecided",
      reason: "2 orders priced by both carry no tax: either rule gives their totals"
    })
    expect(decideTotalRule([])._tag).toBe("Undecided")
    // A 0.00 tax is no tax; an empty column neither.
    expect(carriesTax([money({ itemPrice: "5", itemTax: "0", shippingTax: "", giftWrapTax: "0.00" })])).toBe(false)
    expect(carriesTax([money({ itemPrice: "5", giftWrapTax: "0.01" })])).toBe(true)
  })

  it("an API total that neither rule gives: none, naming the order, the API's total and both candidates", () => {
    const decision = decideTotalRule([vcs("A"), priced("302-1", "130.00", vcs("x").rows)])
    expect(decision).toEqual({
      _tag: "NoneFits",
      reason: "order 302-1 totals 130.00 EUR in the Orders API, 138.00 (additive) or 119.00 (taxIncluded) from the report's rows"
    })
    // An order without tax cannot tell, but it still must agree.
    expect(decideTotalRule([vcs("A"), untaxed("B", "25.00"), { ...untaxed("C", "25.00"), apiTotal: "26.00" }])._tag).toBe("NoneFits")
    // Another currency is no match either.
    expect(decideTotalRule([{ ...vcs("A"), apiCurrency: "GBP" }])._tag).toBe("NoneFits")
  })

  it("two orders that each agree only with a different rule: none", () => {
    const decision = decideTotalRule([vcs("A"), { ...us("B"), apiCurrency: "EUR", rows: [{ ...us("B").rows[0]!, currency: "EUR" }] }])
    expect(decision).toEqual({ _tag: "NoneFits", reason: "order A agrees only with taxIncluded, order B agrees only with additive" })
  })

  it("amounts compare as numbers: JPY without decimals, a total with one", () => {
    expect(decideTotalRule([priced("J", "1200", [money({ currency: "JPY", itemPrice: "1200", itemTax: "109" })], "JPY")])).toMatchObject({ rule: "taxIncluded" })
    expect(decideTotalRule([priced("U", "108.3", [money({ currency: "USD", itemPrice: "100.05", itemTax: "8.25" })], "USD")])).toMatchObject({ rule: "additive" })
  })
})

// ---------------------------------------------------------------------------------------------------------------
// A document read before the rule is known: its chunks say so, and decode again with the rule.

describe("report chunks and the rule", () => {
  const columns = ["amazon-order-id", "purchase-date", "last-updated-date", "order-status", "sales-channel", "quantity", "currency", "item-price", "item-tax"]
  const line = (id: string, price: string, tax: string) =>
    [id, "2026-05-08T23:36:26+00:00", "2026-05-09T10:00:00+00:00", "Shipped", "Amazon.de", "1", "EUR", price, tax].join("\t")
  const document = [columns.join("\t"), line("A", "119.00", "19.00"), line("B", "59.50", "9.50"), ""].join("\n")
  const read = (rule: () => "additive" | "taxIncluded" | null) =>
    documentOrders(Stream.make(new TextEncoder().encode(document)), {
      contentType: "text/plain; charset=UTF-8",
      compressed: false,
      reportType: "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
      skipRows: 0,
      chunkOrders: 1,
      rule
    }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
  const total = (o: DecodedOrder) => (o._tag === "Order" ? o.order.totalAmount : undefined)

  it.effect("a chunk decoded before the rule is known is additive and says so; decoded again, it follows the rule", () =>
    Effect.gen(function*() {
      let rule: "taxIncluded" | null = null
      const chunks = yield* read(() => {
        const now = rule
        rule = "taxIncluded" // decided while the first chunk is stored
        return now
      })
      expect(chunks.map((c) => c.rule)).toEqual([null, "taxIncluded"])
      expect(chunks.map((c) => total(c.orders[0]!))).toEqual(["138.00", "59.50"])
      const again = redecode(chunks[0]!.header, chunks[0]!.orders[0]!, "taxIncluded")
      expect(total(again)).toBe("119.00")
      expect(again._tag === "Order" && again.order.items?.[0]).toMatchObject({ itemPrice: "100.00", itemTax: "19.00" })
      // Without a rule to read, every chunk is additive, as before.
      const plain = yield* documentOrders(Stream.make(new TextEncoder().encode(document)), {
        contentType: undefined, compressed: false, reportType: "X", skipRows: 0, chunkOrders: 5
      }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      expect(plain.map((c) => c.rule)).toEqual(["additive"])
    }))
})

// ---------------------------------------------------------------------------------------------------------------
// Through the reports against the simulator.

/** Orders whose stored total is not the sum of their items' parts (net prices + taxes − promotions). */
const partsDisagree = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ externalOrderId: string; totalAmount: string; parts: string }>`
      SELECT "externalOrderId", o."totalAmount"::text AS "totalAmount",
        sum(i."itemPrice" + i."itemTax" + i."shippingPrice" + i."shippingTax" + i."giftWrapPrice" + i."giftWrapTax" - i."promotionDiscount")::text AS "parts"
      FROM "Order" o JOIN "OrderItem" i USING ("tenantId", "marketplace", "externalOrderId")
      WHERE "tenantId" = ${tenantId} AND o."totalAmount" IS NOT NULL
      GROUP BY o."id", "externalOrderId"
      HAVING o."totalAmount" IS DISTINCT FROM sum(i."itemPrice" + i."itemTax" + i."shippingPrice" + i."shippingTax" + i."giftWrapPrice" + i."giftWrapTax" - i."promotionDiscount")
      LIMIT 10`.pipe(Effect.orDie))

/**
 * The stored report-sourced orders with a total (`priced`), and those with tax in their rows, each with its stored
 * total and both rules' totals.
 */
const reportTotals = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ externalOrderId: string; totalAmount: string; raw: ReportRaw }>`
      SELECT "externalOrderId", "totalAmount"::text AS "totalAmount", "raw" FROM "Order"
      WHERE "tenantId" = ${tenantId} AND "raw" ->> 'source' = 'report' AND "totalAmount" IS NOT NULL`.pipe(
      Effect.orDie,
      Effect.map((rows) => ({
        priced: rows.length,
        taxed: rows.flatMap((row) => {
          const header = Either.getOrThrow(reportHeader(Object.keys(row.raw.rows[0]!)))
          const rows = rowsMoney(header, row.raw.rows)
          return carriesTax(rows) ? [{ ...row, candidates: candidateTotals(rows) }] : []
        })
      }))
    ))

describe("the report total rule through reports", () => {
  it.scopedLive("a VCS seller in DE: taxIncluded, every total the Orders API's gross, items' parts sum to it; additive would count the VAT twice", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: FACTOR,
        sellers: [testSeller("vcs-de", 6000, 71, { marketplaceIds: [DE], vatCalculationService: true })]
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("vcs-de", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expect(status.progress.historySource).toBe("reports")
        expect(status.progress.reports).toMatchObject({ windows: 13, done: 13, fallback: 0, totalRule: "taxIncluded" })
        expect(requestsOf(sim, "vcs-de", "createReport")).toBe(13)
        const rule = yield* (yield* Tenants).totalRule("vcs-de")
        expect(rule.rule).toBe("taxIncluded")
        expect(rule.reason).toMatch(/^\d+ orders? priced by both agree only with VAT inside item-price/)
        // Totals and items exactly the ground truth's (the Orders API's gross; items net of VAT).
        yield* expectRangeExact(sim, "vcs-de")
        expect(yield* partsDisagree("vcs-de")).toEqual([])
        // Nearly every order came from a report, and under the additive rule each of those with VAT would be wrong.
        const { priced, taxed } = yield* reportTotals("vcs-de")
        expect(priced).toBeGreaterThan(2000)
        expect(taxed.length).toBe(priced)
        expect(taxed.filter((o) => !sameAmount(o.candidates.taxIncluded.total!, o.totalAmount)).map((o) => o.externalOrderId)).toEqual([])
        expect(taxed.filter((o) => sameAmount(o.candidates.additive.total!, o.totalAmount)).map((o) => o.externalOrderId)).toEqual([])
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_HISTORY_SOURCE: "reports" })))
    }))

  it.scopedLive("a US seller (sales tax on top): additive; the planner's auto path decides it from its sample", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("us-tax", 60_000, 72)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("us-tax", 365)
        expect(status.progress.historySource).toBe("reports")
        expect(status.progress.reports).toMatchObject({ windows: 13, done: 13, fallback: 0, totalRule: "additive" })
        expect(status.progress.historyReason).toMatch(/orders in the range/)
        const rule = yield* (yield* Tenants).totalRule("us-tax")
        expect(rule.rule).toBe("additive")
        // The sample's 100 orders, all in the first report.
        expect(rule.reason).toMatch(/^\d+ orders priced by both agree only with the taxes added to the prices; \d+ more carry no tax/)
        yield* expectRangeExact(sim, "us-tax")
        expect(yield* partsDisagree("us-tax")).toEqual([])
        // Four orders in five pay sales tax (the simulator's rates include 0 %).
        const { priced, taxed } = yield* reportTotals("us-tax")
        expect(priced).toBeGreaterThan(20_000)
        expect(taxed.length).toBeGreaterThan(priced * 0.7)
        expect(taxed.filter((o) => !sameAmount(o.candidates.additive.total!, o.totalAmount)).map((o) => o.externalOrderId)).toEqual([])
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_HISTORY_SOURCE: "auto" })))
    }))

  it.scopedLive("report totals that match no rule: 'none' with the order and its totals, the history through the Orders API, no report again until --restart", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("skewed", 6000, 73)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const tenants = yield* Tenants
        const sql = yield* SqlClient.SqlClient
        yield* backfill.runInitialBackfill("skewed", 365)
        expect((yield* tenants.totalRule("skewed")).rule).toBe("additive")
        // The Orders API now prices an order unlike the report's rows (what a simulator knob would do): one of the
        // first report's orders is stored as if the Orders API had given it, a unit more. Fifty orders into the range,
        // so that it is in the next run's range too (the simulator's clock runs an hour a second).
        const [skewed] = yield* sql<{ externalOrderId: string; totalAmount: string }>`
          UPDATE "Order" SET "totalAmount" = "totalAmount" + 1, "raw" = jsonb_set("raw", '{source}', '"api"')
          WHERE "id" = (SELECT "id" FROM "Order" WHERE "tenantId" = 'skewed' AND "totalAmount" IS NOT NULL
            AND "raw" ->> 'source' = 'report' ORDER BY "orderDate" OFFSET 50 LIMIT 1)
          RETURNING "externalOrderId", "totalAmount"::text AS "totalAmount"`.pipe(Effect.orDie)

        // --restart decides the rule again: from the first report's chunk, which holds the skewed order.
        const status = yield* backfill.runInitialBackfill("skewed", 365, { restart: true })
        expect(status.initialBackfillStatus).toBe("success")
        expect(requestsOf(sim, "skewed", "createReport")).toBe(26)
        const rule = yield* tenants.totalRule("skewed")
        expect(rule.rule).toBe("none")
        expect(rule.reason).toMatch(new RegExp(
          `^order ${skewed!.externalOrderId} totals ${skewed!.totalAmount.replace(".", "\\.")} USD in the Orders API, [\\d.]+ \\(additive\\) or [\\d.]+ \\(taxIncluded\\) from the report's rows$`
        ))
        expect(status.progress.historySource).toBe("orders")
        expect(status.progress.historyReason).toBe(`report totals match no rule (${rule.reason}): history through the Orders API`)
        // Every report window, the ones stored before the decision included, went to the Orders API.
        expect(status.progress.reports).toMatchObject({ windows: 13, done: 0, fallback: 13, totalRule: "none", totalRuleReason: rule.reason })
        const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run("skewed"))
        const [fromReports] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM "Order"
          WHERE "tenantId" = 'skewed' AND "raw" ->> 'source' = 'report' AND "orderDate" >= ${run.rangeStart}`.pipe(Effect.orDie)
        expect(fromReports!.n).toBe(0)
        const truth = sim.groundTruth("skewed", { createdAfter: run.rangeStart, createdBefore: run.rangeEnd })
        const stored = (yield* storedOrders("skewed")).filter((o) => o.orderDate >= run.rangeStart && o.orderDate <= run.rangeEnd && o.externalOrderId !== skewed!.externalOrderId)
        expectExactly(stored, truth.filter((o) => o.orderId !== skewed!.externalOrderId))

        // A new run (another range) does not ask for reports: 'none' holds until --restart.
        const again = yield* backfill.runInitialBackfill("skewed", 300)
        expect(again.initialBackfillStatus).toBe("success")
        expect(again.progress.historySource).toBe("orders")
        expect(again.progress.historyReason).toMatch(/^report totals match no rule \(order .*\): history through the Orders API, until backfill run --restart$/)
        expect(requestsOf(sim, "skewed", "createReport")).toBe(26)
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_HISTORY_SOURCE: "reports" })))
    }))
  it.scopedLive("a rule decided from the first report is checked on every later chunk: an order priced otherwise there stops the report path", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("drifting", 6000, 74)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        const tenants = yield* Tenants
        const sql = yield* SqlClient.SqlClient
        yield* backfill.runInitialBackfill("drifting", 365)
        expect((yield* tenants.totalRule("drifting")).rule).toBe("additive")
        // Months into the range (a later report), one order as if the Orders API had priced it with its tax inside:
        // what a second marketplace with another convention would show.
        const [drifted] = yield* sql<{ externalOrderId: string }>`
          UPDATE "Order" SET "raw" = jsonb_set("raw", '{source}', '"api"'),
            "totalAmount" = "totalAmount" - COALESCE(NULLIF("raw" #>> '{rows,0,item-tax}', '')::numeric, 0)
              - COALESCE(NULLIF("raw" #>> '{rows,0,shipping-tax}', '')::numeric, 0) - COALESCE(NULLIF("raw" #>> '{rows,0,gift-wrap-tax}', '')::numeric, 0)
          WHERE "id" = (SELECT "id" FROM "Order" WHERE "tenantId" = 'drifting' AND "totalAmount" IS NOT NULL
            AND "raw" ->> 'source' = 'report' AND jsonb_array_length("raw" -> 'rows') = 1
            AND NULLIF("raw" #>> '{rows,0,item-tax}', '')::numeric > 0
            ORDER BY "orderDate" OFFSET 1000 LIMIT 1)
          RETURNING "externalOrderId"`.pipe(Effect.orDie)
        const status = yield* backfill.runInitialBackfill("drifting", 365, { restart: true })
        expect(status.initialBackfillStatus).toBe("success")
        const rule = yield* tenants.totalRule("drifting")
        expect(rule.rule).toBe("none")
        expect(rule.reason).toMatch(new RegExp(`order ${drifted!.externalOrderId}.*where this tenant's rule was additive$`))
        expect(status.progress.historySource).toBe("orders")
        expect(status.progress.reports).toMatchObject({ totalRule: "none" })
      }).pipe(Effect.provide(engineFor(sim, { ORDERSYNC_HISTORY_SOURCE: "reports" })))
    }))
})
