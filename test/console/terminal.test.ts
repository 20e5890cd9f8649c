import { Effect, Logger } from "effect"
import { describe, expect, it } from "vitest"
import { barLogger, formatEta } from "../../src/Cli/Progress.js"
import { freshDatabaseUrl } from "../support/Database.js"
import { ordersyncDone } from "../support/Process.js"

describe("the terminal", () => {
  it("shows an ETA a person reads, and says it is estimating before a rate is known", () => {
    expect(formatEta(null)).toBe("estimating…")
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe("estimating…")
    expect(formatEta(0)).toBe("<1s")
    expect(formatEta(0, true)).toBe("done")
    expect(formatEta(42)).toBe("42s")
    expect(formatEta(159)).toBe("2m 39s")
    expect(formatEta(3600 + 5 * 60 + 9)).toBe("1h 05m")
    expect(formatEta(26 * 3600)).toBe("26h 00m")
  })

  it("prints log lines whole, on lines of their own, for the bar to put above itself", async () => {
    const lines: Array<string> = []
    await Effect.runPromise(
      Effect.logInfo("starting a 365-day backfill").pipe(
        Effect.annotateLogs("tenantId", "ecomlg-001"),
        Effect.provide(Logger.replace(Logger.defaultLogger, barLogger((line) => lines.push(line))))
      )
    )
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO starting a 365-day backfill tenantId=ecomlg-001\n$/)
  })

  it("`migrate` on a new database names the migrations it applied, and on the next run says there was nothing to do", async () => {
    const url = await Effect.runPromise(freshDatabaseUrl("migrate"))
    const first = await ordersyncDone(["migrate"], { DATABASE_URL: url })
    expect(first.code).toBe(0)
    expect(first.output).toMatch(/migrations applied: 0001_seed_tables, 0002_ordersync_tables, 0003_daemon_requests, 0004_report_windows/)
    const second = await ordersyncDone(["migrate"], { DATABASE_URL: url })
    expect(second.code).toBe(0)
    expect(second.output).toContain("nothing to apply")
  })
})
