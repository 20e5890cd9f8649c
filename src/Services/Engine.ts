import { NodeHttpClient } from "@effect/platform-node"
import { Layer } from "effect"
import { Backfill } from "./Backfill.js"
import { Orders } from "./Orders.js"
import { AccessTokens } from "./SpApi/AccessTokens.js"
import { SpApiClient } from "./SpApi/SpApiClient.js"
import { SqlLive } from "./Store/Database.js"
import { Leases } from "./Store/Leases.js"
import { OrderRepo } from "./Store/OrderRepo.js"
import { SyncStateRepo } from "./Store/SyncStateRepo.js"
import { Tenants } from "./Store/Tenants.js"

/** The engine's services over a given SQL layer (tests hand in their own database). */
export const engineOver = <E, R>(sql: Layer.Layer<import("@effect/sql").SqlClient.SqlClient, E, R>) => {
  const store = Layer.mergeAll(Tenants.Default, Leases.Default, OrderRepo.Default, SyncStateRepo.Default)
  const amazon = Orders.Default.pipe(
    Layer.provideMerge(SpApiClient.Default),
    Layer.provideMerge(AccessTokens.Default),
    Layer.provide(NodeHttpClient.layerUndici)
  )
  return Backfill.Default.pipe(
    Layer.provideMerge(Layer.merge(store, amazon)),
    Layer.provideMerge(sql)
  )
}

/** The engine on the configured database (DATABASE_URL, or the embedded one). */
export const EngineLive = engineOver(SqlLive)
