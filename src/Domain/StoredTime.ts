import { ParseResult, Schema } from "effect"

// ISO 8601 (`T` or a space, with or without a zone) and PostgreSQL's text form (`2026-11-29 19:00:00.123+00`).
const ISO_OR_POSTGRES =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/**
 * A date written as text: ISO 8601 or PostgreSQL's text form; without a zone it is UTC (like Prisma's TIMESTAMP(3)).
 * Undefined for anything else: a guess would move a cursor.
 */
export const parseTimeText = (text: string): Date | undefined => {
  const match = ISO_OR_POSTGRES.exec(text.trim())
  if (match === null) return undefined
  const [, year, month, day, hour = "00", minute = "00", second = "00", fraction = "", zone = "Z"] = match
  const millis = fraction.padEnd(3, "0").slice(0, 3)
  const offset = zone.toUpperCase() === "Z"
    ? "Z"
    : `${zone.slice(0, 3)}:${zone.slice(3).replace(":", "").padEnd(2, "0")}`
  const date = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${offset}`)
  return Number.isNaN(date.getTime()) ? undefined : date
}

const NOT_A_DATE = "not a date (ordersync reads TIMESTAMP(3), TIMESTAMPTZ, and text in ISO 8601 or PostgreSQL's text form)"

/**
 * A time column as the driver returns it, whatever the column's type: a Date (TIMESTAMP(3), TIMESTAMPTZ) or text
 * (a Prisma `String?`), parsed by `parseTimeText`. Encodes as ISO 8601 in UTC.
 */
export const StoredTime = Schema.transformOrFail(Schema.Unknown, Schema.ValidDateFromSelf, {
  strict: true,
  decode: (value, _, ast) => {
    const date = value instanceof Date ? value : typeof value === "string" ? parseTimeText(value) : undefined
    return date === undefined || Number.isNaN(date.getTime())
      ? ParseResult.fail(new ParseResult.Type(ast, value, NOT_A_DATE))
      : ParseResult.succeed(date)
  },
  encode: (date) => ParseResult.succeed(date.toISOString())
})
