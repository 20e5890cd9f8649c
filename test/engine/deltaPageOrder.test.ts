import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Schedule } from "effect"
import { Backfill } from "../../src/Services/Backfill.js"
import { Delta } from "../../src/Services/Delta.js"
import { Sink } from "../../src/Services/History/Sink.js"
import { SpApiClient } from "../../src/Services/SpApi/SpApiClient.js"
import { SyncStateRepo } from "../../src/Services/Store/SyncStateRepo.js"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import type { UpdatedListingOrder } from "../../src/Simulator/Config.js"
import { scoped as simulator, type SimulatorHandle } from "../../src/Simulator/index.js"
import { addSellers, engineFor, expectExactly, storedOrders, testSeller } from "../support/Engine.js"

const FACTOR = 3600
/** Real seconds after the seller starts within which its new orders arrive (on whole seconds, as the simulator does). */
const ARRIVALS_S = 4

/**
 * The engine's sink, except that the `n`-th page's transaction never happens: the process dies there (after `before`
 * has run for each earlier page). What the earlier pages committed, cursor included, stays.
 */
const sinkDyingAt = (n: number, before: (page: number) => void = () => {}) =>
  Layer.effect(
    Sink,
    Effect.map(Sink, (sink) => {
      let pages = 0
      const commit: typeof sink.commit = (lease, page, options, checkpoint) =>
        Effect.suspend(() => {
          pages += 1
          if (pages >= n) return Effect.die(new Error(`the process dies before storing page ${pages}`))
          before(pages)
          return sink.commit(lease, page, options, checkpoint)
        })
      return Sink.make({ ...sink, commit })
    })
  )

/** One delta sync through a Delta built over `sink` (everything else: the engine's). */
const deltaOver = (sink: Layer.Layer<Sink, never, Sink>, tenantId: string) =>
  Effect.flatMap(Delta, (delta) => delta.runOrdersDeltaSync(tenantId)).pipe(Effect.provide(Delta.Default.pipe(Layer.provide(sink))))

/**
 * A seller with as many new orders as old, arriving in the ARRIVALS_S seconds after it starts, each listable at once;
 * its backfill; then the wait until the client may list every arrival. Answers the backfill's cursor.
 */
const backfilledWithArrivals = (sim: SimulatorHandle, tenantId: string, orders: number, seed: number, order: UpdatedListingOrder) =>
  Effect.gen(function*() {
    // Added once the engine's database is up, so that the backfill ends about when the arrivals begin.
    sim.addSeller(testSeller(tenantId, orders, seed, {
      late: { share: 1, horizonSeconds: ARRIVALS_S * FACTOR, maxDelaySeconds: 1 },
      updatedListingOrder: order
    }))
    yield* addSellers(sim)
    const backfill = yield* Backfill
    yield* backfill.runInitialBackfill(tenantId, 30)
    const cursor = (yield* backfill.getBackfillStatus(tenantId)).cursor!
    const lastArrival = new Date(sim.sellers().find((s) => s.sellerId === tenantId)!.anchorTime).getTime() + ARRIVALS_S * 1000
    const client = yield* SpApiClient
    const tenant = yield* (yield* Tenants).get(tenantId)
    yield* client.listableUntil(tenant).pipe(
      Effect.repeat({ until: (until) => until.getTime() > lastArrival, schedule: Schedule.spaced("100 millis") })
    )
    return cursor
  })

/** The ground truth a backfill and its deltas must hold: every order of the range, and what the deltas brought. */
const expectTruth = (sim: SimulatorHandle, tenantId: string) =>
  Effect.gen(function*() {
    const run = Option.getOrThrow(yield* (yield* SyncStateRepo).run(tenantId))
    const stored = yield* storedOrders(tenantId)
    const storedIds = new Set(stored.map((o) => o.externalOrderId))
    const truth = sim.groundTruth(tenantId)
    expectExactly(stored, truth.filter((o) => new Date(o.createdTime) >= run.rangeStart || storedIds.has(o.orderId)))
  })

