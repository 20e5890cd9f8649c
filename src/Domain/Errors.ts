import { Schema } from "effect"

/** No tenant with that id is connected. */
export class TenantNotFound extends Schema.TaggedError<TenantNotFound>()("TenantNotFound", {
  tenantId: Schema.String
}) {
  override get message() {
    return `tenant "${this.tenantId}" is not connected (see: ordersync tenants add)`
  }
}

/** Amazon answered 429 QuotaExceeded. */
export class QuotaExceeded extends Schema.TaggedError<QuotaExceeded>()("QuotaExceeded", {
  operation: Schema.String
}) {}

/** A failure worth retrying: 5xx, network errors, cut-off or malformed bodies. */
export class AmazonUnavailable extends Schema.TaggedError<AmazonUnavailable>()("AmazonUnavailable", {
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.operation}: ${this.reason}`
  }
}

/** The access token expired: refresh once and retry. */
export class AccessTokenExpired extends Schema.TaggedError<AccessTokenExpired>()("AccessTokenExpired", {}) {}

/** The seller's authorisation is gone (invalid_grant, or a revoked/invalid access token): stop this tenant. */
export class CredentialsRevoked extends Schema.TaggedError<CredentialsRevoked>()("CredentialsRevoked", {
  reason: Schema.String
}) {
  override get message() {
    return `Amazon refused the tenant's credentials: ${this.reason}`
  }
}

/**
 * Amazon denied one operation although the tenant's credentials are good: a 403 without "expired", on an operation
 * the application has no role for (field: `{"code":"Unauthorized","message":"Access to requested resource is
 * denied.","details":""}`, amz-tools/amazon-sp-api #1, #10). The tenant is not parked; the caller chooses another
 * path (reports → Orders API) or reports the missing role.
 */
export class RoleMissing extends Schema.TaggedError<RoleMissing>()("RoleMissing", {
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Amazon denied ${this.operation} (the application may lack the role for it): ${this.reason}`
  }
}

/** Amazon could not decode or no longer accepts a page token: restart the window from its last order. */
export class PageTokenRejected extends Schema.TaggedError<PageTokenRejected>()("PageTokenRejected", {
  reason: Schema.String
}) {}

/** A 4xx Amazon gave that no retry can fix (a bug, or a configuration error such as a wrong marketplace). */
export class AmazonRejected extends Schema.TaggedError<AmazonRejected>()("AmazonRejected", {
  operation: Schema.String,
  status: Schema.Number,
  code: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.operation} was rejected by Amazon (${this.status} ${this.code}): ${this.reason}`
  }
}

/** Another live process holds the tenant's lease. */
export class LeaseHeld extends Schema.TaggedError<LeaseHeld>()("LeaseHeld", {
  tenantId: Schema.String,
  owner: Schema.String,
  expiresAt: Schema.Date
}) {
  override get message() {
    return `tenant "${this.tenantId}" is being synced by ${this.owner} (lease valid until ${this.expiresAt.toISOString()})`
  }
}

/** This process no longer holds the lease (another took it over): it must stop writing for the tenant. */
export class LeaseLost extends Schema.TaggedError<LeaseLost>()("LeaseLost", {
  tenantId: Schema.String
}) {
  override get message() {
    return `lost the lease on tenant "${this.tenantId}" to another process`
  }
}

/** A refresh token could not be decrypted with the configured key. */
export class SecretKeyMismatch extends Schema.TaggedError<SecretKeyMismatch>()("SecretKeyMismatch", {
  tenantId: Schema.String
}) {
  override get message() {
    return `the refresh token of tenant "${this.tenantId}" was encrypted under another key: set ORDERSYNC_SECRET_KEY to the key it was stored with, or re-add the tenant`
  }
}

/** A backfill is already running for the tenant. */
export class BackfillAlreadyRunning extends Schema.TaggedError<BackfillAlreadyRunning>()("BackfillAlreadyRunning", {
  tenantId: Schema.String
}) {
  override get message() {
    return `a backfill of tenant "${this.tenantId}" is already running`
  }
}

/** A request outside what ordersync accepts (days out of range, unknown tenant id format, …). */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
}

/** The backfill was paused (by a user, from any replica) and stopped at a page boundary. */
export class BackfillPaused extends Schema.TaggedError<BackfillPaused>()("BackfillPaused", {
  tenantId: Schema.String
}) {
  override get message() {
    return `the backfill of tenant "${this.tenantId}" is paused`
  }
}

/** A delta sync needs the cursor that a finished initial backfill sets. */
export class BackfillNotDone extends Schema.TaggedError<BackfillNotDone>()("BackfillNotDone", {
  tenantId: Schema.String
}) {
  override get message() {
    return `tenant "${this.tenantId}" has no finished initial backfill yet: run ordersync backfill run --tenant ${this.tenantId} first`
  }
}

/** PostgreSQL did not answer (restarting, unreachable, or its pool exhausted): the run stops and is retried later. */
export class DatabaseUnavailable extends Schema.TaggedError<DatabaseUnavailable>()("DatabaseUnavailable", {
  reason: Schema.String
}) {
  override get message() {
    return `the database is unavailable: ${this.reason}`
  }
}

/**
 * Amazon answered a page whose orders all lack a dataset ordersync asked for (`includedData`): the request, not the
 * data, is wrong, so the run stops loudly instead of storing or quarantining a whole history.
 */
export class DatasetsMissing extends Schema.TaggedError<DatasetsMissing>()("DatasetsMissing", {
  operation: Schema.String,
  datasets: Schema.String
}) {
  override get message() {
    return `${this.operation}: every order of a page lacks the ${this.datasets} dataset(s) ordersync asked for with includedData; nothing of that page was stored`
  }
}

/** Amazon refused a listing bound as less than two minutes before its own time (the host's clock runs ahead). */
export class ListingBoundRefused extends Schema.TaggedError<ListingBoundRefused>()("ListingBoundRefused", {
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.operation}: Amazon refused the listing's upper bound as too recent (${this.reason})`
  }
}

/** A row read from the database holds a value of a shape ordersync does not know (a defect: it names where). */
export class UnreadableRow extends Schema.TaggedError<UnreadableRow>()("UnreadableRow", {
  table: Schema.String,
  column: Schema.String,
  value: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `"${this.table}"."${this.column}" holds ${this.value}: ${this.reason}`
  }
}

/** A table ordersync shares with the original backend has a column it cannot read, write or fill (found at start). */
export class IncompatibleTable extends Schema.TaggedError<IncompatibleTable>()("IncompatibleTable", {
  table: Schema.String,
  problems: Schema.Array(Schema.String)
}) {
  override get message() {
    return `"${this.table}" cannot be shared with the original backend as it is: ${this.problems.join("; ")}`
  }
}
