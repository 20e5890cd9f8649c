import { startSimulator } from "../src/Simulator/index.js"
import type { ChildInput, ChildResult } from "./EngineChild.js"
import { HISTORY_PER_YEAR, seller } from "./Engine.js"
import { type BenchDatabase, round, runChild, simulatorEnv } from "./Shared.js"

/** B4: one tenant at a generous usage plan; the engine's peak RSS (in a child process) as the orders go by. */
export const memory = async (db: BenchDatabase, quick: boolean) => {
  const target = quick ? 100_000 : 1_000_000
  const milestones = quick ? [10_000, 50_000, 100_000] : [10_000, 100_000, 1_000_000]
  const id = "b4-big"
  const sim = await startSimulator({
    sellers: [seller(id, Math.round(target * HISTORY_PER_YEAR * 1.02), 404, {
      usagePlans: { searchOrders: { rate: 100_000, burst: 100_000 } }
    })]
  })
  try {
    const result = await runChild<ChildResult>("EngineChild.js", { tenants: [id], concurrency: 1, milestones } satisfies ChildInput, {
      ...simulatorEnv(sim),
      DATABASE_URL: await db.fresh("b4")
    })
    const tenant = result.tenants[0]!
    const truth = sim.groundTruth(id, { createdAfter: new Date(tenant.rangeStart), createdBefore: new Date(tenant.rangeEnd) }).length
    if (tenant.orders !== truth || result.failed > 0) throw new Error(`B4: stored ${tenant.orders} orders, ground truth ${truth}`)
    const first = result.milestones[0]!
    const last = result.milestones.at(-1)!
    const growth = last.peakRssMb - first.peakRssMb
    return {
      scenario: "B4",
      title: "memory flatness (one tenant, engine in a child process)",
      orders: tenant.orders,
      wallSeconds: round(result.wallSeconds, 1),
      ordersPerSecond: round(tenant.orders / result.wallSeconds, 0),
      milestones: result.milestones.map((m) => ({ ...m, seconds: round(m.seconds, 1) })),
      peakRssMb: result.peakRssMb,
      growthMb: round(growth, 1),
      targets: { growthMb: "<= 50", peakRssMb: "<= 250" },
      met: growth <= 50 && result.peakRssMb <= 250
    }
  } finally {
    await sim.close()
  }
}