// Time runs 3600 times faster here, so the default 15-minute overlap would re-read 900 hours: with it off, a delta's
// window stands for one after a long outage, where the overlap is small beside the listing.
const engineOf = (sim: SimulatorHandle, extra: Record<string, string> = {}) =>
  engineFor(sim, { ORDERSYNC_DELTA_OVERLAP_SECONDS: "0", ...extra })

describe("delta sync, whatever order Amazon's pages come in", () => {
  for (const order of ["ascending", "shuffled"] as const) {
    it.scopedLive(`${order} pages, the process dying mid-listing: the next delta still ends exact`, () =>
      Effect.gen(function*() {
        const tenantId = `dies-${order}`
        const sim = yield* simulator({ timeFactor: FACTOR })
        yield* Effect.gen(function*() {
          // 400 new orders, 100 a second: three delta pages and more.
          const cursor = yield* backfilledWithArrivals(sim, tenantId, 400, 41, order)
          const backfill = yield* Backfill

          const died = yield* Effect.exit(deltaOver(sinkDyingAt(2), tenantId))
          expect(Exit.isFailure(died) && !Exit.isInterrupted(died)).toBe(true)
          // A page stored, but the listing is not complete: the cursor has not moved.
          expect((yield* backfill.getBackfillStatus(tenantId)).cursor).toBe(cursor)

          const delta = yield* backfill.runOrdersDeltaSync(tenantId)
          yield* expectTruth(sim, tenantId)
          // The whole listing again, not just what followed the page stored.
          expect(delta.pages).toBeGreaterThan(2)
        }).pipe(Effect.provide(engineOf(sim)))
      }))
  }

  it.scopedLive("shuffled pages, a page token refused mid-listing: the listing starts again from its start", () =>
    Effect.gen(function*() {
      const tenantId = "refused"
      const sim = yield* simulator({ timeFactor: FACTOR })
      yield* Effect.gen(function*() {
        yield* backfilledWithArrivals(sim, tenantId, 400, 43, "shuffled")
        // The first page's token expires before it is used (as after a long wait); later tokens live as usual.
        sim.setFaults(tenantId, { pageTokenLifetimeSeconds: 0.001 })
        const heal = (page: number) => page === 1 && sim.setFaults(tenantId, {})
        const delta = yield* deltaOver(sinkDyingAt(Infinity, heal), tenantId)
        expect(sim.stats(tenantId).rejected.expiredPageTokens).toBe(1)
        yield* expectTruth(sim, tenantId)
        // The first page, then the whole listing again.
        expect(delta.listings).toBe(1)
        expect(delta.pages).toBeGreaterThan(3)
      }).pipe(Effect.provide(engineOf(sim)))
    }))

  it.scopedLive("a long gap in spans: each complete span moves the cursor, a death mid-span repeats that span only", () =>
    Effect.gen(function*() {
      const tenantId = "spans"
      const sim = yield* simulator({ timeFactor: FACTOR })
      yield* Effect.gen(function*() {
        // About 40 new orders a second: one page per span of a second.
        const cursor = new Date(yield* backfilledWithArrivals(sim, tenantId, 160, 44, "shuffled")).getTime()
        const backfill = yield* Backfill

        // Spans of one real second (an Amazon hour here), one page each: the first completes, the second dies.
        const died = yield* Effect.exit(deltaOver(sinkDyingAt(2), tenantId))
        expect(Exit.isFailure(died)).toBe(true)
        expect(new Date((yield* backfill.getBackfillStatus(tenantId)).cursor!).getTime() - cursor).toBe(1000)

        const delta = yield* backfill.runOrdersDeltaSync(tenantId)
        expect(delta.listings).toBeGreaterThanOrEqual(3)
        yield* expectTruth(sim, tenantId)
      }).pipe(Effect.provide(engineOf(sim, { ORDERSYNC_DELTA_LISTING_SECONDS: "1" })))
    }))
})
