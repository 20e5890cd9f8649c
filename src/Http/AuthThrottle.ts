import { Clock, Config, Effect, Option } from "effect"

/** Failed authentications one client may make per minute, all at once or spread out (default 10). */
export const AuthThrottleConfig = Config.integer("ORDERSYNC_AUTH_FAILURES_PER_MINUTE").pipe(
  Config.withDefault(10),
  Config.validate({ message: "must be at least 1", validation: (n) => n >= 1 })
)

/** Clients remembered at once: past it the one whose last failure is oldest is forgotten first. */
export const MAX_CLIENTS = 10_000

/**
 * The key of a client address: an IPv4 address (IPv4-mapped IPv6 included) as it is, an IPv6 address by its /64,
 * which one host usually holds whole (counting each of its addresses would not slow it down).
 */
export const clientKey = (address: string): string => {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return mapped[1]!
  if (!address.includes(":")) return address
  const [head = "", tail = ""] = address.split("%")[0]!.toLowerCase().split("::")
  const left = head === "" ? [] : head.split(":")
  const right = address.includes("::") ? (tail === "" ? [] : tail.split(":")) : []
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`
}

/**
 * Failed authentication per client address, as a generic cell rate: each failure moves the client's "clear at" time
 * one interval (a minute over the rate) further; a client whose clear-at is more than the burst ahead is refused
 * until it is not. Successes are not counted, and one client's failures never touch another's.
 */
export class AuthThrottle extends Effect.Service<AuthThrottle>()("ordersync/AuthThrottle", {
  effect: Effect.gen(function*() {
    const perMinute = yield* AuthThrottleConfig
    const interval = 60_000 / perMinute
    // The burst of failures allowed at once is the whole minute's: the last one fills it.
    const tolerance = (perMinute - 1) * interval
    // Insertion order is the order of last failure: the first key is the one to forget.
    const clearAt = new Map<string, number>()

    /** Seconds until this client may try again, or none when it may now. */
    const retryAfter = (address: string) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const key = clientKey(address)
        const at = clearAt.get(key)
        if (at === undefined) return Option.none<number>()
        if (at <= now) {
          clearAt.delete(key)
          return Option.none<number>()
        }
        const wait = at - now - tolerance
        return wait > 0 ? Option.some(Math.ceil(wait / 1000)) : Option.none<number>()
      })

    /** Counts one failed authentication from this client. */
    const failed = (address: string) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const key = clientKey(address)
        const at = Math.max(clearAt.get(key) ?? now, now) + interval
        clearAt.delete(key)
        clearAt.set(key, at)
        if (clearAt.size > MAX_CLIENTS) clearAt.delete(clearAt.keys().next().value!)
      })

    /** Clients remembered now (for tests and their bound). */
    const size = Effect.sync(() => clearAt.size)

    return { retryAfter, failed, size } as const
  })
}) {}
