import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer, ManagedRuntime } from "effect"
import Pg from "pg"
import type { Order } from "../src/Domain/Order.js"
import { SqlFromUrl } from "../src/Services/Store/Database.js"
import { MARKETPLACE, ON_CONFLICT_NEWER_ONLY, OrderRepo } from "../src/Services/Store/OrderRepo.js"
import { startSimulator } from "../src/Simulator/index.js"
import { copyFrom, csvField } from "../src/Services/Store/Copy.js"
import { HISTORY_PER_YEAR, seller } from "./Engine.js"
import { makeNaiveClient } from "./NaiveClient.js"
import { type BenchDatabase, median, round } from "./Shared.js"

/** Realistic orders: simulator-rendered JSON decoded by the engine's decode2026. */
const sampleOrders = async (count: number): Promise<ReadonlyArray<Order>> => {
  const id = "b2-source"
  const sim = await startSimulator({
    sellers: [seller(id, Math.round(count * HISTORY_PER_YEAR * 1.1), 202, { usagePlans: { searchOrders: { rate: 10_000, burst: 10_000 } } })]
  })
  try {
    const client = makeNaiveClient(sim, { refreshToken: `Atzr|${id}`, marketplaceIds: ["ATVPDKIKX0DER"] })
    const before = new Date(Date.now() - 150_000)
    const orders: Array<Order> = []
    for await (const page of client.pages(new Date(before.getTime() - 365 * 86_400_000), before)) {
      orders.push(...page.orders)
      if (orders.length >= count) break
    }
    return orders.slice(0, count)
  } finally {
    await sim.close()
  }
}

const newerVersion = (orders: ReadonlyArray<Order>, seconds: number) =>
  orders.map((o) => ({ ...o, lastUpdateDate: new Date(o.lastUpdateDate.getTime() + seconds * 1000) }))

const TENANT = "b2-tenant"

const copySql = (client: Pg.Client, orders: ReadonlyArray<Order>) => async () => {
  const csv = orders.map((o) =>
    [
      o.externalOrderId, o.marketplaceId, o.orderDate.toISOString(), o.lastUpdateDate.toISOString(), o.orderStatus,
      o.fulfillmentChannel, o.salesChannel, o.totalAmount, o.currency, o.itemsCount, JSON.stringify(o.raw)
    ].map(csvField).join(",")
  ).join("\n") + "\n"
  await client.query("BEGIN")
  try {
    await client.query(`CREATE TEMP TABLE staging (id text, mp text, od timestamptz, lu timestamptz, st text, fc text,
      sc text, ta text, cur text, ic int, raw text) ON COMMIT DROP`)
    await copyFrom(client, "COPY staging FROM STDIN (FORMAT csv)", Buffer.from(csv))
    // The engine's own conflict rule: only a newer version (or changed content) replaces a row.
    await client.query(`
      INSERT INTO "Order" ("id", "tenantId", "marketplace", "externalOrderId", "marketplaceId", "orderDate",
        "lastUpdateDate", "orderStatus", "fulfillmentChannel", "salesChannel", "totalAmount", "currency",
        "itemsCount", "raw", "createdAt", "updatedAt")
      SELECT gen_random_uuid()::text, $1, $2, u.id, u.mp, u.od AT TIME ZONE 'UTC', u.lu AT TIME ZONE 'UTC', u.st, u.fc,
        u.sc, u.ta::numeric, u.cur, u.ic, u.raw::jsonb, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
      FROM staging u
      ${ON_CONFLICT_NEWER_ONLY}`,
      [TENANT, MARKETPLACE])
    await client.query("COMMIT")
  } catch (error) {
    await client.query("ROLLBACK")
    throw error
  }
}

type Method = "chunked100" | "chunked1000" | "perOrder" | "copy"

