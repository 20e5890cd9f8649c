import { Cause, Channel, Chunk, Effect, Either, Stream } from "effect"
import iconv from "iconv-lite"
import { TextDecoder } from "node:util"
import * as Zlib from "node:zlib"
import type { DecodedOrder } from "../../Domain/Order.js"
import { ReportDateRangeExceeded, ReportDocumentError } from "../../Domain/ReportErrors.js"
import { decodeReportOrder, type ReportHeader, reportHeader, type ReportRaw, type ReportTotalRule } from "../../Domain/ReportOrders.js"
import { tooLarge } from "../Reports.js"
import { unstorable } from "../Store/OrderRepo.js"

// A downloaded order report → chunks of decoded orders, one pass, never the whole document in memory:
// bytes → (gunzip) → text in the declared charset → lines → rows → consecutive rows per order → chunks.

/** Some orders and the checkpoint after them: data rows (after the header) consumed through the last order's last row. */
export interface ReportChunk {
  readonly orders: ReadonlyArray<DecodedOrder>
  readonly rowsThrough: number
  /** The total rule the orders were decoded with; null: `additive` while the tenant's rule was not known (see `rule`). */
  readonly rule: ReportTotalRule | null
  /** The document's header, to decode an order again from its `raw` (see `redecode`). */
  readonly header: ReportHeader
}

export interface DocumentOptions {
  /** The download's `Content-Type`; its `charset` decides the decoding (UTF-8 when absent). */
  readonly contentType: string | undefined
  /** The report document said `compressionAlgorithm: "GZIP"`. */
  readonly compressed: boolean
  /** Kept in every order's `raw`. */
  readonly reportType: string
  /** A checkpoint's `rowsThrough`: these data rows are skipped without decoding. */
  readonly skipRows: number
  /** Orders per emitted chunk (the last one may have fewer). */
  readonly chunkOrders: number
  /** The most bytes the document may have once decompressed (the download's `maxBytes`); by default 1 GiB. */
  readonly maxBytes?: number | undefined
  /**
   * The tenant's report total rule, read as each chunk starts (it may be decided while the document is read); null:
   * not known yet, the chunk is decoded `additive` and says so. Without it, every chunk is `additive`.
   */
  readonly rule?: (() => ReportTotalRule | null) | undefined
}

/** ORDERSYNC_REPORT_DOCUMENT_MAX_MB's default (see Reports' DocumentsConfig). */
const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024

/** A line this long is not an order report; failing beats buffering an unbounded "line". */
const MAX_LINE_CHARS = 1 << 20
/** An order with more rows than this would break the memory bound; no real order comes near it. */
const MAX_ORDER_ROWS = 10_000

export const documentOrders = <E, R = never>(
  body: Stream.Stream<Uint8Array, E, R>,
  options: DocumentOptions
): Stream.Stream<ReportChunk, E | ReportDocumentError | ReportDateRangeExceeded, R> => {
  if (!(Number.isInteger(options.chunkOrders) && options.chunkOrders >= 1)) {
    return Stream.dieMessage(`documentOrders: chunkOrders must be a positive integer, got ${options.chunkOrders}`)
  }
  if (!(Number.isInteger(options.skipRows) && options.skipRows >= 0)) {
    return Stream.dieMessage(`documentOrders: skipRows must be a non-negative integer, got ${options.skipRows}`)
  }
  const bytes = options.compressed ? Stream.pipeThroughChannelOrFail(body, gunzip<E>()) : body
  return Stream.pipeThroughChannelOrFail(
    capped(bytes, options.maxBytes ?? DEFAULT_MAX_BYTES),
    Channel.suspend((): ParseChannel<E | ReportDocumentError> => {
      const decoder = textDecoder(options.contentType)
      return Either.isLeft(decoder) ? Channel.fail(decoder.left) : parse(new DocumentParser(decoder.right, options))
    })
  )
}

