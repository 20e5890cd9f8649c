import * as SqlClient from "@effect/sql/SqlClient"
import { Duration, Effect } from "effect"
import { Leases } from "../Store/Leases.js"

/** Live `serve` processes: each renews its row on every tick, so a dead one drops out after a lease TTL. */
export class Replicas extends Effect.Service<Replicas>()("ordersync/Replicas", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const leases = yield* Leases
    const ttlMillis = Duration.toMillis(leases.ttl)

    /** Renews this replica and answers how many are alive (itself included). */
    const heartbeat = sql<{ live: number }>`
      WITH me AS (
        INSERT INTO "OrderSyncReplica" ("owner", "expiresAt") VALUES (${leases.owner}, now() + ${ttlMillis} * interval '1 millisecond')
        ON CONFLICT ("owner") DO UPDATE SET "expiresAt" = EXCLUDED."expiresAt")
      SELECT (count(*) + 1)::int AS live FROM "OrderSyncReplica" WHERE "expiresAt" > now() AND "owner" <> ${leases.owner}`.pipe(
      Effect.map((rows) => rows[0]?.live ?? 1),
      Effect.orDie
    )

    const leave = sql`DELETE FROM "OrderSyncReplica" WHERE "owner" = ${leases.owner} OR "expiresAt" < now() - interval '1 day'`.pipe(
      Effect.asVoid,
      Effect.catchAllCause((cause) => Effect.logWarning("could not deregister this replica", cause))
    )

    return { heartbeat, leave } as const
  })
}) {}
