import type { Faults } from "./Config.js"
import type { Random } from "./Random.js"

/** A fault that replaces the answer to a request, decided after authentication. */
export type RequestFault = "hang" | "extra429" | "error500" | "error503"

/** A fault that damages a successful answer on the wire. */
export type BodyFault = "truncatedBody" | "malformedJson"

export const drawRequestFault = (random: Random, faults: Faults): RequestFault | undefined =>
  random.chance(faults.hangProbability) ? "hang" :
  random.chance(faults.extra429Probability) ? "extra429" :
  random.chance(faults.error500Probability) ? "error500" :
  random.chance(faults.error503Probability) ? "error503" :
  undefined

export const drawBodyFault = (random: Random, faults: Faults): BodyFault | undefined =>
  random.chance(faults.truncatedBodyProbability) ? "truncatedBody" :
  random.chance(faults.malformedJsonProbability) ? "malformedJson" :
  undefined

/** Real milliseconds to hold the answer back, or 0. */
export const drawDelayMs = (random: Random, faults: Faults): number =>
  faults.slowResponseMs > 0 && random.chance(faults.slowResponseProbability) ? faults.slowResponseMs : 0

/** Whether the order at this position is among `share` of the orders (deterministic, so a re-fetch sees the same). */
const picked = (share: number, position: number, salt: number): boolean => {
  if (share <= 0) return false
  if (share >= 1) return true
  // A cheap integer hash of the position, uniform enough to pick a share of the orders.
  const h = Math.imul((position + salt) ^ 0x9e3779b9, 0x85ebca6b) >>> 0
  return h / 0x1_0000_0000 < share
}

/** Whether the order at this position is always served damaged. */
export const isCorruptOrder = (faults: Faults, position: number): boolean => picked(faults.corruptOrderShare, position, 0)

/** Whether the order at this position is always served without the datasets asked for (`includedData` ignored). */
export const isDatasetsDropped = (faults: Faults, position: number): boolean =>
  picked(faults.datasetsDroppedShare, position, 0x5eed)

/** Damages a rendered order the way a bad record from Amazon would look: a date that is not a date. */
export const corruptOrder = (order: Record<string, unknown>, dateField: string): Record<string, unknown> => ({
  ...order,
  [dateField]: "not-a-date"
})

/** Whether the order at this position is always served with a NUL character in a text field (`nulTextShare`). */
export const isNulText = (faults: Faults, position: number): boolean => picked(faults.nulTextShare, position, 0x0417)

/** Whether getOrderItems serves this order's items with a NUL character in each one's `ConditionNote` (`nulItemTextShare`). */
export const isNulItemText = (faults: Faults, position: number): boolean => picked(faults.nulItemTextShare, position, 0x17e3)

/** A NUL in a text field the client stores only in `raw` (`path`: where in the order). */
export const withNulText = (order: Record<string, unknown>, path: readonly [string] | readonly [string, string]): Record<string, unknown> => {
  if (path.length === 1) return { ...order, [path[0]]: `${String(order[path[0]] ?? "")}\0` }
  const inner = (order[path[0]] ?? {}) as Record<string, unknown>
  return { ...order, [path[0]]: { ...inner, [path[1]]: `${String(inner[path[1]] ?? "")}\0` } }
}
