import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Fiber, Layer, Option, Schedule } from "effect"
import { Leases } from "../../src/Services/Store/Leases.js"
import { TestSql } from "../support/Database.js"

// Leases on a database of their own, with a 3 s TTL: the shared heartbeat beats every second.
const LeasesTest = Leases.Default.pipe(
  Layer.provideMerge(TestSql),
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["ORDERSYNC_LEASE_TTL", "3"], ["ORDERSYNC_INSTANCE_ID", "me"]]))))
)

const expiresInMs = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ ms: number }>`SELECT (EXTRACT(EPOCH FROM ("expiresAt" - now())) * 1000)::float8 AS ms
      FROM "OrderSyncLease" WHERE "tenantId" = ${tenantId}`.pipe(Effect.map((rows) => rows[0]!.ms), Effect.orDie))

describe("leases", () => {
  it.live("one heartbeat keeps every held lease alive, and a lease taken over stops only its own work", () =>
    Effect.gen(function*() {
      const leases = yield* Leases
      const sql = yield* SqlClient.SqlClient
      const [a, b] = yield* Effect.all([leases.claim("lease-a"), leases.claim("lease-b")])
      const workA = yield* Effect.fork(leases.adopt(Option.getOrThrow(a), () => Effect.never))
      const workB = yield* Effect.fork(leases.adopt(Option.getOrThrow(b), () => Effect.never))
      // Past the TTL, both are still held: the shared heartbeat renewed them.
      yield* Effect.sleep("4 seconds")
      expect(yield* expiresInMs("lease-a")).toBeGreaterThan(1000)
      expect(yield* expiresInMs("lease-b")).toBeGreaterThan(1000)
      // Another process takes A over (as after an expiry): A's work ends with LeaseLost at the next beat; B goes on.
      yield* sql`UPDATE "OrderSyncLease" SET "owner" = 'other', "epoch" = "epoch" + 1 WHERE "tenantId" = 'lease-a'`.pipe(Effect.orDie)
      const exitA = yield* Fiber.await(workA).pipe(Effect.timeout("5 seconds"))
      expect(Exit.isFailure(exitA) && exitA.cause._tag === "Fail" ? exitA.cause.error._tag : exitA).toBe("LeaseLost")
      expect(workB.unsafePoll()).toBeNull()
      yield* Effect.sleep("2 seconds")
      expect(yield* expiresInMs("lease-b")).toBeGreaterThan(1000)
      yield* Fiber.interrupt(workB)
    }).pipe(Effect.provide(LeasesTest)), 30_000)

  it.live("a lease lost between two steps (a backfill waiting for its quota) fails the next step without running it", () =>
    Effect.gen(function*() {
      const leases = yield* Leases
      const sql = yield* SqlClient.SqlClient
      const lease = Option.getOrThrow(yield* leases.claim("lease-c"))
      const { step, unregister } = yield* leases.register(lease)
      expect(yield* step(Effect.succeed("a page"))).toBe("a page")
      // Between steps the heartbeat still renews it: past the TTL it is held.
      yield* Effect.sleep("4 seconds")
      expect(yield* expiresInMs("lease-c")).toBeGreaterThan(1000)
      // Taken over while no step runs: once the heartbeat has seen it, a step fails at once and its work never runs.
      yield* sql`UPDATE "OrderSyncLease" SET "owner" = 'other', "epoch" = "epoch" + 1 WHERE "tenantId" = 'lease-c'`.pipe(Effect.orDie)
      const failed = yield* step(Effect.void).pipe(
        Effect.flip,
        Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 50 })
      )
      expect(failed._tag).toBe("LeaseLost")
      let ran = false
      const exit = yield* Effect.exit(step(Effect.sync(() => (ran = true))))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error._tag : exit).toBe("LeaseLost")
      expect(ran).toBe(false)
      // The other process's lease is untouched by ours.
      const [row] = yield* sql<{ owner: string }>`SELECT "owner" FROM "OrderSyncLease" WHERE "tenantId" = 'lease-c'`.pipe(Effect.orDie)
      expect(row!.owner).toBe("other")
      yield* unregister
    }).pipe(Effect.provide(LeasesTest)), 30_000)
})