/**
 * An order of a chunk decoded again with `rule`, from its `raw` rows (which hold every column of the header, by its
 * keys). Only decoded orders change: a quarantined one failed on something no rule changes.
 */
export const redecode = (header: ReportHeader, decoded: DecodedOrder, rule: ReportTotalRule): DecodedOrder => {
  if (decoded._tag === "Quarantined") return decoded
  const raw = decoded.order.raw as ReportRaw
  const rows = raw.rows.map((row) => header.keys.map((key) => row[key] ?? ""))
  return storable(decodeReportOrder(header, raw.reportType, rows, 1, rule), 0)
}

// ---------------------------------------------------------------------------------------------------------------
// Charset

/** The `charset` parameter of a Content-Type, lower-cased; undefined when there is none. */
export const contentTypeCharset = (contentType: string | undefined): string | undefined => {
  if (contentType === undefined) return undefined
  for (const parameter of contentType.split(";").slice(1)) {
    const equals = parameter.indexOf("=")
    if (equals < 0) continue
    if (parameter.slice(0, equals).trim().toLowerCase() !== "charset") continue
    const value = parameter.slice(equals + 1).trim().replace(/^"(.*)"$/, "$1").trim()
    return value === "" ? undefined : value.toLowerCase()
  }
  return undefined
}

/** Bytes to text, a piece at a time: `decode()` without bytes flushes. */
interface Decoder {
  readonly decode: (bytes?: Uint8Array, options?: { readonly stream: boolean }) => string
}

// The labels WHATWG maps to windows-1252. Node 20's TextDecoder decodes them as ISO-8859-1 (0x80–0x9F become C1
// controls: "–" is U+0096), so these go through iconv-lite.
const WINDOWS_1252 = new Set(["windows-1252", "cp1252", "x-cp1252", "iso-8859-1", "iso8859-1", "latin1", "l1", "us-ascii", "ascii"])

const iconvDecoder = (charset: string): Decoder => {
  const decoder = iconv.getDecoder(charset)
  return { decode: (bytes) => bytes === undefined ? decoder.end() ?? "" : decoder.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) }
}

// TextDecoder (WHATWG Encoding, Node's full ICU) knows shift_jis, euc-jp, utf-16le…; it drops a UTF-8 byte-order
// mark. Invalid bytes become U+FFFD rather than failing the whole document: they can only be in text columns, which
// ordersync keeps only in `raw`.
const textDecoder = (contentType: string | undefined): Either.Either<Decoder, ReportDocumentError> => {
  const declared = contentTypeCharset(contentType) ?? "utf-8"
  const charset = javaCharset(declared)
  try {
    return Either.right(WINDOWS_1252.has(charset) ? iconvDecoder("windows-1252") : new TextDecoder(charset))
  } catch {
    // A name WHATWG lacks that iconv-lite knows (cp737, koi8-t…).
    if (iconv.encodingExists(charset)) return Either.right(iconvDecoder(charset))
    return Either.left(new ReportDocumentError({ reason: `unknown charset "${declared}" (Content-Type: ${contentType})` }))
  }
}

// Amazon names charsets as Java does (`charset=Cp1252`: jrl84/amazon-sp-api#144, amzn/selling-partner-api-models#2748
// and #4031; its JP files are cp932: saleweaver/python-amazon-sp-api#244). Java's names WHATWG does not know, to the
// WHATWG label of the same code page (its Shift_JIS is Windows-31J, its EUC-KR windows-949, its Big5 has cp950's).
const JAVA_CHARSETS: Readonly<Record<string, string>> = {
  "cp932": "shift_jis",
  "ms932": "shift_jis",
  "windows-932": "shift_jis",
  "cp943": "shift_jis",
  "cp943c": "shift_jis",
  "euc_jp": "euc-jp",
  "cp949": "euc-kr",
  "ms949": "euc-kr",
  "euc_kr": "euc-kr",
  "cp936": "gbk",
  "ms936": "gbk",
  "cp950": "big5",
  "ms950": "big5",
  "utf8": "utf-8",
  "unicodelittleunmarked": "utf-16le",
  "unicodebigunmarked": "utf-16be",
  "utf_16le": "utf-16le",
  "utf_16be": "utf-16be"
}

