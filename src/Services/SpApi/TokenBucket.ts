import { Clock, Duration, Effect } from "effect"

/** Amazon's usage plan for one operation: a refill rate (requests per second) and a burst. */
export interface UsagePlan {
  readonly rate: number
  readonly burst: number
}

/** Amazon's default plans (SP-API.md). Real sellers get others: the rate is corrected from x-amzn-RateLimit-Limit. */
export const DEFAULT_PLANS: Record<string, UsagePlan> = {
  searchOrders: { rate: 0.0056, burst: 20 },
  getOrders: { rate: 0.0167, burst: 20 },
  getOrder: { rate: 0.5, burst: 30 },
  // v0, one call per order (ORDERSYNC_V0_ITEMS): a bucket of its own, apart from getOrders' and getOrder's.
  getOrderItems: { rate: 0.5, burst: 30 },
  createReport: { rate: 0.0167, burst: 15 },
  getReport: { rate: 2, burst: 15 },
  getReports: { rate: 0.0222, burst: 10 },
  getReportDocument: { rate: 0.0167, burst: 15 },
  cancelReport: { rate: 0.0222, burst: 10 }
}

interface State {
  readonly plan: UsagePlan
  /** Whether Amazon has answered yet: until then we cannot know when its bucket started refilling. */
  readonly anchored: boolean
  /** May go negative: every taker reserves its token at once, and waits until its turn comes. */
  readonly tokens: number
  readonly at: number
}

export interface TokenBucket {
  /** Waits for this request's turn: the full burst first, then exactly the sustained rate. */
  readonly take: Effect.Effect<void>
  /**
   * Waits until a token would be free, without taking it. A caller that waits here, with little on its stack,
   * before it builds a request keeps less memory alive for the minutes a paced tenant waits; its `take` then
   * returns at once unless another caller of the same bucket got there first.
   */
  readonly ready: Effect.Effect<void>
  /** How long until a token is free (0 when one is), without taking it. */
  readonly waitMillis: Effect.Effect<number>
  /**
   * Amazon throttled us: its bucket holds less than one token. Learn the burst: the tokens we believed we had beyond
   * this request are tokens Amazon's bucket cannot hold, so the burst shrinks by as many (never below 1), and ours
   * keeps the fraction of a token Amazon's has refilled since (none when nothing can be learned).
   * Without it, a tenant that waits several intervals (for its turn, or between delta syncs) believes it has
   * Amazon's default burst of 20 back, and its third request is throttled against a seller whose burst is 2.
   */
  readonly drain: Effect.Effect<void>
  /**
   * Amazon answered. The first answer anchors the refill clock: Amazon's bucket started refilling when our first
   * request reached it, which is no later than this. Anchoring any earlier would make us run ahead of Amazon.
   */
  readonly answered: Effect.Effect<void>
  /** Amazon told us the seller's actual rate. */
  readonly setRate: (rate: number) => Effect.Effect<void>
  readonly plan: Effect.Effect<UsagePlan>
  /** Tokens available now (negative while requests are queued). */
  readonly tokens: Effect.Effect<number>
}

const refill = (state: State, now: number): State => ({
  ...state,
  tokens: state.anchored
    ? Math.min(state.plan.burst, state.tokens + ((now - state.at) / 1000) * state.plan.rate)
    : state.tokens,
  at: now
})

/**
 * One bucket's state and its operations. The operations are getters, built when used: a process holds a bucket per
 * tenant and operation (ten thousand tenants in B3), and each holds a state and nothing else (it was ~3 KB of Effect
 * values, a SynchronizedRef and its semaphore). Every change of the state is a pure function of it and the Clock,
 * applied at once, so it needs no lock. The wait is computed from the Clock, so TestClock drives it.
 */
class Bucket implements TokenBucket {
  #state: State
  constructor(state: State) {
    this.#state = state
  }

  /** Applies `f` to the state refilled up to now, and answers what it says. */
  #modify<A>(f: (state: State) => readonly [A, State]): Effect.Effect<A> {
    return Effect.map(Clock.currentTimeMillis, (now) => {
      const [answer, next] = f(refill(this.#state, now))
      this.#state = next
      return answer
    })
  }

  #update(f: (state: State) => State): Effect.Effect<void> {
    return this.#modify((state) => [undefined, f(state)] as const)
  }

  get take(): Effect.Effect<void> {
    return Effect.flatMap(
      this.#modify((state) => {
        const tokens = state.tokens - 1
        const waitMillis = tokens >= 0 ? 0 : Math.ceil((-tokens / state.plan.rate) * 1000)
        return [waitMillis, { ...state, tokens }] as const
      }),
      (waitMillis) => waitMillis > 0 ? Effect.sleep(Duration.millis(waitMillis)) : Effect.void
    )
  }

  get waitMillis(): Effect.Effect<number> {
    return Effect.map(Clock.currentTimeMillis, (now) => {
      const state = refill(this.#state, now)
      return state.tokens >= 1 ? 0 : Math.ceil(((1 - state.tokens) / state.plan.rate) * 1000)
    })
  }

  get ready(): Effect.Effect<void> {
    return Effect.flatMap(this.waitMillis, (millis) => millis > 0 ? Effect.sleep(Duration.millis(millis)) : Effect.void)
  }

  get drain(): Effect.Effect<void> {
    return this.#update((s) => {
      // Only a bucket we believed to hold tokens after this request tells us something; with requests queued
      // (negative) the 429 says no more than that we ran ahead.
      if (s.tokens < 0 || !s.anchored) return { ...s, tokens: Math.min(s.tokens, 0) }
      // Amazon had less than one token where we believed we had `tokens` more, so its burst is below
      // `burst - tokens`: the largest whole burst that allows is the one we learn.
      const burst = Math.ceil(s.plan.burst - s.tokens) - 1
      if (burst < 1) return { ...s, plan: { ...s.plan, burst: 1 }, tokens: 0 }
      // Both buckets refilled alike since Amazon's was full, ours `plan.burst - burst` higher: what Amazon holds now
      // is ours less that (this request's token given back), a fraction of one. Its next token comes when that
      // fraction has refilled, not a whole interval after this 429 (B3: a tenant whose third request came late
      // lost that delay again on every later page).
      return { ...s, plan: { ...s.plan, burst }, tokens: s.tokens + 1 - (s.plan.burst - burst) }
    })
  }

  get answered(): Effect.Effect<void> {
    return this.#update((s) => (s.anchored ? s : { ...s, anchored: true }))
  }

  setRate(rate: number): Effect.Effect<void> {
    return rate > 0 && Number.isFinite(rate) ? this.#update((s) => ({ ...s, plan: { ...s.plan, rate } })) : Effect.void
  }

  get plan(): Effect.Effect<UsagePlan> {
    return Effect.sync(() => this.#state.plan)
  }

  get tokens(): Effect.Effect<number> {
    return Effect.map(Clock.currentTimeMillis, (now) => refill(this.#state, now).tokens)
  }
}

export const make = (plan: UsagePlan): Effect.Effect<TokenBucket> =>
  Effect.map(Clock.currentTimeMillis, (start) => new Bucket({ plan, anchored: false, tokens: plan.burst, at: start }))
