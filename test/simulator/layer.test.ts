import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Simulator } from "../../src/Simulator/Simulator.js"
import { seller } from "./support.js"

describe("Simulator.layer", () => {
  it("starts the server for the scope and closes it afterwards", async () => {
    const url = await Effect.runPromise(
      Effect.gen(function*() {
        const simulator = yield* Simulator
        const response = yield* Effect.promise(() => fetch(`${simulator.url}/_simulator/sellers`))
        expect(response.status).toBe(200)
        return simulator.url
      }).pipe(Effect.provide(Simulator.layer({ sellers: [seller("layer", 10)] })))
    )
    await expect(fetch(`${url}/_simulator/sellers`)).rejects.toThrow()
  })
})