/** Java's name of a charset (lower-cased) as a WHATWG label: `cp932` → `shift_jis`, `iso8859_15` → `iso-8859-15`. */
export const javaCharset = (charset: string): string =>
  JAVA_CHARSETS[charset] ?? charset.replace(/^iso8859_(\d+)$/, "iso-8859-$1")

/** A gzip bomb (510 KiB that expand to 512 MiB) stops at `maxBytes` of text, before it is parsed. */
const capped = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>, maxBytes: number): Stream.Stream<Uint8Array, E | ReportDocumentError, R> =>
  Stream.suspend(() => {
    let total = 0
    return Stream.mapEffect(bytes, (piece) => {
      total += piece.length
      return total > maxBytes ? Effect.fail(tooLarge(maxBytes, "decompressed")) : Effect.succeed(piece)
    })
  })

// ---------------------------------------------------------------------------------------------------------------
// Gunzip

// Not NodeStream.pipeThroughDuplex: it does not wait for "drain" after the last buffer of a chunk, and a download
// arrives one buffer per chunk, so a fast network would pile the whole compressed document into zlib's write queue.
// Here one buffer is in zlib at a time, and its output is handed on before the next is written.
const gunzip = <E>(): Channel.Channel<
  Chunk.Chunk<Uint8Array>,
  Chunk.Chunk<Uint8Array>,
  E | ReportDocumentError,
  E,
  unknown,
  unknown
> =>
  Channel.suspend(() => {
    const zlib = Zlib.createGunzip()
    let output: Array<Uint8Array> = []
    let failure: ReportDocumentError | undefined
    let wake: (() => void) | undefined
    zlib.on("data", (buffer: Buffer) => output.push(buffer))
    zlib.on("error", (error) => {
      failure = new ReportDocumentError({ reason: `gunzip failed (${error.message})` })
      wake?.()
    })
    zlib.on("end", () => wake?.())

    // Resumes when `start`'s callback or an error says so; then hands over what zlib produced meanwhile.
    const step = (start: (done: () => void) => void) =>
      Effect.async<Chunk.Chunk<Uint8Array>, ReportDocumentError>((resume) => {
        let resumed = false
        const done = () => {
          if (resumed) return
          resumed = true
          wake = undefined
          if (failure !== undefined) return resume(Effect.fail(failure))
          const produced = output
          output = []
          resume(Effect.succeed(Chunk.unsafeFromArray(produced)))
        }
        if (failure !== undefined) return done()
        wake = done
        start(done)
      })
    const writeAll = (input: Chunk.Chunk<Uint8Array>) =>
      Effect.forEach(
        Chunk.filter(input, (buffer) => buffer.length > 0),
        (buffer) => step((done) => zlib.write(buffer, () => done()))
      )
    const end = step((done) => {
      if (zlib.readableEnded) done()
      else zlib.end()
    })

    const loop: Channel.Channel<
      Chunk.Chunk<Uint8Array>,
      Chunk.Chunk<Uint8Array>,
      E | ReportDocumentError,
      E,
      unknown,
      unknown
    > = Channel.readWithCause({
      onInput: (input: Chunk.Chunk<Uint8Array>) =>
        Channel.flatMap(Channel.fromEffect(writeAll(input)), (outputs) => {
          const produced = Chunk.flatten(Chunk.unsafeFromArray(outputs))
          return Chunk.isEmpty(produced) ? loop : Channel.zipRight(Channel.write(produced), loop)
        }),
      onFailure: (cause: Cause.Cause<E>) => Channel.failCause(cause),
      onDone: () =>
        Channel.flatMap(Channel.fromEffect(end), (produced) =>
          Chunk.isEmpty(produced) ? Channel.void : Channel.write(produced))
    })
    return Channel.ensuring(loop, Effect.sync(() => zlib.destroy()))
  })

