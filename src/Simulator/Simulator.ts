import { Context, Data, Effect, Layer, type Scope } from "effect"
import type { SimulatorConfigInput } from "./Config.js"
import { type SimulatorHandle, startSimulator } from "./Server.js"

export class SimulatorStartError extends Data.TaggedError("SimulatorStartError")<{ readonly cause: unknown }> {}

/** A running simulator, closed when its scope closes. */
export const scoped = (config: SimulatorConfigInput): Effect.Effect<SimulatorHandle, SimulatorStartError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => startSimulator(config), catch: (cause) => new SimulatorStartError({ cause }) }),
    (simulator) => Effect.promise(() => simulator.close())
  )

export class Simulator extends Context.Tag("ordersync/Simulator")<Simulator, SimulatorHandle>() {
  static readonly layer = (config: SimulatorConfigInput): Layer.Layer<Simulator, SimulatorStartError> =>
    Layer.scoped(Simulator, scoped(config))
}
