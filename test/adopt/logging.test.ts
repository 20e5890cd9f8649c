import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Logger } from "effect"
import { readable } from "../../src/Cli/Logging.js"
import { TenantNotFound } from "../../src/Domain/Errors.js"

/** Logs `effect` through the JSON logger ordersync uses off a terminal, and answers the lines, parsed. */
const jsonLinesOf = (effect: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const lines: Array<Record<string, unknown>> = []
    const capture = Logger.map(readable(Logger.jsonLogger), (line) => void lines.push(JSON.parse(line)))
    yield* effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
    return lines
  })

describe("defects in the logs", () => {
  it.effect("a cause logged alone (as the runtime logs a command's failure) gets a message saying what failed", () =>
    Effect.gen(function*() {
      const [defect] = yield* jsonLinesOf(Effect.logError(Cause.die(new TypeError("date.toISOString is not a function"))))
      expect(defect!.message).toBe("unexpected error: TypeError: date.toISOString is not a function")
      expect(String(defect!.cause)).toMatch(/TypeError: date\.toISOString is not a function\n\s+at /)

      const [failure] = yield* jsonLinesOf(Effect.logError(Cause.fail(new TenantNotFound({ tenantId: "x" }))))
      expect(failure!.message).toBe(`failed: TenantNotFound: tenant "x" is not connected (see: ordersync tenants add)`)
    }))

  it.effect("a message given is kept", () =>
    Effect.gen(function*() {
      const [line] = yield* jsonLinesOf(Effect.logError("tenant fiber failed", Cause.die(new Error("boom"))))
      expect(line!.message).toBe("tenant fiber failed")
      expect(String(line!.cause)).toContain("boom")
    }))
})
