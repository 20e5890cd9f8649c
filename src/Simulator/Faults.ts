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