// ---------------------------------------------------------------------------------------------------------------
// Text → chunks of orders

/**
 * A decoded order PostgreSQL would refuse (a NUL in a field, on row `nulRow`; a quantity past its integer column…)
 * is quarantined here with the reason, like any bad row: otherwise it would fail its whole chunk's COPY.
 */
const storable = (decoded: DecodedOrder, nulRow: number): DecodedOrder => {
  const nul = nulRow === 0 ? undefined : `data row ${nulRow} holds a NUL character, which PostgreSQL cannot store`
  if (decoded._tag === "Quarantined") {
    return nul === undefined ? decoded : { _tag: "Quarantined", quarantined: { ...decoded.quarantined, error: decoded.quarantined.error === "" ? nul : `${decoded.quarantined.error}; ${nul}` } }
  }
  const reason = nul ?? unstorable(decoded.order)
  return reason === undefined
    ? decoded
    : { _tag: "Quarantined", quarantined: { externalOrderId: decoded.order.externalOrderId, raw: decoded.order.raw, error: reason } }
}

type ParseChannel<E> = Channel.Channel<
  Chunk.Chunk<ReportChunk>,
  Chunk.Chunk<Uint8Array>,
  E | ReportDocumentError | ReportDateRangeExceeded,
  E,
  unknown,
  unknown
>

const parse = <E>(parser: DocumentParser): ParseChannel<E> => {
  const emit = (result: ParseResult, next: ParseChannel<E>): ParseChannel<E> =>
    Either.isLeft(result)
      ? Channel.fail(result.left)
      : result.right.length === 0
      ? next
      : Channel.zipRight(Channel.write(Chunk.unsafeFromArray(result.right)), next)
  const loop: ParseChannel<E> = Channel.readWithCause({
    onInput: (input: Chunk.Chunk<Uint8Array>) => emit(parser.feed(input), loop),
    onFailure: (cause: Cause.Cause<E>) => Channel.failCause(cause),
    onDone: () => emit(parser.finish(), Channel.void)
  })
  return loop
}

type ParseResult = Either.Either<Array<ReportChunk>, ReportDocumentError | ReportDateRangeExceeded>

/** The synchronous heart: bytes in, finished chunks out; holds one partial line, one order and one chunk. */
class DocumentParser {
  private carry = ""
  private header: ReportHeader | undefined
  /** Data rows seen so far (skipped ones included): the number of the current row. */
  private row = 0
  /** The order being gathered, and the 1-based data row it starts on. */
  private orderRows: Array<Array<string>> = []
  private orderId = ""
  private orderFirstRow = 0
  /** The first row of the order being gathered that holds a NUL (PostgreSQL's text cannot), or 0. */
  private orderNulRow = 0
  /** The id of the last skipped row: the first row read must start a new order. */
  private skippedId: string | undefined
  private orders: Array<DecodedOrder> = []
  private ordersThrough = 0
  private chunkRule: ReportTotalRule | null = "additive"
  private out: Array<ReportChunk> = []

  constructor(
    private readonly decoder: Decoder,
    private readonly options: DocumentOptions
  ) {}

  feed(input: Chunk.Chunk<Uint8Array>): ParseResult {
    try {
      for (const bytes of input) this.text(this.decoder.decode(bytes, { stream: true }))
      return this.flush()
    } catch (error) {
      return this.failed(error)
    }
  }

