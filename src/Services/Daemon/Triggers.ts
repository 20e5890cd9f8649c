import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Duration, Effect, Metric, Queue, Stream } from "effect"
import { triggersNotified } from "../Metrics.js"

/** The PostgreSQL channel on which a trigger (run, restart, delta, pause, resume, a new tenant) names its tenant. */
export const TRIGGER_CHANNEL = "ordersync_trigger"

/** How often the listener proves its connection alive by notifying itself. */
const PROBE_EVERY = Duration.seconds(10)
/** A probe not back in this time means the listening connection is gone: listen again on a new one. */
const PROBE_TIMEOUT = Duration.seconds(5)

/**
 * Delivers trigger notifications to `onTrigger`, as long as the scope lives. PostgreSQL does not queue a
 * notification for a connection that is not listening, and the driver does not report a listening connection that
 * dropped, so the listener notifies itself every ten seconds and listens again on a fresh connection when its own
 * probe does not come back. Whatever was missed meanwhile, the claim loop's poll finds in the tables.
 */
export const listenForTriggers = (owner: string, onTrigger: (tenantId: string) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const pg = yield* PgClient.PgClient
    const sql = yield* SqlClient.SqlClient
    const probePayload = `probe:${owner}`

    /** One listening session: runs until its connection stops answering its own probe. */
    const session = Effect.gen(function*() {
      const probes = yield* Queue.unbounded<void>()
      yield* pg.listen(TRIGGER_CHANNEL).pipe(
        Stream.runForEach((payload) =>
          payload === probePayload
            ? Queue.offer(probes, undefined)
            : payload.startsWith("probe:")
            ? Effect.void
            : Effect.zipRight(Metric.increment(triggersNotified), onTrigger(payload))
        ),
        Effect.catchAllCause((cause) => Effect.logWarning("the trigger listener failed", cause)),
        Effect.forkScoped
      )
      while (true) {
        yield* Effect.sleep(PROBE_EVERY)
        yield* Queue.takeAll(probes)
        // (Not `pg.notify`: its NOTIFY statement takes the payload as a bind parameter, which PostgreSQL refuses.)
        const sent = yield* Effect.either(sql`SELECT pg_notify(${TRIGGER_CHANNEL}, ${probePayload})`)
        const answered = sent._tag === "Right" &&
          (yield* Queue.take(probes).pipe(Effect.timeout(PROBE_TIMEOUT), Effect.option))._tag === "Some"
        if (!answered) {
          yield* Effect.logWarning(
            "the connection listening for triggers stopped answering; listening again on a new one (the poll covers the gap)"
          )
          return
        }
      }
    }).pipe(Effect.scoped)

    yield* session.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("the trigger listener failed; listening again", cause)),
      Effect.forever,
      Effect.forkScoped
    )
  })

/** Tells every listening replica that a tenant changed (paused, resumed, added): its holder looks at it now. */
export const notifyTrigger = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT pg_notify(${TRIGGER_CHANNEL}, ${tenantId})`).pipe(
    Effect.asVoid,
    Effect.orDie
  )
