import { Effect } from "effect"
import type { Backfill } from "../Services/Backfill.js"
import { Tenants } from "../Services/Store/Tenants.js"
import { apiError, Caller, Forbidden, NotFound } from "./Api.js"

/** A tenant token reaches its own tenant only; an unknown tenant is 404 for admins (403 for tenant tokens). */
export const authorize = (tenantId: string) =>
  Effect.gen(function*() {
    yield* Effect.annotateCurrentSpan("tenantId", tenantId)
    const caller = yield* Caller
    if (caller._tag === "Tenant" && caller.tenantId !== tenantId) {
      return yield* Effect.fail(
        apiError(Forbidden, "Forbidden", `this token may not access tenant "${tenantId}"`, `the token belongs to tenant "${caller.tenantId}"`)
      )
    }
    const tenants = yield* Tenants
    return yield* tenants.summaryOf(tenantId).pipe(
      Effect.catchTag("TenantNotFound", (e) => Effect.fail(apiError(NotFound, "NotFound", e.message)))
    )
  })

/** A tenant's status, an unknown tenant answered 404: what the backfill and console routes return. */
export const statusFor = (backfill: Backfill, tenantId: string) =>
  backfill.getBackfillStatus(tenantId).pipe(
    Effect.catchTag("TenantNotFound", (e) => Effect.fail(apiError(NotFound, "NotFound", e.message)))
  )
