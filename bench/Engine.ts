import { ConfigProvider, Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { registerSimulatorSellers } from "../src/Cli/SimulatorTenants.js"
import { Backfill } from "../src/Services/Backfill.js"
import { engineOver } from "../src/Services/Engine.js"
import { SqlFromUrl } from "../src/Services/Store/Database.js"
import { sellerNamed, type SimulatorHandle } from "../src/Simulator/index.js"
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
export const addTenants = registerSimulatorSellers

export const backfill = (tenantId: string, days = 365) =>
  Effect.flatMap(Backfill, (b) => b.runInitialBackfill(tenantId, days))

export const seller = sellerNamed

/** Orders in a seller's ~800-day history per order created in the last 365 days (the generator's spread). */
export const HISTORY_PER_YEAR = 2.02
