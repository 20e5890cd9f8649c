import { ConfigProvider, Effect, Layer, Logger, LogLevel, ManagedRuntime, Redacted } from "effect"
import { Backfill } from "../src/Services/Backfill.js"
import { engineOver } from "../src/Services/Engine.js"
import { SqlFromUrl } from "../src/Services/Store/Database.js"
import { Tenants } from "../src/Services/Store/Tenants.js"
import type { SellerConfigInput, SimulatorHandle } from "../src/Simulator/index.js"
import { simulatorEnv } from "./Shared.js"

/** The engine in this process, on `url`, pointed at the simulator. */
export const engineRuntime = (simulator: SimulatorHandle, url: string, extra: Record<string, string> = {}) =>
  ManagedRuntime.make(
    engineOver(SqlFromUrl(url)).pipe(
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(simulatorEnv(simulator, extra)))))),
      Layer.provideMerge(Logger.minimumLogLevel(LogLevel.Warning))
    )
  )

/** Registers simulator sellers as tenants of the same name. */
export const addTenants = (simulator: SimulatorHandle, sellerIds?: ReadonlyArray<string>) =>
  Effect.flatMap(Tenants, (tenants) =>
    Effect.forEach(
      simulator.sellers().filter((s) => !sellerIds || sellerIds.includes(s.sellerId)),
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

export const backfill = (tenantId: string, days = 365) =>
  Effect.flatMap(Backfill, (b) => b.runInitialBackfill(tenantId, days))

export const seller = (sellerId: string, orders: number, seed: number, extra: Partial<SellerConfigInput> = {}): SellerConfigInput => ({
  sellerId,
  refreshToken: `Atzr|${sellerId}`,
  marketplaceIds: ["ATVPDKIKX0DER"],
  orders,
  seed,
  ...extra
})

/** Orders in a seller's ~800-day history per order created in the last 365 days (the generator's spread). */
export const HISTORY_PER_YEAR = 2.02
