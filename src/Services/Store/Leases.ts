import * as crypto from "node:crypto"
import * as os from "node:os"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as Statement from "@effect/sql/Statement"
import { Clock, Config, Duration, Effect, Fiber, FiberRef, HashMap, Option, Schedule } from "effect"
import { LeaseHeld, LeaseLost } from "../../Domain/Errors.js"
import { MARKETPLACE } from "./OrderRepo.js"

/** The right to drive one tenant, fenced by its epoch: every write of a run checks it in its transaction. */
export interface Lease {
  readonly tenantId: string
  readonly owner: string
  readonly epoch: number
}

export const LeaseConfig = Config.all({
  ttl: Config.integer("ORDERSYNC_LEASE_TTL").pipe(Config.withDefault(30), Config.map(Duration.seconds)),
  owner: Config.string("ORDERSYNC_INSTANCE_ID").pipe(
    Config.withDefault(`${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString("hex")}`)
  )
})

// The leases this fiber (and its children) already hold, so nested runs reuse them instead of claiming again.
const heldLeases = FiberRef.unsafeMake(HashMap.empty<string, Lease>())

/** A lease this process is working under, and the signal its holder gets when the lease turns out lost. */
interface Held {
  readonly lease: Lease
  /** The piece of work running under the lease now, if any (between steps, none). */
  work: Fiber.RuntimeFiber<unknown, unknown> | undefined
  /** Set by the heartbeat before it interrupts `work`. */
  lost: boolean
}

/**
 * Runs one piece of work under a registered lease (see `Leases.register`).
 */
export type LeaseStep = <A, E, R>(work: Effect.Effect<A, E, R>) => Effect.Effect<A, E | LeaseLost, R>

