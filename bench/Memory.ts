import { startSimulator } from "../src/Simulator/index.js"
import type { ChildInput, ChildResult } from "./EngineChild.js"
import { HISTORY_PER_YEAR, seller } from "./Engine.js"
import { type BenchDatabase, round, runChild, simulatorEnv } from "./Shared.js"

/** The comparison run: V8's own heap sizing instead of ordersync's (src/Services/HeapPolicy.ts). */
const V8_DEFAULTS = { ORDERSYNC_HEAP_GROWTH_PERCENT: "0" } as const

const once = async (db: BenchDatabase, label: string, inRange: number, milestones: ReadonlyArray<number>, extraEnv: Record<string, string>) => {
  const id = `b4-${label}`
  const sim = await startSimulator({
    sellers: [seller(id, Math.round(inRange * HISTORY_PER_YEAR * 1.02), 404, {
      usagePlans: { searchOrders: { rate: 100_000, burst: 100_000 } }
    })]
  })
  try {
    const result = await runChild<ChildResult>(
      "EngineChild.js",
      { tenants: [id], concurrency: 1, milestones } satisfies ChildInput,
      { ...simulatorEnv(sim, extraEnv), DATABASE_URL: await db.fresh(`b4${label}`) }
    )
    const tenant = result.tenants[0]!
    const truth = sim.groundTruth(id, { createdAfter: new Date(tenant.rangeStart), createdBefore: new Date(tenant.rangeEnd) }).length
    if (tenant.orders !== truth || result.failed > 0) throw new Error(`B4 ${label}: stored ${tenant.orders} orders, ground truth ${truth}`)
    const first = result.milestones[0]!
    const last = result.milestones.at(-1)!
    const growthMb = round(last.peakRssMb - first.peakRssMb, 1)
    const run = {
      heapPolicy: extraEnv.ORDERSYNC_HEAP_GROWTH_PERCENT === "0" ? "V8 defaults (ORDERSYNC_HEAP_GROWTH_PERCENT=0)" : "ordersync defaults",
      orders: tenant.orders,
      wallSeconds: round(result.wallSeconds, 1),
      ordersPerSecond: round(tenant.orders / result.wallSeconds, 0),
      engineCpuSeconds: round(result.cpuSeconds, 1),
      milestones: result.milestones.map((m) => ({ ...m, seconds: round(m.seconds, 1) })),
      peakRssMb: result.peakRssMb,
      peakHeapTotalMb: result.peakHeapTotalMb,
      peakHeapUsedMb: result.peakHeapUsedMb,
      growthMb,
      met: growthMb <= 50 && result.peakRssMb <= 250
    }
    process.stderr.write(
      `  B4 ${run.heapPolicy}: ${run.orders} orders in ${run.wallSeconds} s, peak RSS ${run.milestones.map((m) => m.peakRssMb).join(" | ")} MB, ` +
        `heap used after GC ${run.milestones.map((m) => m.heapAfterGcMb).join(" | ")} MB, peak heap total ${run.peakHeapTotalMb} MB\n`
    )
    return run
  } finally {
    await sim.close()
  }
}

/**
 * B4: one tenant at a generous usage plan; the engine's peak RSS (in a child process) as the orders go by, beside
 * the V8 heap (reserved, in use, and live after a forced GC). Run as shipped (the headline figure), then on a
 * shorter run with V8's own heap sizing, to show what the heap policy is worth.
 */
export const memory = async (db: BenchDatabase, quick: boolean) => {
  const target = quick ? 100_000 : 1_000_000
  const milestones = quick ? [10_000, 50_000, 100_000] : [10_000, 100_000, 1_000_000]
  const v8Target = quick ? 50_000 : 300_000
  const v8Milestones = quick ? [10_000, 50_000] : [10_000, 100_000, 300_000]
  const defaults = await once(db, "default", target, milestones, {})
  const v8Defaults = await once(db, "v8", v8Target, v8Milestones, V8_DEFAULTS).catch((error: unknown) => ({
    heapPolicy: "V8 defaults",
    error: error instanceof Error ? error.message : String(error)
  }))
  return {
    scenario: "B4",
    title: "memory flatness (one tenant, engine in a child process)",
    ...defaults,
    targets: { growthMb: "<= 50", peakRssMb: "<= 250" },
    v8Defaults
  }
}
