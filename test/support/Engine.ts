import * as SqlClient from "@effect/sql/SqlClient"
import { ConfigProvider, Effect, Layer } from "effect"
import { expect } from "vitest"
import { registerSimulatorSellers } from "../../src/Cli/SimulatorTenants.js"
import { engineOver } from "../../src/Services/Engine.js"
import { clientSettings, type GroundTruthOrder, sellerNamed, type SimulatorHandle } from "../../src/Simulator/index.js"
import { TestSql } from "./Database.js"

/** The environment a process pointed at this simulator gets (also used for child processes). */
export const simulatorEnv = (simulator: SimulatorHandle, extra: Record<string, string> = {}): Record<string, string> => ({
  ...clientSettings(simulator),
  SPAPI_RETRY_BASE_MS: "5",
  SPAPI_RETRY_MAX_MS: "200",
  SPAPI_REQUEST_TIMEOUT_MS: "2000",
  ORDERSYNC_SECRET_KEY: "test-secret-key",
  ORDERSYNC_LEASE_TTL: "5",
  // The engine's tests are about the Orders API path unless they say otherwise (test/history: the reports path).
  ORDERSYNC_HISTORY_SOURCE: "orders",
  ...extra
})

/** The engine on a fresh database of its own (or the given one), configured for the simulator. */
export const engineFor = (
  simulator: SimulatorHandle,
  extra: Record<string, string> = {},
  database: Layer.Layer<SqlClient.SqlClient> = TestSql
) =>
  engineOver(database).pipe(
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(simulatorEnv(simulator, extra))))))
  )

/** Registers each simulator seller as a tenant of the same name. */
export const addSellers = registerSimulatorSellers

export interface StoredOrder {
  readonly externalOrderId: string
  readonly orderDate: Date
  readonly lastUpdateDate: Date
  readonly orderStatus: string
  readonly totalAmount: string | null
  readonly currency: string | null
  readonly fulfillmentChannel: string | null
}

export const storedOrders = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<StoredOrder>`SELECT "externalOrderId", "orderDate", "lastUpdateDate", "orderStatus", "totalAmount"::text AS "totalAmount", "currency", "fulfillmentChannel"
      FROM "Order" WHERE "tenantId" = ${tenantId} ORDER BY "externalOrderId"`.pipe(Effect.orDie))

const comparable = (o: {
  id: string
  created: string
  updated: string
  status: string
  total: string | null
  currency: string | null
  channel: string | null
}) => `${o.id} ${o.created} ${o.updated} ${o.status} ${o.total === null ? "null" : Number(o.total).toFixed(2)} ${o.currency} ${o.channel}`

const storedComparable = (o: StoredOrder) =>
  comparable({
    id: o.externalOrderId,
    created: o.orderDate.toISOString(),
    updated: o.lastUpdateDate.toISOString(),
    status: o.orderStatus,
    total: o.totalAmount,
    currency: o.currency,
    channel: o.fulfillmentChannel
  })

const truthComparable = (o: GroundTruthOrder) =>
  comparable({
    id: o.orderId,
    created: new Date(o.createdTime).toISOString(),
    updated: new Date(o.lastUpdatedTime).toISOString(),
    status: o.status,
    total: o.totalAmount,
    currency: o.currency,
    channel: o.fulfillmentChannel
  })

/** The table holds exactly the ground truth: same ids, versions, status, total, currency and channel, nothing more. */
export const expectExactly = (stored: ReadonlyArray<StoredOrder>, truth: ReadonlyArray<GroundTruthOrder>) => {
  const actual = stored.map(storedComparable).sort()
  const expected = truth.map(truthComparable).sort()
  expect(new Set(stored.map((o) => o.externalOrderId)).size).toBe(stored.length)
  expect(actual.length).toBe(expected.length)
  expect(actual).toEqual(expected)
}

/**
 * After a backfill that ran while orders changed: exactly the ground truth's orders (same ids, once each), each stored
 * as it was at `earlier` (the run's end: the delta sync's to bring forward) or as it is in `later`.
 */
export const expectExactlyAsOfEither = (
  stored: ReadonlyArray<StoredOrder>,
  earlier: ReadonlyArray<GroundTruthOrder>,
  later: ReadonlyArray<GroundTruthOrder>
) => {
  expect(new Set(stored.map((o) => o.externalOrderId)).size).toBe(stored.length)
  expect(stored.map((o) => o.externalOrderId).sort()).toEqual(later.map((o) => o.orderId).sort())
  const versions = new Set([...earlier, ...later].map(truthComparable))
  expect(stored.map(storedComparable).filter((row) => !versions.has(row))).toEqual([])
}

/** A simulator seller named like its tenant. */
export const testSeller = sellerNamed

