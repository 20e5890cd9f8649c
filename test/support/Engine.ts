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

/** The backfill's range holds exactly the ground truth now (needs only SQL: also for a child process's database). */
export const expectRangeExact = (simulator: SimulatorHandle, tenantId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [run] = yield* sql<{ rangeStart: Date; rangeEnd: Date }>`
      SELECT "rangeStart", "rangeEnd" FROM "OrderSyncBackfill" WHERE "tenantId" = ${tenantId}`.pipe(Effect.orDie)
    if (run === undefined) throw new Error(`tenant ${tenantId} has no backfill run`)
    const stored = (yield* storedOrders(tenantId)).filter((o) => o.orderDate >= run.rangeStart && o.orderDate <= run.rangeEnd)
    expectExactly(stored, simulator.groundTruth(tenantId, { createdAfter: run.rangeStart, createdBefore: run.rangeEnd }))
  })
