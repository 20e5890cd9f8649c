import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer } from "effect"
import { Agent } from "undici"
import { Backfill } from "./Backfill.js"
import { Delta } from "./Delta.js"
import { OrdersSource } from "./History/OrdersSource.js"
import { ReportsSource } from "./History/ReportsSource.js"
import { Sink } from "./History/Sink.js"
import { Reports } from "./Reports.js"
import { Status } from "./Status.js"
import { HeapPolicyLive } from "./HeapPolicy.js"
import { Orders } from "./Orders.js"
import { AccessTokens } from "./SpApi/AccessTokens.js"
import { AmazonClock } from "./SpApi/AmazonClock.js"
import { SpApiClient } from "./SpApi/SpApiClient.js"
import { SqlLive } from "./Store/Database.js"
import { Leases } from "./Store/Leases.js"
import { OrderRepo } from "./Store/OrderRepo.js"
import { PageCommits } from "./Store/PageCommits.js"
import { ReportWindows } from "./Store/ReportWindows.js"
import { SyncStateRepo } from "./Store/SyncStateRepo.js"
import { Tenants } from "./Store/Tenants.js"

// Requests are few and short (each tenant waits on its quota between them), so a small connection pool per host
// serves any number of tenants, and a thousand tenants do not hold a thousand sockets and their buffers.
const AmazonConnections = Layer.scoped(
  NodeHttpClient.Dispatcher,
  Effect.acquireRelease(
    Effect.sync(() => new Agent({ connections: 32, keepAliveTimeout: 30_000 })),
    (agent) => Effect.promise(() => agent.destroy())
  )
)

// The client's own spans would record the access-token header and signed document URLs, and its trace headers
// would go to Amazon: the SP-API client's `spapi.request` spans say what matters instead.
const AmazonHttp = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) =>
    client.pipe(HttpClient.withTracerDisabledWhen(() => true), HttpClient.withTracerPropagation(false)))
).pipe(Layer.provide(NodeHttpClient.layerUndiciWithoutDispatcher))

/** The engine's services over a given SQL layer (tests hand in their own database). */
export const engineOver = <E, R>(sql: Layer.Layer<import("@effect/sql").SqlClient.SqlClient, E, R>) => {
  const repos = Layer.mergeAll(Tenants.Default, Leases.Default, OrderRepo.Default, SyncStateRepo.Default, ReportWindows.Default)
  const store = Layer.provideMerge(PageCommits.Default, repos)
  const amazon = Layer.merge(Orders.Default, Reports.Default).pipe(
    Layer.provideMerge(SpApiClient.Default),
    Layer.provideMerge(AccessTokens.Default),
    Layer.provideMerge(AmazonClock.Default),
    Layer.provide(AmazonHttp),
    Layer.provide(AmazonConnections)
  )
  // Sources and one sink (which publishes progress through the status) below; the delta sync beside; the backfill
  // over them all.
  const history = Layer.merge(OrdersSource.Default, ReportsSource.Default).pipe(
    Layer.provideMerge(Sink.Default),
    Layer.provideMerge(Status.Default)
  )
  return Backfill.Default.pipe(
    Layer.provideMerge(Delta.Default),
    Layer.provideMerge(history),
    Layer.provideMerge(Layer.merge(store, amazon)),
    Layer.provideMerge(sql),
    Layer.provideMerge(HeapPolicyLive)
  )
}

/** The engine on the configured database (DATABASE_URL, or the embedded one). */
export const EngineLive = engineOver(SqlLive)
