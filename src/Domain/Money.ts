/**
 * Exact decimal arithmetic on Amazon's amount strings ("9.99", "-1.50", JPY "1200"): BigInt over the inputs' largest
 * number of decimals, so no float rounding ever reaches a stored amount, and the result keeps the scale of its inputs.
 */

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/

/** True for a decimal string Amazon could have written ("12", "-3.5", "0.00"). */
export const isDecimal = (value: string): boolean => DECIMAL.test(value)

/** One term of a sum: an amount, added or taken off. */
export interface Term {
  readonly amount: string
  /** Subtract it (a discount); `absolute`: by its absolute value, whatever its sign (Amazon documents none). */
  readonly subtract?: boolean
  readonly absolute?: boolean
}

/**
 * The sum of the terms as a decimal string at the largest scale among them; undefined when a term is not a decimal.
 * No terms → "0".
 */
export const sumAmounts = (terms: ReadonlyArray<Term>): string | undefined => {
  let scale = 0
  const parsed: Array<{ readonly negative: boolean; readonly whole: string; readonly fraction: string }> = []
  for (const term of terms) {
    const match = DECIMAL.exec(term.amount)
    if (match === null) return undefined
    const fraction = match[3] ?? ""
    if (fraction.length > scale) scale = fraction.length
    const negative = term.absolute ? false : match[1] === "-"
    parsed.push({ negative: term.subtract ? !negative : negative, whole: match[2]!, fraction })
  }
  let units = 0n
  for (const { fraction, negative, whole } of parsed) {
    const value = BigInt(whole + fraction.padEnd(scale, "0"))
    units += negative ? -value : value
  }
  return formatUnits(units, scale)
}

/** a − b, or undefined when either is not a decimal. */
export const subtractAmount = (a: string, b: string): string | undefined => sumAmounts([{ amount: a }, { amount: b, subtract: true }])

/** True when both are decimals of the same value ("1.5" and "1.50"). */
export const sameAmount = (a: string, b: string): boolean => subtractAmount(a, b)?.replace(/^-/, "").replace(/[0.]/g, "") === ""

export const formatUnits = (units: bigint, scale: number): string => {
  const negative = units < 0n
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0")
  const whole = digits.slice(0, digits.length - scale)
  return (negative ? "-" : "") + (scale === 0 ? whole : `${whole}.${digits.slice(digits.length - scale)}`)
}
