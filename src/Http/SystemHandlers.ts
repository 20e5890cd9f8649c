import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { loader } from "../../migrations/index.js"
import { Api, apiError, Health, Readiness, ServiceUnavailable } from "./Api.js"
import { Prometheus } from "./Metrics.js"

/** Liveness, readiness (the database answers and every migration is applied) and the Prometheus scrape. */
export const SystemHandlers = HttpApiBuilder.group(Api, "system", (handlers) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const prometheus = yield* Prometheus
    const expected = (yield* Effect.orDie(loader)).length

    const ready = sql<{ n: number }>`SELECT count(*)::int AS n FROM effect_sql_migrations`.pipe(
      Effect.timeout("3 seconds"),
      Effect.mapError((e) => e._tag === "TimeoutException" ? "the database did not answer within 3 s" : `the database refused: ${e.message}`),
      Effect.flatMap((rows) => {
        const applied = rows[0]?.n ?? 0
        return applied >= expected
          ? Effect.succeed(new Readiness({ status: "ready", migrations: applied }))
          : Effect.fail(`${applied} of ${expected} migrations applied`)
      }),
      Effect.catchAllDefect((defect) => Effect.fail(String(defect))),
      Effect.mapError((reason) => apiError(ServiceUnavailable, "ServiceUnavailable", "not ready", reason))
    )

    return handlers
      .handle("health", () => Effect.succeed(new Health({ status: "ok" })))
      .handle("ready", () => ready)
      .handle("metrics", () => prometheus.scrape)
  }))
