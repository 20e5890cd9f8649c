import { describe, expect, it } from "@effect/vitest"
import { parseTimeText } from "../../src/Domain/StoredTime.js"

describe("a date held as text", () => {
  it("reads ISO 8601 with or without a zone, and PostgreSQL's text form; no zone means UTC", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["2026-11-19T10:00:00.000Z", "2026-11-19T10:00:00.000Z"],
      ["2026-11-19T10:00:00.000", "2026-11-19T10:00:00.000Z"],
      ["2026-11-19T10:00:00", "2026-11-19T10:00:00.000Z"],
      ["2026-11-19T12:00:00+02:00", "2026-11-19T10:00:00.000Z"],
      ["2026-11-19 10:00:00.5+00", "2026-11-19T10:00:00.500Z"],
      ["2026-11-19 10:00:00.123456", "2026-11-19T10:00:00.123Z"],
      ["2026-11-19 15:30:00+0530", "2026-11-19T10:00:00.000Z"],
      ["2026-11-19", "2026-11-19T00:00:00.000Z"]
    ]
    expect(cases.map(([text]) => parseTimeText(text)?.toISOString())).toEqual(cases.map(([, iso]) => iso))
  })

  it("refuses anything else rather than guess", () => {
    for (const text of ["last week", "", "19/11/2026", "2026-13-45T10:00:00Z", "1763546400000"]) {
      expect(parseTimeText(text)).toBeUndefined()
    }
  })
})
