import type { UsagePlan } from "./Config.js"

/**
 * A token bucket in real time. `rate` is the effective refill per real second (the
 * Amazon rate times the time factor); it starts full, as Amazon's do.
 */
export interface TokenBucket {
  readonly rate: number
  readonly burst: number
  /** Takes a token if one is available. */
  readonly tryTake: (now: number) => boolean
  /** Tokens taken so far, and the most a perfect client could have taken by `now`. */
  readonly usage: (now: number) => { readonly spent: number; readonly maximum: number }
  /** Restarts the accounting of `usage`; the bucket level is kept. */
  readonly resetUsage: () => void
}

export const makeTokenBucket = (plan: UsagePlan, timeFactor: number): TokenBucket => {
  const rate = plan.rate * timeFactor
  const burst = plan.burst
  let tokens = burst
  let refilledAt: number | undefined
  let firstAt: number | undefined
  let spent = 0
  return {
    rate,
    burst,
    tryTake: (now) => {
      firstAt ??= now
      // A clock stepped back (setClockOffset) neither drains nor fills the bucket.
      if (refilledAt !== undefined) tokens = Math.min(burst, tokens + (Math.max(0, now - refilledAt) / 1000) * rate)
      refilledAt = now
      if (tokens < 1) return false
      tokens -= 1
      spent += 1
      return true
    },
    usage: (now) => ({
      spent,
      maximum: firstAt === undefined ? 0 : burst + ((now - firstAt) / 1000) * rate
    }),
    resetUsage: () => {
      spent = 0
      firstAt = undefined
    }
  }
}

/** Formats a rate for `x-amzn-RateLimit-Limit` without float noise. */
export const formatRate = (rate: number): string => String(Number(rate.toPrecision(6)))
