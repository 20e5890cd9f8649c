import * as NodeContext from "@effect/platform-node/NodeContext"
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as PgMigrator from "@effect/sql-pg/PgMigrator"
import { Config, Duration, Effect, Layer, Option, Redacted, Ref, Runtime, Schedule } from "effect"
import Pg from "pg"
import { loader } from "../../../migrations/index.js"
import * as Embedded from "./EmbeddedPostgres.js"

export const DatabaseConfig = Config.all({
  url: Config.option(Config.redacted("DATABASE_URL")),
  dataDir: Config.string("ORDERSYNC_DATA_DIR").pipe(Config.withDefault(".ordersync")),
  port: Config.integer("ORDERSYNC_DB_PORT").pipe(Config.withDefault(0)),
  poolSize: Config.integer("ORDERSYNC_DB_POOL_SIZE").pipe(Config.withDefault(10)),
  // The container image sets it to false: an embedded database in a pod would be lost with the pod.
  embedded: Config.boolean("ORDERSYNC_EMBEDDED_DATABASE").pipe(Config.withDefault(true))
})

// Our own pool's connections carry this name; any other client means another process still uses the server.
const applicationName = `ordersync:${process.pid}`

const otherClients = (sql: SqlClient.SqlClient) =>
  sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND application_name <> ${applicationName} AND datname IS NOT NULL`.pipe(
    Effect.map((rows) => rows[0]?.n ?? 0),
    Effect.orElseSucceed(() => 0)
  )

// Prisma's TIMESTAMP(3) columns hold UTC wall time; node-postgres would read them in the process' local zone.
const TIMESTAMP_WITHOUT_TIME_ZONE = 1114
const types: Pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === TIMESTAMP_WITHOUT_TIME_ZONE && format !== "binary"
      ? (value: string) => new Date(value.replace(" ", "T") + "Z")
      : Pg.types.getTypeParser(oid, format as "text")) as Pg.CustomTypesConfig["getTypeParser"]
}

const pool = (options: PgClient.PgClientConfig) =>
  PgClient.layer({
    applicationName,
    types,
    // Also bounds the wait for a free pooled connection, which many tenants committing at once can make long.
    connectTimeout: Duration.seconds(30),
    idleTimeout: Duration.seconds(60),
    ...options
  })

/**
 * The PostgreSQL client: `DATABASE_URL` when set, otherwise the embedded server in the data directory, started
 * for this scope and stopped with it (unless another process still uses it).
 */
export const PgLive = Layer.unwrapScoped(
  Effect.gen(function*() {
    const config = yield* DatabaseConfig
    if (Option.isSome(config.url)) {
      return pool({ url: config.url.value, maxConnections: config.poolSize })
    }
    if (!config.embedded) {
      return yield* Effect.dieMessage(
        "DATABASE_URL is not set, and the embedded PostgreSQL is off (ORDERSYNC_EMBEDDED_DATABASE=false, as in the " +
          "container image): set DATABASE_URL=postgres://user:password@host:5432/database"
      )
    }
    const others = yield* Ref.make(0)
    const runtime = yield* Effect.runtime<never>()
    const server = yield* Effect.acquireRelease(
      Embedded.acquire({
        dataDir: config.dataDir,
        port: config.port,
        log: (line) => Runtime.runSync(runtime)(Effect.logInfo(line))
      }),
      (server) => Effect.flatMap(Ref.get(others), (n) => Embedded.release(server, n))
    )
    const client = pool({
      host: server.host,
      port: server.port,
      username: server.user,
      password: server.password,
      database: "postgres",
      maxConnections: config.poolSize + 1
    })
    // One connection stays open for the process' lifetime: it tells another ordersync process, finishing while we
    // run, not to stop the shared embedded server under us. Its finalizer runs before the pool closes and counts
    // whoever else is connected, so we stop the server only if nobody else uses it.
    const watch = Layer.scopedDiscard(
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* Effect.addFinalizer(() => Effect.flatMap(otherClients(sql), (n) => Ref.set(others, n)))
        yield* sql.reserve.pipe(Effect.orDie)
      })
    )
    return Layer.provideMerge(watch, client)
  })
)

/** Applies migrations/ (idempotent; concurrent starters serialise on the migrator's table lock). */
export const migrate = PgMigrator.run({ loader }).pipe(
  Effect.retry({ times: 3, schedule: Schedule.spaced("200 millis") }),
  Effect.provide(NodeContext.layer)
)

export const MigratorLive = Layer.effectDiscard(migrate)

/** Everything that uses SQL depends on this: the client, with migrations applied. */
export const SqlLive = MigratorLive.pipe(Layer.provideMerge(PgLive))

/** SqlLive, with `check` run on the client before any migration (demo mode's guard against a real database). */
export const SqlLiveCheckedFirst = <E>(check: Effect.Effect<void, E, SqlClient.SqlClient>) =>
  MigratorLive.pipe(Layer.provide(Layer.effectDiscard(check)), Layer.provideMerge(PgLive))

/** A test or tool that already knows its server. */
export const SqlFromUrl = (url: string) =>
  MigratorLive.pipe(Layer.provideMerge(pool({ url: Redacted.make(url), maxConnections: 10 })))