/** Requests the simulator answered for one operation of a seller, whatever their status. */
export const requestsOf = (simulator: SimulatorHandle, sellerId: string, operation: string) =>
  Object.values(simulator.stats(sellerId).requests[operation] ?? {}).reduce((sum, n) => sum + n, 0)

/** The backfill's range holds exactly the ground truth now, orders and items (needs only SQL: also for a child process's database). */
export const expectRangeExact = (simulator: SimulatorHandle, tenantId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [run] = yield* sql<{ rangeStart: Date; rangeEnd: Date }>`
      SELECT "rangeStart", "rangeEnd" FROM "OrderSyncBackfill" WHERE "tenantId" = ${tenantId}`.pipe(Effect.orDie)
    if (run === undefined) throw new Error(`tenant ${tenantId} has no backfill run`)
    const stored = (yield* storedOrders(tenantId)).filter((o) => o.orderDate >= run.rangeStart && o.orderDate <= run.rangeEnd)
    const truth = simulator.groundTruth(tenantId, { createdAfter: run.rangeStart, createdBefore: run.rangeEnd })
    expectExactly(stored, truth)
    yield* expectItemsExactly(tenantId, truth)
  })

interface StoredItemRow {
  readonly externalOrderId: string
  readonly orderItemId: string
  readonly sku: string | null
  readonly asin: string | null
  readonly title: string | null
  readonly quantity: number
  readonly quantityShipped: number | null
  readonly itemStatus: string | null
  readonly currency: string | null
  readonly money: string
}

const MONEY = ["itemPrice", "itemTax", "shippingPrice", "shippingTax", "giftWrapPrice", "giftWrapTax", "promotionDiscount"] as const
const moneyOf = (values: ReadonlyArray<string | null>) => values.map((v) => (v === null ? "null" : Number(v).toFixed(2))).join(" ")

/**
 * Every stored order of the ground truth has exactly the ground truth's items: same SKU, ASIN, title, quantity,
 * status, money (net of tax) and currency, nothing more. An item from the Orders API is matched by its id; one from a
 * report (`report-N`) is the order's N-th item; the shipped quantity is compared where the source told it. Orders
 * stored from Orders API v0 (which carries no items unless ORDERSYNC_V0_ITEMS) may have none; every other order must.
 */
export const expectItemsExactly = (tenantId: string, truth: ReadonlyArray<GroundTruthOrder>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<StoredItemRow>`
      SELECT "externalOrderId", "orderItemId", "sku", "asin", "title", "quantity", "quantityShipped", "itemStatus", "currency",
        concat_ws(' ', ${sql.literal(MONEY.map((m) => `COALESCE(to_char("${m}", 'FM999999999999990.00'), 'null')`).join(", "))}) AS "money"
      FROM "OrderItem" WHERE "tenantId" = ${tenantId}`.pipe(Effect.orDie)
    const v0Orders = new Set((yield* sql<{ id: string }>`
      SELECT "externalOrderId" AS id FROM "Order" WHERE "tenantId" = ${tenantId} AND "raw" ? 'AmazonOrderId'`.pipe(Effect.orDie)).map((r) => r.id))
    const byOrder = new Map<string, Array<StoredItemRow>>()
    for (const row of rows) byOrder.set(row.externalOrderId, [...(byOrder.get(row.externalOrderId) ?? []), row])
    const problems: Array<string> = []
    for (const order of truth) {
      const stored = byOrder.get(order.orderId) ?? []
      byOrder.delete(order.orderId)
      if (stored.length === 0 && v0Orders.has(order.orderId)) continue
      if (stored.length !== order.items.length) {
        problems.push(`${order.orderId}: ${stored.length} items stored, ${order.items.length} in the ground truth`)
        continue
      }
      for (const row of stored) {
        const report = /^report-(\d+)$/.exec(row.orderItemId)
        const expected = report === null ? order.items.find((i) => i.orderItemId === row.orderItemId) : order.items[Number(report[1]) - 1]
        if (expected === undefined) {
          problems.push(`${order.orderId}: item ${row.orderItemId} is not in the ground truth`)
          continue
        }
        const actual = [row.sku, row.asin, row.title, row.quantity, row.itemStatus, row.money, row.currency,
          row.quantityShipped === null ? "-" : row.quantityShipped].join(" | ")
        const wanted = [expected.sku, expected.asin, expected.title, expected.quantity, expected.itemStatus,
          moneyOf(MONEY.map((m) => expected[m])), expected.currency, row.quantityShipped === null ? "-" : expected.quantityShipped].join(" | ")
        if (actual !== wanted) problems.push(`${order.orderId} ${row.orderItemId}: stored ${actual}, ground truth ${wanted}`)
      }
    }
    expect(problems.slice(0, 10)).toEqual([])
    return rows.length
  })
