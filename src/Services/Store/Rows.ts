import { Effect, ParseResult, Schema } from "effect"
import { UnreadableRow } from "../../Domain/Errors.js"

/** A BIGINT column (the driver returns it as text) or an INTEGER one, as a number. */
export const Count = Schema.Union(Schema.Number, Schema.NumberFromString)

const describe = (value: unknown): string => {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "an invalid date" : value.toISOString()
  return JSON.stringify(value) ?? String(value)
}

/**
 * Decodes the rows of a query with `schema`. A value of another shape is a defect that names the table, the column
 * and the value, before anything downstream trips over it.
 */
export const decodeRows = <A, I>(table: string, schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(schema)
  return (rows: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<A>> =>
    Effect.forEach(rows, (row) =>
      decode(row).pipe(
        Effect.catchAll((error) => {
          const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
          const column = String(issue?.path[0] ?? "?")
          const value = typeof row === "object" && row !== null ? (row as Record<string, unknown>)[column] : row
          return Effect.die(new UnreadableRow({ table, column, value: describe(value), reason: issue?.message ?? error.message }))
        })
      ))
}
