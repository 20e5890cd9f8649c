import { startSimulator } from "../src/Simulator/index.js"
import type { ChildInput, ChildResult } from "./EngineChild.js"
import { HISTORY_PER_YEAR, seller } from "./Engine.js"
import { type BenchDatabase, round, runChild, simulatorEnv } from "./Shared.js"

/** V8's young generation is what grows under B4's allocation rate; 2 MB semi-spaces (default 16) keep RSS flat. */
export const TUNED_FLAGS = ["--max-semi-space-size=2"] as const

const once = async (db: BenchDatabase, label: string, inRange: number, milestones: ReadonlyArray<number>, nodeArgs: ReadonlyArray<string>) => {
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
      { ...simulatorEnv(sim), DATABASE_URL: await db.fresh(`b4${label}`) },
      nodeArgs
    )
    const tenant = result.tenants[0]!
    const truth = sim.groundTruth(id, { createdAfter: new Date(tenant.rangeStart), createdBefore: new Date(tenant.rangeEnd) }).length
    if (tenant.orders !== truth || result.failed > 0) throw new Error(`B4 ${label}: stored ${tenant.orders} orders, ground truth ${truth}`)
    const first = result.milestones[0]!
    const last = result.milestones.at(-1)!
    const growthMb = round(last.peakRssMb - first.peakRssMb, 1)
    const run = {
      nodeFlags: nodeArgs.join(" ") || "(defaults)",
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
      `  B4 ${run.nodeFlags}: ${run.orders} orders in ${run.wallSeconds} s, peak RSS ${run.milestones.map((m) => m.peakRssMb).join(" | ")} MB, ` +
        `heap used after GC ${run.milestones.map((m) => m.heapAfterGcMb).join(" | ")} MB, peak heap total ${run.peakHeapTotalMb} MB\n`
    )
    return run
  } finally {
    await sim.close()
  }
}

/**
 * B4: one tenant at a generous usage plan; the engine's peak RSS (in a child process) as the orders go by, beside
 * the V8 heap (reserved, in use, and live after a forced GC). Run with Node's defaults (the headline figure), then
 * with TUNED_FLAGS on a shorter run, to show what the RSS growth is made of.
 */
export const memory = async (db: BenchDatabase, quick: boolean) => {
  const target = quick ? 100_000 : 1_000_000
  const milestones = quick ? [10_000, 50_000, 100_000] : [10_000, 100_000, 1_000_000]
  const tunedTarget = quick ? 50_000 : 300_000
  const tunedMilestones = quick ? [10_000, 50_000] : [10_000, 100_000, 300_000]
  const defaults = await once(db, "default", target, milestones, [])
  const tuned = await once(db, "tuned", tunedTarget, tunedMilestones, TUNED_FLAGS).catch((error: unknown) => ({
    nodeFlags: TUNED_FLAGS.join(" "),
    error: error instanceof Error ? error.message : String(error)
  }))
  return {
    scenario: "B4",
    title: "memory flatness (one tenant, engine in a child process)",
    ...defaults,
    targets: { growthMb: "<= 50", peakRssMb: "<= 250" },
    tuned
  }
}