  finish(): ParseResult {
    try {
      this.text(this.decoder.decode())
      if (this.carry !== "") this.line(this.carry)
      this.carry = ""
      if (this.header === undefined) throw new ReportDocumentError({ reason: "the document is empty (no header)" })
      this.endOrder()
      if (this.orders.length > 0) this.out.push(this.chunk())
      this.orders = []
      return this.flush()
    } catch (error) {
      return this.failed(error)
    }
  }

  private flush(): ParseResult {
    const out = this.out
    this.out = []
    return Either.right(out)
  }

  private failed(error: unknown): ParseResult {
    if (error instanceof ReportDocumentError || error instanceof ReportDateRangeExceeded) return Either.left(error)
    throw error
  }

  private text(text: string) {
    if (text === "") return
    const buffer = this.carry === "" ? text : this.carry + text
    let start = 0
    let newline = buffer.indexOf("\n")
    while (newline >= 0) {
      this.line(buffer.slice(start, newline))
      start = newline + 1
      newline = buffer.indexOf("\n", start)
    }
    this.carry = start === 0 ? buffer : buffer.slice(start)
    if (this.carry.length > MAX_LINE_CHARS) {
      throw new ReportDocumentError({
        reason: `line ${this.row + 2} is longer than ${MAX_LINE_CHARS} characters; not an order report`
      })
    }
  }

  private line(text: string) {
    const line = text.endsWith("\r") ? text.slice(0, -1) : text
    if (line === "") return
    if (this.header === undefined) return this.headerLine(line)
    const row = ++this.row
    const skipRows = this.options.skipRows
    if (row <= skipRows) {
      if (row === skipRows) this.skippedId = line.split("\t", this.header.index.orderId + 1)[this.header.index.orderId] ?? ""
      return
    }
    const fields = line.split("\t")
    const id = fields[this.header.index.orderId] ?? ""
    if (this.orderRows.length > 0 && id !== this.orderId) this.endOrder()
    if (this.orderRows.length === 0) {
      if (this.skippedId !== undefined && id === this.skippedId) {
        throw new ReportDocumentError({
          reason: `skipRows ${skipRows} falls inside order "${id}": a checkpoint is always at an order's end`
        })
      }
      this.skippedId = undefined
      this.orderId = id
      this.orderFirstRow = row
    } else if (this.orderRows.length >= MAX_ORDER_ROWS) {
      throw new ReportDocumentError({ reason: `order "${id}" has more than ${MAX_ORDER_ROWS} rows` })
    }
    if (this.orderNulRow === 0 && line.includes("\0")) this.orderNulRow = row
    this.orderRows.push(fields)
  }

  private headerLine(line: string) {
    if (/^\s*date range exceeded/i.test(line)) {
      throw new ReportDateRangeExceeded({ text: line.trim().slice(0, 500) })
    }
    // Every order's `raw` is keyed by the header's names: one NUL there and no order could be stored.
    if (line.includes("\0")) throw new ReportDocumentError({ reason: "the header holds a NUL character; not an order report" })
    const header = reportHeader(line.split("\t"))
    if (Either.isLeft(header)) throw new ReportDocumentError({ reason: header.left })
    this.header = header.right
  }

  private chunk(): ReportChunk {
    return { orders: this.orders, rowsThrough: this.ordersThrough, rule: this.chunkRule, header: this.header! }
  }

  private endOrder() {
    if (this.orderRows.length === 0) return
    // One rule for the whole chunk, whenever the tenant's rule is decided meanwhile.
    if (this.orders.length === 0) this.chunkRule = this.options.rule === undefined ? "additive" : this.options.rule()
    this.orders.push(storable(decodeReportOrder(this.header!, this.options.reportType, this.orderRows, this.orderFirstRow, this.chunkRule ?? "additive"), this.orderNulRow))
    this.orderNulRow = 0
    this.ordersThrough = this.orderFirstRow + this.orderRows.length - 1
    this.orderRows = []
    if (this.orders.length >= this.options.chunkOrders) {
      this.out.push(this.chunk())
      this.orders = []
    }
  }
}
