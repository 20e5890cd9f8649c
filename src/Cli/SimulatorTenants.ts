import { Effect, Redacted } from "effect"
import { Tenants } from "../Services/Store/Tenants.js"
import type { SimulatorHandle } from "../Simulator/index.js"

/** Connects simulator sellers (all, or the ones named) as tenants of the same name: demo mode, tests, benchmarks. */
export const registerSimulatorSellers = (simulator: SimulatorHandle, sellerIds?: ReadonlyArray<string>) =>
  Effect.flatMap(Tenants, (tenants) =>
    Effect.forEach(
      simulator.sellers().filter((seller) => sellerIds === undefined || sellerIds.includes(seller.sellerId)),
      (seller) =>
        tenants.add({
          tenantId: seller.sellerId,
          region: "na",
          marketplaceIds: seller.marketplaceIds,
          sellingPartnerId: null,
          refreshToken: Redacted.make(seller.refreshToken)
        }),
      { discard: true, concurrency: 8 }
    ))
