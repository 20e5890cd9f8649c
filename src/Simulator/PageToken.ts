import { createHmac, timingSafeEqual } from "node:crypto"
import type { Cursor } from "./Listing.js"
import type { ListingQuery } from "./Queries.js"

/** What a page token carries: the query it belongs to and where the previous page ended. */
export interface PageTokenContent {
  readonly sellerId: string
  /** Hash of the parameters that must be repeated unchanged with the token. */
  readonly fingerprint: string
  /** The whole query, since v0 callers send only the token. */
  readonly query: ListingQuery
  readonly cursor: Cursor
  readonly expiresAt: number
}

export type DecodedPageToken =
  | { readonly _tag: "Valid"; readonly content: PageTokenContent }
  | { readonly _tag: "Undecodable" }
  | { readonly _tag: "Expired" }

// Bytes that encode to "+/+/" so every token needs URL-encoding, as Amazon's do.
const MAGIC = Buffer.from([0xfb, 0xff, 0xbf])
const MAC_BYTES = 16

const mac = (secret: string, payload: Buffer): Buffer =>
  createHmac("sha256", secret).update(payload).digest().subarray(0, MAC_BYTES)

export const encodePageToken = (secret: string, content: PageTokenContent): string => {
  let json = JSON.stringify(content)
  // Pad so the base64 ends in "=" (length not a multiple of 3).
  while ((MAGIC.length + MAC_BYTES + Buffer.byteLength(json)) % 3 !== 1) json += " "
  const payload = Buffer.from(json)
  return Buffer.concat([MAGIC, mac(secret, payload), payload]).toString("base64")
}

export const decodePageToken = (secret: string, token: string, now: number): DecodedPageToken => {
  const bytes = Buffer.from(token, "base64")
  // Node's decoder skips junk silently: a token that does not round-trip was altered.
  if (bytes.toString("base64") !== token || bytes.length <= MAGIC.length + MAC_BYTES) return { _tag: "Undecodable" }
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) return { _tag: "Undecodable" }
  const signature = bytes.subarray(MAGIC.length, MAGIC.length + MAC_BYTES)
  const payload = bytes.subarray(MAGIC.length + MAC_BYTES)
  if (!timingSafeEqual(signature, mac(secret, payload))) return { _tag: "Undecodable" }
  let content: PageTokenContent
  try {
    content = JSON.parse(payload.toString("utf8")) as PageTokenContent
  } catch {
    return { _tag: "Undecodable" }
  }
  return content.expiresAt < now ? { _tag: "Expired" } : { _tag: "Valid", content }
}
