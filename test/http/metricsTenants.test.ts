import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import type { TenantId } from "../../src/Domain/Ids.js"
import { Backfill } from "../../src/Services/Backfill.js"
import { refreshFleetMetrics } from "../../src/Services/FleetMetrics.js"
import { FleetGauges } from "../../src/Services/Store/FleetGauges.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { addSellers, testSeller } from "../support/Engine.js"
import { ADMIN_TOKENS, apiFor, clientWith, raw } from "./support.js"

/** The value of an exported series: `name` with exactly these labels (none: no braces at all). */
const sample = (scrape: string, name: string, labels = "") => {
  const line = scrape.split("\n").find((l) => l.startsWith(`${name}${labels === "" ? "" : `{${labels}}`} `))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1))
}

/**
 * Two tenants part-way through their backfills (3,000 orders in pages of 150 ms: stopped once both have committed
 * some), the status of one read over the API, the fleet's gauges refreshed, then /metrics.
 */
const scrapeMidBackfill = (tenants: readonly [string, string], extra: Record<string, string>) =>
  Effect.gen(function*() {
    const sim = yield* simulator({
      timeFactor: 3600,
      sellers: tenants.map((id, i) => testSeller(id, 3000, 70 + i, { faults: { slowResponseMs: 150 } }))
    })
    return yield* Effect.gen(function*() {
      yield* addSellers(sim)
      const backfill = yield* Backfill
      const repo = yield* SyncStateRepo
      const runs = yield* Effect.forEach(tenants, (id) => Effect.fork(backfill.runInitialBackfill(id, 365)))
      const coverages = Effect.forEach(tenants, (id) => repo.coverage(id))
      const deadline = Date.now() + 60_000
      while ((yield* coverages).some((c) => c === 0)) {
        expect(runs.every((run) => run.unsafePoll() === null), "both backfills still running").toBe(true)
        expect(Date.now(), "both backfills commit a page within a minute").toBeLessThan(deadline)
        yield* Effect.sleep("50 millis")
      }
      yield* Fiber.interruptAll(runs)
      const covered = yield* coverages
      for (const c of covered) expect(c).toBeLessThan(1)

      const admin = yield* clientWith(ADMIN_TOKENS[0])
      const status = yield* admin.backfill.status({ urlParams: { tenantId: tenants[0] as TenantId } })
      expect(status.initialBackfillStatus).toBe("in_progress")
      expect(status.progress.coverage).toBeCloseTo(covered[0]!, 3)

      yield* refreshFleetMetrics
      const metrics = yield* raw("/metrics")
      expect(metrics.status).toBe(200)
      return { scrape: metrics.text, covered }
    }).pipe(Effect.provide(Layer.provideMerge(FleetGauges.Default, apiFor(sim, extra))))
  })

// One file, one process, one metrics registry: the default runs first, before any per-tenant series exists.
describe("/metrics and tenant ids", () => {
  it.scopedLive("by default: no tenant label and no tenant id, the fleet's mean and least coverage instead", () =>
    Effect.gen(function*() {
      const tenants = ["quiet-tenant-one", "quiet-tenant-two"] as const
      const { covered, scrape } = yield* scrapeMidBackfill(tenants, {})
      expect(scrape).not.toMatch(/tenant=/)
      for (const id of tenants) expect(scrape).not.toContain(id)
      expect(scrape).not.toMatch(/^ordersync_backfill_progress_ratio/m)
      expect(sample(scrape, "ordersync_tenants", `status="in_progress"`)).toBe(2)
      expect(sample(scrape, "ordersync_backfill_coverage_mean_ratio")).toBeCloseTo((covered[0]! + covered[1]!) / 2, 3)
      expect(sample(scrape, "ordersync_backfill_coverage_min_ratio")).toBeCloseTo(Math.min(...covered), 3)
    }))

  it.scopedLive("with ORDERSYNC_METRICS_PER_TENANT=true: each backfilling tenant's coverage under its id", () =>
    Effect.gen(function*() {
      const tenants = ["loud-tenant-one", "loud-tenant-two"] as const
      const { covered, scrape } = yield* scrapeMidBackfill(tenants, { ORDERSYNC_METRICS_PER_TENANT: "true" })
      for (const [i, id] of tenants.entries()) {
        expect(sample(scrape, "ordersync_backfill_progress_ratio", `tenant="${id}"`)).toBeCloseTo(covered[i]!, 3)
      }
      // The fleet's figures are there too: the dashboard works either way.
      expect(sample(scrape, "ordersync_backfill_coverage_min_ratio")).toBeCloseTo(Math.min(...covered), 3)
    }))
})
