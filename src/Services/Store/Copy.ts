import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Effect, Option } from "effect"
import type Pg from "pg"

/**
 * `COPY … FROM STDIN` on the node-postgres client of the current transaction, without pg-copy-streams: a Submittable
 * that answers the server's CopyInResponse with the data in 64 KiB CopyData messages, through pg's own protocol
 * methods. It settles on the server's ErrorResponse (or a lost socket) as on its ReadyForQuery: pg forgets the active
 * query before handing it an error, so the ReadyForQuery that follows never reaches it.
 */
class CopyFrom {
  private settled = false
  constructor(
    readonly text: string,
    private readonly data: Buffer,
    private readonly done: (error: Error | undefined) => void
  ) {}
  submit(connection: { query: (text: string) => void }) {
    connection.query(this.text)
  }
  handleCopyInResponse(connection: { sendCopyFromChunk: (chunk: Buffer) => void; endCopyFrom: () => void }) {
    for (let offset = 0; offset < this.data.length; offset += 65_536) {
      connection.sendCopyFromChunk(this.data.subarray(offset, offset + 65_536))
    }
    connection.endCopyFrom()
  }
  handleError(error: Error) {
    this.settle(error)
  }
  handleReadyForQuery() {
    this.settle(undefined)
  }
  private settle(error: Error | undefined) {
    if (this.settled) return
    this.settled = true
    this.done(error)
  }
  handleCommandComplete() {}
  handleRowDescription() {}
  handleDataRow() {}
  handleEmptyQuery() {}
  handlePortalSuspended() {}
  handleCopyData() {}
}

/** One CSV field: quoted, NULL as an unquoted empty field. */
export const csvField = (value: string | number | null): string =>
  value === null ? "" : `"${String(value).replace(/"/g, '""')}"`

export const copyFrom = (client: Pick<Pg.Client, "query">, text: string, data: Buffer): Promise<void> =>
  new Promise((resolve, reject) => {
    client.query(new CopyFrom(text, data, (error) => (error ? reject(error) : resolve())) as unknown as Pg.QueryConfig)
  })

/**
 * COPY into a table inside the transaction the caller runs in (its connection is the transaction's: @effect/sql-pg
 * keeps node-postgres' client on it). Outside a transaction it is a defect: there is no connection to copy on.
 */
export const copyInTransaction = (text: string, data: Buffer): Effect.Effect<void, SqlError> =>
  Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) => {
    const client = Option.getOrUndefined(Option.flatMap(transaction, ([connection]) =>
      Option.fromNullable((connection as unknown as { readonly pg?: Pg.PoolClient }).pg)))
    if (client === undefined) return Effect.dieMessage("COPY needs the connection of a transaction")
    return Effect.tryPromise({
      try: () => copyFrom(client, text, data),
      catch: (cause) => new SqlError({ cause, message: "COPY failed" })
    })
  })
