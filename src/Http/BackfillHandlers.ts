import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Option } from "effect"
import { DEFAULT_BACKFILL_DAYS } from "../Domain/Ids.js"
import { Backfill } from "../Services/Backfill.js"
import { Requests } from "../Services/Daemon/Requests.js"
import { SyncStateRepo } from "../Services/Store/SyncStateRepo.js"
import { Tenants } from "../Services/Store/Tenants.js"
import { authorize, statusFor } from "./Access.js"
import { Api, apiError, BackfillList, Caller, Conflict, NotFound } from "./Api.js"

/** Status and triggers. A trigger is stored; the replica holding the tenant (or the next to claim it) runs it. */
export const BackfillHandlers = HttpApiBuilder.group(Api, "backfill", (handlers) =>
  Effect.gen(function*() {
    const backfill = yield* Backfill
    const tenants = yield* Tenants
    const repo = yield* SyncStateRepo
    const requests = yield* Requests

    const statusOf = (tenantId: string) => statusFor(backfill, tenantId)

    return handlers
      .handle("status", ({ urlParams }) => Effect.zipRight(authorize(urlParams.tenantId), statusOf(urlParams.tenantId)))
      .handle("list", ({ urlParams }) =>
        Effect.gen(function*() {
          const caller = yield* Caller
          const all = (yield* tenants.list).map((t) => t.tenantId)
          const visible = caller._tag === "Admin" ? all : all.filter((id) => id === caller.tenantId)
          const limit = urlParams.limit ?? 50
          const offset = urlParams.offset ?? 0
          const page = visible.slice(offset, offset + limit)
          // A tenant removed between the list and its status is left out rather than failing the page.
          const statuses = yield* Effect.forEach(page, (id) => Effect.option(backfill.getBackfillStatus(id)))
          const next = offset + limit
          return new BackfillList({
            tenants: statuses.flatMap(Option.toArray),
            total: visible.length,
            limit,
            offset,
            nextOffset: next < visible.length ? next : null
          })
        }))
      .handle("run", ({ payload }) =>
        Effect.gen(function*() {
          const days = payload.days ?? DEFAULT_BACKFILL_DAYS
          const restart = payload.restart ?? false
          yield* authorize(payload.tenantId)
          const state = Option.getOrNull(yield* repo.state(payload.tenantId))
          const queued = yield* requests.pending(payload.tenantId, "backfill")
          if (!restart && (state?.initialBackfillStatus === "in_progress" || Option.isSome(queued))) {
            return yield* Effect.fail(apiError(
              Conflict,
              "BackfillAlreadyRunning",
              `a backfill of tenant "${payload.tenantId}" is already running`,
              "send \"restart\": true to start it over"
            ))
          }
          yield* requests.requestBackfill(payload.tenantId, days, restart)
          yield* Effect.logInfo(`backfill of ${days} days requested${restart ? " (restart)" : ""}`).pipe(
            Effect.annotateLogs("tenantId", payload.tenantId)
          )
          return yield* statusOf(payload.tenantId)
        }))
      .handle("pause", ({ payload }) =>
        Effect.zipRight(authorize(payload.tenantId), backfill.pause(payload.tenantId)).pipe(
          Effect.catchTag("TenantNotFound", (e) => Effect.fail(apiError(NotFound, "NotFound", e.message)))
        ))
      .handle("resume", ({ payload }) =>
        Effect.zipRight(authorize(payload.tenantId), backfill.resume(payload.tenantId)).pipe(
          Effect.catchTag("TenantNotFound", (e) => Effect.fail(apiError(NotFound, "NotFound", e.message)))
        ))
      .handle("delta", ({ payload }) =>
        Effect.gen(function*() {
          yield* authorize(payload.tenantId)
          const state = Option.getOrNull(yield* repo.state(payload.tenantId))
          if (state?.initialBackfillDoneAt == null) {
            return yield* Effect.fail(apiError(
              Conflict,
              "BackfillNotDone",
              `tenant "${payload.tenantId}" has no finished initial backfill yet`,
              "a delta sync continues from where the initial backfill ended"
            ))
          }
          yield* requests.requestDelta(payload.tenantId)
          return yield* statusOf(payload.tenantId)
        }))
  }))
