import type Pg from "pg"

/**
 * `COPY … FROM STDIN` on a node-postgres client without pg-copy-streams (not installed): a Submittable that answers
 * the server's CopyInResponse with the data, in 64 KiB CopyData messages, using pg's own protocol methods.
 */
class CopyFrom {
  private error: Error | undefined
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
    this.error = error
  }
  handleReadyForQuery() {
    this.done(this.error)
  }
  handleCommandComplete() {}
  handleRowDescription() {}
  handleDataRow() {}
  handleEmptyQuery() {}
  handlePortalSuspended() {}
  handleCopyData() {}
}

export const copyFrom = (client: Pg.Client, text: string, data: Buffer): Promise<void> =>
  new Promise((resolve, reject) => {
    client.query(new CopyFrom(text, data, (error) => (error ? reject(error) : resolve())) as unknown as Pg.QueryConfig)
  })

/** One CSV field: quoted, NULL as an unquoted empty field. */
export const csvField = (value: string | number | null): string =>
  value === null ? "" : `"${String(value).replace(/"/g, '""')}"`