/** B2: orders/s into "Order" (indexes in place) by four write paths, for new orders and for newer versions. */
export const store = async (db: BenchDatabase, quick: boolean) => {
  const count = quick ? 5_000 : 20_000
  // One statement per order is slow: it gets a prefix of the same data, its rate is still orders per second.
  const perOrderCount = quick ? 1_000 : 4_000
  const reps = 3
  const orders = await sampleOrders(count)
  const url = await db.fresh("b2")
  const runtime = ManagedRuntime.make(OrderRepo.Default.pipe(Layer.provideMerge(SqlFromUrl(url))))
  const pg = new Pg.Client({ connectionString: url })
  await pg.connect()
  try {
    const repo = await runtime.runPromise(OrderRepo)
    const sql = await runtime.runPromise(SqlClient.SqlClient)
    const chunked = (size: number, batch: ReadonlyArray<Order>) => () =>
      runtime.runPromise(Effect.gen(function*() {
        for (let i = 0; i < batch.length; i += size) {
          // As the engine commits a page: its own transaction.
          yield* sql.withTransaction(repo.upsert(TENANT, batch.slice(i, i + size))).pipe(Effect.orDie)
        }
      }))
    const perOrder = (batch: ReadonlyArray<Order>) => () =>
      runtime.runPromise(Effect.forEach(batch, (o) => repo.upsert(TENANT, [o]), { discard: true }))
    const write: Record<Method, (batch: ReadonlyArray<Order>) => () => Promise<unknown>> = {
      chunked100: (batch) => chunked(100, batch),
      chunked1000: (batch) => chunked(1000, batch),
      perOrder: (batch) => perOrder(batch),
      copy: (batch) => copySql(pg, batch)
    }
    const methods: ReadonlyArray<Method> = ["chunked100", "chunked1000", "perOrder", "copy"]
    const rates: Record<Method, { insert: Array<number>; update: Array<number> }> = {
      chunked100: { insert: [], update: [] },
      chunked1000: { insert: [], update: [] },
      perOrder: { insert: [], update: [] },
      copy: { insert: [], update: [] }
    }
    for (let rep = 0; rep < reps; rep++) {
      // Rotated order, so no method always runs first (or after a checkpoint).
      for (let k = 0; k < methods.length; k++) {
        const method = methods[(k + rep) % methods.length]!
        const batch = method === "perOrder" ? orders.slice(0, perOrderCount) : orders
        await pg.query(`TRUNCATE "OrderItem", "Order"`)
        await pg.query("CHECKPOINT").catch(() => undefined)
        const timed = async (run: () => Promise<unknown>) => {
          const started = performance.now()
          await run()
          return batch.length / ((performance.now() - started) / 1000)
        }
        rates[method].insert.push(await timed(write[method](batch)))
        const stored = Number((await pg.query(`SELECT count(*) AS n FROM "Order"`)).rows[0].n)
        if (stored !== batch.length) throw new Error(`${method}: ${stored} rows stored, expected ${batch.length}`)
        rates[method].update.push(await timed(write[method](newerVersion(batch, rep + 1))))
      }
      process.stderr.write(`  B2 rep ${rep + 1}/${reps}: ${JSON.stringify(Object.fromEntries(methods.map((m) => [m, { insert: Math.round(rates[m].insert.at(-1)!), update: Math.round(rates[m].update.at(-1)!) }])))}\n`)
    }
    const med = (m: Method, kind: "insert" | "update") => round(median(rates[m][kind]), 0)
    // Ratios within each repetition (side by side), then their median.
    const ratio = (a: Method, b: Method, kind: "insert" | "update") =>
      round(median(rates[a][kind].map((rate, rep) => rate / rates[b][kind][rep]!)), 2)
    const ratios = (kind: "insert" | "update") => ({
      chunked100OverPerOrder: ratio("chunked100", "perOrder", kind),
      chunked1000OverPerOrder: ratio("chunked1000", "perOrder", kind),
      chunked100OverCopy: ratio("chunked100", "copy", kind),
      chunked1000OverCopy: ratio("chunked1000", "copy", kind),
      // The practical ceiling over one statement per order: chunked can reach 20× per-order only if this is above 20.
      copyOverPerOrder: ratio("copy", "perOrder", kind)
    })
    const insert = ratios("insert")
    const update = ratios("update")
    return {
      scenario: "B2",
      title: "store throughput into \"Order\" (orders/s, medians)",
      orders: count,
      perOrderOrders: perOrderCount,
      reps,
      copyPath: "COPY … FROM STDIN (CSV) into a temp staging table via pg's protocol methods, then one INSERT … SELECT … ON CONFLICT (pg-copy-streams is not installed)",
      ordersPerSecond: Object.fromEntries(methods.map((m) => [m, { insert: med(m, "insert"), update: med(m, "update") }])),
      ratios: { insert, update },
      targets: { chunkedOverPerOrder: ">= 20", chunkedOverCopy: ">= 0.5" },
      met: insert.chunked100OverPerOrder >= 20 && update.chunked100OverPerOrder >= 20 && insert.chunked100OverCopy >= 0.5 && update.chunked100OverCopy >= 0.5
    }
  } finally {
    await pg.end()
    await runtime.dispose()
  }
}
