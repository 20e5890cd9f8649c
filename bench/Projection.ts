import { defaultUsagePlans } from "../src/Simulator/index.js"
import { round } from "./Shared.js"

const human = (seconds: number) =>
  seconds < 3600 ? `${round(seconds / 60, 1)} min` : seconds < 2 * 86_400 ? `${round(seconds / 3600, 1)} h` : `${round(seconds / 86_400, 1)} days`

/**
 * B5: a 365-day backfill at Amazon's real default plans, from B1's measured efficiency and requests per 100 orders:
 * the burst is free, every further request costs 1 / rate seconds, stretched by 1 / efficiency.
 */
export const projection = (efficiency: number, requestsPer100Orders: number) => {
  const rows = (["searchOrders", "getOrders"] as const).flatMap((operation) => {
    const { rate, burst } = defaultUsagePlans[operation]
    return [10_000, 100_000, 1_000_000].map((orders) => {
      const requests = Math.ceil((orders * requestsPer100Orders) / 100)
      const seconds = Math.max(0, requests - burst) / (rate * efficiency)
      return { operation, api: operation === "searchOrders" ? "2026-01-01" : "v0", rate, burst, orders, requests, seconds: Math.round(seconds), human: human(seconds) }
    })
  })
  return {
    scenario: "B5",
    title: "projected 365-day backfill at Amazon's default plans",
    basis: { efficiency, requestsPer100Orders, note: "efficiency and requests/100 orders measured in B1 (searchOrders); getOrders assumed to pace the same" },
    rows
  }
}