export class Leases extends Effect.Service<Leases>()("ordersync/Leases", {
  scoped: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { owner, ttl } = yield* LeaseConfig
    const ttlMillis = Duration.toMillis(ttl)

    const claim = (tenantId: string): Effect.Effect<Option.Option<Lease>> =>
      Effect.gen(function*() {
        yield* sql`INSERT INTO "OrderSyncLease" ("tenantId") VALUES (${tenantId}) ON CONFLICT DO NOTHING`
        const rows = yield* sql<{ epoch: string }>`UPDATE "OrderSyncLease"
          SET "owner" = ${owner}, "epoch" = "epoch" + 1, "heartbeatAt" = now(),
              "expiresAt" = now() + ${ttlMillis} * interval '1 millisecond'
          WHERE "tenantId" = ${tenantId} AND ("owner" IS NULL OR "expiresAt" < now() OR "owner" = ${owner})
          RETURNING "epoch"`
        return Option.map(Option.fromNullable(rows[0]), (row) => ({ tenantId, owner, epoch: Number(row.epoch) }))
      }).pipe(Effect.orDie)

    /** Takes the leases that `free` selects (and locks): this owner, the next epoch, a fresh expiry. */
    const take = (free: Statement.Fragment): Effect.Effect<ReadonlyArray<Lease>> =>
      sql<{ tenantId: string; epoch: string }>`
        WITH free AS (${free})
        UPDATE "OrderSyncLease" AS l
        SET "owner" = ${owner}, "epoch" = l."epoch" + 1, "heartbeatAt" = now(),
            "expiresAt" = now() + ${ttlMillis} * interval '1 millisecond'
        FROM free WHERE l."tenantId" = free."tenantId"
        RETURNING l."tenantId", l."epoch"`.pipe(
        Effect.map((rows) => rows.map((row) => ({ tenantId: row.tenantId, owner, epoch: Number(row.epoch) }))),
        Effect.orDie
      )

    /** Claims up to `limit` of these tenants that nobody holds, skipping rows another claimer is locking. */
    const claimAvailable = (tenantIds: ReadonlyArray<string>, limit: number): Effect.Effect<ReadonlyArray<Lease>> =>
      limit <= 0 || tenantIds.length === 0 ? Effect.succeed([]) : take(sql`
        SELECT "tenantId" FROM "OrderSyncLease"
        WHERE "tenantId" = ANY(${[...tenantIds]}::text[]) AND ("owner" IS NULL OR "expiresAt" < now())
        ORDER BY "expiresAt", "tenantId" LIMIT ${limit}
        FOR UPDATE SKIP LOCKED`)

    /**
     * Claims up to `limit` free leases of tenants that want a replica (neither parked nor paused), oldest expiry
     * first, skipping rows another claimer is locking. Walks the index on "expiresAt" from the oldest: a tick reads
     * the free leases it takes (and the parked or paused ones before them), never the whole fleet.
     */
    const claimFree = (limit: number, marketplace: string): Effect.Effect<ReadonlyArray<Lease>> =>
      limit <= 0 ? Effect.succeed([]) : take(sql`
        SELECT l."tenantId" FROM "OrderSyncLease" l
        JOIN "OrderSyncTenant" t ON t."tenantId" = l."tenantId" AND t."parkedReason" IS NULL
        LEFT JOIN "MarketplaceSyncState" s ON s."tenantId" = l."tenantId" AND s."marketplace" = ${marketplace}
        WHERE l."expiresAt" < now() AND s."initialBackfillStatus" IS DISTINCT FROM 'paused'
        ORDER BY l."expiresAt" LIMIT ${limit}
        FOR UPDATE OF l SKIP LOCKED`)

    /** The live holder of a tenant's lease, and how long its lease still runs (measured by the database's clock). */
    const holder = (tenantId: string) =>
      sql<{ owner: string | null; expiresAt: Date; remainingMs: number }>`
        SELECT "owner", "expiresAt", (EXTRACT(EPOCH FROM ("expiresAt" - now())) * 1000)::float8 AS "remainingMs"
        FROM "OrderSyncLease" WHERE "tenantId" = ${tenantId}`.pipe(
        Effect.map((rows) => Option.filter(Option.fromNullable(rows[0]), (row) => row.owner !== null && row.remainingMs > 0)),
        Effect.map(Option.map((row) => ({ owner: row.owner!, expiresAt: row.expiresAt, remainingMs: row.remainingMs }))),
        Effect.orDie
      )

    /**
     * Extends these leases in one statement; returns the ones that are still ours. A lease missing from the answer
     * has been claimed by another process since (after it expired).
     */
    const renewAll = (held: ReadonlyArray<Lease>): Effect.Effect<ReadonlyArray<Lease>> =>
      held.length === 0 ? Effect.succeed([]) : sql<{ tenantId: string; epoch: string }>`
        UPDATE "OrderSyncLease" AS l
        SET "heartbeatAt" = now(), "expiresAt" = now() + ${ttlMillis} * interval '1 millisecond'
        FROM UNNEST(${held.map((l) => l.tenantId)}::text[], ${held.map((l) => String(l.epoch))}::bigint[]) AS u("tenantId", "epoch")
        WHERE l."tenantId" = u."tenantId" AND l."epoch" = u."epoch" AND l."owner" = ${owner}
        RETURNING l."tenantId", l."epoch"`.pipe(
        Effect.map((rows) => {
          const renewed = new Set(rows.map((row) => `${row.tenantId}\u0000${row.epoch}`))
          return held.filter((l) => renewed.has(`${l.tenantId}\u0000${l.epoch}`))
        }),
        Effect.orDie
      )

    const release = (lease: Lease) =>
      sql`UPDATE "OrderSyncLease" SET "owner" = NULL, "expiresAt" = now()
          WHERE "tenantId" = ${lease.tenantId} AND "owner" = ${lease.owner} AND "epoch" = ${lease.epoch}`.pipe(
        Effect.asVoid,
        Effect.catchAllCause((cause) => Effect.logWarning("could not release lease", cause))
      )

    /** Those of these tenants whose lease nobody holds. */
    const freeAmong = (tenantIds: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>> =>
      sql<{ tenantId: string }>`SELECT "tenantId" FROM "OrderSyncLease"
        WHERE "tenantId" = ANY(${[...tenantIds]}::text[]) AND "expiresAt" < now()`.pipe(
        Effect.map((rows) => rows.map((row) => row.tenantId)),
        Effect.orDie
      )

    /** Releases these leases in one statement (a replica shutting down with thousands of tenants). */
    const releaseAll = (held: ReadonlyArray<Lease>) =>
      held.length === 0 ? Effect.void : sql`UPDATE "OrderSyncLease" AS l SET "owner" = NULL, "expiresAt" = now()
          FROM UNNEST(${held.map((l) => l.tenantId)}::text[], ${held.map((l) => String(l.epoch))}::bigint[]) AS u("tenantId", "epoch")
          WHERE l."tenantId" = u."tenantId" AND l."epoch" = u."epoch" AND l."owner" = ${owner}`.pipe(
        Effect.asVoid,
        Effect.catchAllCause((cause) => Effect.logWarning("could not release the leases", cause))
      )

    /**
     * Inside a write transaction: holds a share lock on the lease row, so no claim can slip in before commit, and
     * fails with LeaseLost unless this lease is still the current one.
     */
    const fence = (lease: Lease): Effect.Effect<void, LeaseLost> =>
      sql`SELECT 1 FROM "OrderSyncLease"
          WHERE "tenantId" = ${lease.tenantId} AND "owner" = ${lease.owner} AND "epoch" = ${lease.epoch} FOR SHARE`.pipe(
        Effect.orDie,
        Effect.flatMap((rows) => rows.length === 1 ? Effect.void : Effect.fail(new LeaseLost({ tenantId: lease.tenantId })))
      )

    /** The lease row of `lease` if it still holds, locked against a takeover, and whether the backfill is paused. */
    const backfillFence = (lease: Lease): Statement.Fragment =>
      sql`SELECT (SELECT s."initialBackfillStatus" = 'paused' FROM "MarketplaceSyncState" s
            WHERE s."tenantId" = l."tenantId" AND s."marketplace" = ${MARKETPLACE}) AS "paused"
          FROM "OrderSyncLease" l
          WHERE l."tenantId" = ${lease.tenantId} AND l."owner" = ${lease.owner} AND l."epoch" = ${lease.epoch} FOR SHARE OF l`

    /**
     * `fence` for a backfill's chunk, which also stops at a pause: answers whether the tenant's backfill is paused, in
     * the same round trip (a paced backfill's page should cost as few statements as it can).
     */
    const fenceBackfill = (lease: Lease): Effect.Effect<boolean, LeaseLost> =>
      sql<{ paused: boolean | null }>`${backfillFence(lease)}`.pipe(
        Effect.orDie,
        Effect.flatMap((rows) => rows.length === 1 ? Effect.succeed(rows[0]!.paused === true) : Effect.fail(new LeaseLost({ tenantId: lease.tenantId })))
      )

    // The leases this process works under, renewed together every third of the TTL by one loop: a thousand tenants
    // cost one statement per beat, not a thousand, and no fiber each. A database hiccup is logged and the next beat
    // tries again; a lease that is not ours any more is signalled to its holder.
    const working = new Map<string, Held>()
    const beat = Effect.gen(function*() {
      const held = [...working.values()]
      if (held.length === 0) return
      const renewed = new Set(yield* renewAll(held.map((h) => h.lease)))
      for (const h of held) {
        if (!renewed.has(h.lease) && working.get(h.lease.tenantId) === h) {
          working.delete(h.lease.tenantId)
          h.lost = true
          if (h.work !== undefined) yield* Fiber.interruptFork(h.work)
        }
      }
    }).pipe(Effect.catchAllDefect((defect) => Effect.logWarning("lease heartbeat failed; retrying at the next beat", defect)))
    yield* Effect.forkScoped(Effect.repeat(beat, Schedule.spaced(Duration.millis(ttlMillis / 3))))

    // Waits up to one TTL for a holder that stops renewing; a holder that renews meanwhile is alive.
    const claimWaiting = (tenantId: string): Effect.Effect<Lease, LeaseHeld> =>
      Effect.gen(function*() {
        const first = yield* claim(tenantId)
        if (Option.isSome(first)) return first.value
        const seen = yield* holder(tenantId)
        if (Option.isNone(seen)) return yield* claimWaiting(tenantId)
        yield* Effect.logInfo(
          `tenant ${tenantId} is leased by ${seen.value.owner} until ${seen.value.expiresAt.toISOString()}; waiting to see whether it is still alive`
        )
        // Until the lease we saw runs out (the holder may use another TTL than ours), and a little more.
        const deadline = (yield* Clock.currentTimeMillis) + Math.min(seen.value.remainingMs, 10 * ttlMillis) + 2_000
        while ((yield* Clock.currentTimeMillis) < deadline) {
          yield* Effect.sleep("500 millis")
          const lease = yield* claim(tenantId)
          if (Option.isSome(lease)) return lease.value
          const now = yield* holder(tenantId)
          if (Option.isSome(now) && now.value.expiresAt.getTime() > seen.value.expiresAt.getTime()) {
            return yield* new LeaseHeld({ tenantId, owner: now.value.owner, expiresAt: now.value.expiresAt })
          }
        }
        const last = yield* holder(tenantId)
        return yield* new LeaseHeld({
          tenantId,
          owner: Option.getOrElse(Option.map(last, (h) => h.owner), () => seen.value.owner),
          expiresAt: Option.getOrElse(Option.map(last, (h) => h.expiresAt), () => seen.value.expiresAt)
        })
      })

    const current = (tenantId: string) => Effect.map(FiberRef.get(heldLeases), HashMap.get(tenantId))

    /** Claims the tenant's lease: waiting up to one TTL for a holder that may be dead, or failing at once with LeaseHeld. */
    const acquire = (tenantId: string, options: { readonly wait: boolean } = { wait: true }): Effect.Effect<Lease, LeaseHeld> =>
      options.wait
        ? claimWaiting(tenantId)
        : Effect.flatMap(claim(tenantId), (lease) =>
          Option.match(lease, {
            onSome: Effect.succeed,
            onNone: () =>
              Effect.flatMap(holder(tenantId), (h) =>
                Effect.fail(
                  new LeaseHeld({
                    tenantId,
                    owner: Option.getOrElse(Option.map(h, (x) => x.owner), () => "another process"),
                    expiresAt: Option.getOrElse(Option.map(h, (x) => x.expiresAt), () => new Date())
                  })
                ))
          }))

    /**
     * Puts `lease` under the heartbeat until `unregister`, and answers the step that runs a piece of work as the
     * lease's work fiber: a lost lease interrupts the piece and fails it with LeaseLost, and a piece begun after the
     * loss fails at once. Between pieces the lease holds no fiber: a backfill waiting minutes for its quota holds its
     * lease and an alarm (see History/Drive). An interruption from outside waits for the piece to finish its finalizers
     * (the page being committed) before returning, so whatever comes after it (a release) comes strictly after them.
     */
    const register = (lease: Lease) =>
      Effect.sync(() => {
        const held: Held = { lease, work: undefined, lost: false }
        const lost = () => new LeaseLost({ tenantId: lease.tenantId })
        const step: LeaseStep = (work) =>
          Effect.gen(function*() {
            if (held.lost) return yield* lost()
            const fiber = yield* Effect.fork(work.pipe(Effect.locallyWith(heldLeases, HashMap.set(lease.tenantId, lease))))
            held.work = fiber
            const exit = yield* Fiber.await(fiber).pipe(
              Effect.onInterrupt(() => Fiber.interrupt(fiber)),
              Effect.ensuring(Effect.sync(() => held.work === fiber && (held.work = undefined)))
            )
            if (held.lost) return yield* lost()
            return yield* exit
          })
        // From here the heartbeat renews the lease; if it finds it lost, it sets `lost` and interrupts the piece.
        working.set(lease.tenantId, held)
        const unregister = Effect.sync(() => {
          if (working.get(lease.tenantId) === held) working.delete(lease.tenantId)
        })
        return { step, unregister } as const
      })

    /**
     * The tenant's lease for a run: the one this fiber already holds (its steps then run inline, and `letGo` does
     * nothing), or one claimed and registered now, which `letGo` unregisters and releases. Take it uninterruptibly
     * and let it go whatever happens (as `withLease` does), or it stays claimed.
     */
    const hold = (tenantId: string, options: { readonly wait: boolean } = { wait: true }) =>
      Effect.flatMap(current(tenantId), (held) => {
        if (Option.isSome(held)) {
          const inline: LeaseStep = (work) => work
          return Effect.succeed({ lease: held.value, step: inline, letGo: Effect.void })
        }
        return Effect.flatMap(acquire(tenantId, options), (lease) =>
          Effect.map(register(lease), ({ step, unregister }) => ({
            lease,
            step,
            // Built when it runs: a run holds its `letGo` for as long as it lasts, and a built statement is ~0.6 KB.
            letGo: Effect.suspend(() => Effect.zipRight(unregister, release(lease)))
          })))
      })

    /** Runs `use` holding the tenant's lease (reusing one this fiber holds), heartbeating, released afterwards. */
    const withLease = <A, E, R>(
      tenantId: string,
      use: (lease: Lease) => Effect.Effect<A, E, R>,
      options: { readonly wait: boolean } = { wait: true }
    ): Effect.Effect<A, E | LeaseHeld | LeaseLost, R> =>
      Effect.acquireUseRelease(hold(tenantId, options), ({ lease, step }) => step(use(lease)), ({ letGo }) => letGo)

    /**
     * Runs `use` under a lease already claimed (the daemon's claim loop), heartbeating; does not release it. A lost
     * lease interrupts `use` and fails with LeaseLost.
     */
    const adopt = <A, E, R>(lease: Lease, use: (lease: Lease) => Effect.Effect<A, E, R>): Effect.Effect<A, E | LeaseLost, R> =>
      Effect.acquireUseRelease(register(lease), ({ step }) => step(use(lease)), ({ unregister }) => unregister)

    return { owner, ttl, claim, claimAvailable, claimFree, freeAmong, holder, release, releaseAll, fence, fenceBackfill, backfillFence, hold, register, withLease, adopt, current } as const
  })
}) {}
