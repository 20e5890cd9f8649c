import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { scoped as simulator } from "../../src/Simulator/index.js"
import { freshDatabaseUrl, onDatabase } from "../support/Database.js"
import { addSellers, engineFor, expectRangeExact, requestsOf, simulatorEnv, testSeller } from "../support/Engine.js"
import { eventually, ordersync, ordersyncDone } from "../support/Process.js"

const FACTOR = 3600
const REPORTS = { ORDERSYNC_HISTORY_SOURCE: "reports" }



describe("the reports path under Amazon's failures", () => {
  it.scopedLive("FATAL three times: that window goes to the Orders API; the others are asked again; exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("fatal-3", 6000, 61)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        // All 13 first reports fail, and the next two (window 0 asked again, twice): window 0 falls back.
        sim.reports.forceNext("fatal-3", "fatal", 15)
        const status = yield* (yield* Backfill).runInitialBackfill("fatal-3", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expect(status.progress.reports).toMatchObject({ windows: 13, done: 12, fallback: 1 })
        expect(requestsOf(sim, "fatal-3", "createReport")).toBe(13 + 2 + 12)
        // The fallen-back window's 30 days came page by page.
        expect(requestsOf(sim, "fatal-3", "searchOrders")).toBeGreaterThan(2)
        yield* expectRangeExact(sim, "fatal-3")
      }).pipe(Effect.provide(engineFor(sim, REPORTS)))
    }))

  it.scopedLive("a report stuck IN_PROGRESS past the deadline is cancelled and asked again; exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("stuck", 3000, 62)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        sim.reports.forceNext("stuck", "stuck", 1)
        const status = yield* (yield* Backfill).runInitialBackfill("stuck", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expect(requestsOf(sim, "stuck", "createReport")).toBe(14)
        expect(requestsOf(sim, "stuck", "cancelReport")).toBe(1)
        yield* expectRangeExact(sim, "stuck")
      }).pipe(Effect.provide(engineFor(sim, { ...REPORTS, ORDERSYNC_REPORT_DEADLINE_SECONDS: "1.5" })))
    }))

  it.scopedLive("an expired document URL: a fresh one is fetched and the download resumes; exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("expired", 4000, 67)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        sim.reports.expireNextDownloads("expired", 2)
        const status = yield* (yield* Backfill).runInitialBackfill("expired", 365)
        expect(status.initialBackfillStatus).toBe("success")
        expect(sim.stats("expired").reports.expiredDownloads).toBe(2)
        expect(requestsOf(sim, "expired", "getReportDocument")).toBe(13 + 2)
        expect(requestsOf(sim, "expired", "createReport")).toBe(13)
        yield* expectRangeExact(sim, "expired")
      }).pipe(Effect.provide(engineFor(sim, REPORTS)))
    }))

  it.scopedLive("windows without orders end CANCELLED (no data): the Orders API checks each (never taken as empty on Amazon's word); exact", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({ timeFactor: FACTOR, sellers: [testSeller("sparse", 12, 63)] })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const status = yield* (yield* Backfill).runInitialBackfill("sparse", 365)
        expect(status.initialBackfillStatus).toBe("success")
        const cancelled = sim.reports.list("sparse").filter((r) => r.processingStatus === "CANCELLED").length
        expect(cancelled).toBeGreaterThan(3)
        expect(status.progress.reports).toMatchObject({ windows: 13, done: 13 - cancelled, fallback: cancelled })
        yield* expectRangeExact(sim, "sparse")
      }).pipe(Effect.provide(engineFor(sim, REPORTS)))
    }))

  it.scopedLive("legacy charsets (windows-1252, Shift_JIS) and shuffled columns: exact, product names decoded", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: FACTOR,
        sellers: [
          testSeller("de", 4000, 64, { marketplaceIds: ["A1PA6795UKMFR9"], reports: { charsets: { A1PA6795UKMFR9: "windows-1252" } } }),
          testSeller("jp", 4000, 65, { marketplaceIds: ["A1VC38T7YXB528"], reports: { charsets: { A1VC38T7YXB528: "Shift_JIS" } } })
        ]
      })
      yield* Effect.gen(function*() {
        yield* addSellers(sim)
        const backfill = yield* Backfill
        for (const tenant of ["de", "jp"]) {
          expect((yield* backfill.runInitialBackfill(tenant, 365)).initialBackfillStatus).toBe("success")
          yield* expectRangeExact(sim, tenant)
        }
        const sql = yield* SqlClient.SqlClient
        const names = yield* sql<{ tenantId: string; name: string }>`
          SELECT "tenantId", "raw"->'rows'->0->>'product-name' AS name FROM "Order" WHERE "raw"->>'source' = 'report'`
        expect(names.some((n) => n.tenantId === "de" && /[äöüßé]/i.test(n.name))).toBe(true)
        expect(names.some((n) => n.tenantId === "jp" && /[\u3040-\u30ff\u4e00-\u9fff]/.test(n.name))).toBe(true)
        expect(names.every((n) => !n.name.includes("\uFFFD") && !/Ã|â€/.test(n.name))).toBe(true)
      }).pipe(Effect.provide(engineFor(sim, REPORTS)))
    }))
})

describe("the reports path killed with SIGKILL", () => {
  it.scopedLive("killed while creating, waiting, downloading and storing, then run again: exact, at most one extra createReport per kill", () =>
    Effect.gen(function*() {
      const sim = yield* simulator({
        timeFactor: FACTOR,
        // Documents of a few thousand orders each, and reports that take a moment: every phase can be hit.
        sellers: [testSeller("kill-reports", 60_000, 66, { reports: { queueSeconds: 3600, fixedSeconds: 1800 } })]
      })
      const url = yield* freshDatabaseUrl("kill_reports")
      const env = simulatorEnv(sim, { DATABASE_URL: url, ORDERSYNC_LEASE_TTL: "2", ...REPORTS })
      const phases: ReadonlyArray<readonly [string, () => boolean]> = [
        ["creating", () => requestsOf(sim, "kill-reports", "createReport") >= 4],
        ["waiting", () => requestsOf(sim, "kill-reports", "createReport") >= 13 && requestsOf(sim, "kill-reports", "getReport") >= 3],
        ["downloading", () => sim.stats("kill-reports").reports.downloads >= 1],
        ["storing", () => sim.stats("kill-reports").reports.downloads >= 4]
      ]
      yield* Effect.promise(async () => {
        const added = await ordersyncDone(
          ["tenants", "add", "--tenant", "kill-reports", "--refresh-token", "Atzr|kill-reports", "--region", "na", "--marketplace", "ATVPDKIKX0DER"],
          env
        )
        expect(added.code, added.output).toBe(0)
        for (const [phase, reached] of phases) {
          const run = ordersync(["backfill", "run", "--tenant", "kill-reports"], env)
          await eventually(() => reached(), { what: `the ${phase} phase`, timeoutMs: 90_000, intervalMs: 5 }).catch((error) => {
            run.child.kill("SIGKILL")
            throw new Error(`${error}\n${run.output()}`)
          })
          run.child.kill("SIGKILL")
          expect(await run.exited).toBe("SIGKILL")
        }
        const last = await ordersyncDone(["backfill", "run", "--tenant", "kill-reports", "--json"], env)
        expect(last.code, last.output).toBe(0)
        expect(JSON.parse(last.stdout).initialBackfillStatus).toBe("success")
      })
      expect(requestsOf(sim, "kill-reports", "createReport")).toBeLessThanOrEqual(13 + phases.length)
      yield* expectRangeExact(sim, "kill-reports").pipe(onDatabase(url))
    }))
})
