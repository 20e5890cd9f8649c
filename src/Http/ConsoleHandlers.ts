import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Layer, Option } from "effect"
import { Backfill } from "../Services/Backfill.js"
import { Fleet } from "../Services/Store/Fleet.js"
import { OrderItems } from "../Services/Store/OrderItems.js"
import { MARKETPLACE } from "../Services/Store/OrderRepo.js"
import { RecentOrders, type StoredOrderHeader } from "../Services/Store/RecentOrders.js"
import { ReportWindows } from "../Services/Store/ReportWindows.js"
import { SyncStateRepo } from "../Services/Store/SyncStateRepo.js"
import { authorize, statusFor } from "./Access.js"
import {
  Api,
  apiError,
  BackfillList,
  Caller,
  FleetOverview,
  ItemView,
  NotFound,
  OrderList,
  OrderView,
  QuarantinedView,
  ReplicaLoad,
  TenantDetail,
  WindowView,
  Who
} from "./Api.js"

/** Quarantined orders shown per tenant: the newest ones, with their raw JSON. */
const QUARANTINE_SHOWN = 50
/** Orders listed per tenant unless asked otherwise: the newest by order date, with their items. */
const ORDERS_SHOWN = 20

const iso = (date: Date | null) => (date ? date.toISOString() : null)

/** The console's read models. Read-only: every change goes through the backfill group's triggers. */
export const ConsoleHandlers = HttpApiBuilder.group(Api, "console", (handlers) =>
  Effect.gen(function*() {
    const backfill = yield* Backfill
    const fleet = yield* Fleet
    const repo = yield* SyncStateRepo
    const reportWindows = yield* ReportWindows
    const recent = yield* RecentOrders
    const orderItems = yield* OrderItems

    const onlyFor = Effect.map(Caller, (caller) => (caller._tag === "Tenant" ? caller.tenantId : null))

    const statusOf = (tenantId: string) => statusFor(backfill, tenantId)

    const windowsOf = (tenantId: string) =>
      Effect.map(Effect.all([repo.windows(tenantId), reportWindows.list(tenantId)]), ([orders, reports]) => [
        ...orders.map((w) =>
          new WindowView({
            kind: "orders",
            startAt: w.startAt.toISOString(),
            endAt: w.endAt.toISOString(),
            coveredUntil: iso(w.status === "done" ? w.endAt : w.resumeAfter),
            status: w.status,
            orders: w.orders
          })
        ),
        ...reports.map((w) =>
          new WindowView({
            kind: "report",
            startAt: w.startAt.toISOString(),
            endAt: w.endAt.toISOString(),
            coveredUntil: iso(w.status === "done" ? w.endAt : null),
            status: w.status === "requested" ? (w.reportStatus ?? "requested") : w.status,
            orders: w.orders
          })
        )
      ].sort((a, b) => a.startAt.localeCompare(b.startAt)))

    /** The orders with their stored items, in one statement for all of them. */
    const withItems = (tenantId: string, orders: ReadonlyArray<StoredOrderHeader>) =>
      Effect.map(orderItems.of(tenantId, MARKETPLACE, orders.map((o) => o.externalOrderId)), (items) => {
        const byOrder = new Map<string, Array<ItemView>>()
        for (const { externalOrderId, ...item } of items) {
          const list = byOrder.get(externalOrderId) ?? []
          list.push(new ItemView(item))
          byOrder.set(externalOrderId, list)
        }
        return orders.map(({ orderDate, ...order }) =>
          new OrderView({
            ...order,
            orderDate: iso(orderDate),
            items: byOrder.get(order.externalOrderId) ?? []
          })
        )
      })

    return handlers
      .handle("who", () =>
        Effect.map(Caller, (caller) =>
          new Who(caller._tag === "Admin" ? { role: "admin", tenantId: null } : { role: "tenant", tenantId: caller.tenantId })))
      .handle("fleet", () =>
        Effect.gen(function*() {
          const counts = yield* fleet.overview(yield* onlyFor)
          return new FleetOverview({ ...counts, replicas: counts.replicas.map((r) => new ReplicaLoad(r)) })
        }))
      .handle("tenants", ({ urlParams }) =>
        Effect.gen(function*() {
          const limit = urlParams.limit ?? 50
          const offset = urlParams.offset ?? 0
          const search = urlParams.search?.trim() ?? ""
          const { tenantIds, total } = yield* fleet.page({
            only: yield* onlyFor,
            search: search.length > 0 ? search : null,
            status: urlParams.status ?? null,
            sort: urlParams.sort ?? "tenant",
            descending: urlParams.descending ?? false,
            limit,
            offset
          })
          // A tenant removed between the page and its status is left out rather than failing the page.
          const statuses = yield* Effect.forEach(tenantIds, (id) => Effect.option(backfill.getBackfillStatus(id)), { concurrency: 8 })
          const next = offset + limit
          return new BackfillList({
            tenants: statuses.flatMap(Option.toArray),
            total,
            limit,
            offset,
            nextOffset: next < total ? next : null
          })
        }))
      .handle("tenant", ({ urlParams }) =>
        Effect.gen(function*() {
          const summary = yield* authorize(urlParams.tenantId)
          const [status, windows, quarantine] = yield* Effect.all([
            statusOf(urlParams.tenantId),
            windowsOf(urlParams.tenantId),
            fleet.quarantined(urlParams.tenantId, QUARANTINE_SHOWN)
          ])
          return new TenantDetail({
            status,
            parkedReason: summary.parkedReason,
            windows,
            quarantined: quarantine.rows.map((q) =>
              new QuarantinedView({ externalOrderId: q.externalOrderId, error: q.error, raw: q.raw, at: q.createdAt.toISOString() })
            ),
            quarantinedTotal: quarantine.total
          })
        }))
      .handle("orders", ({ urlParams: { limit, orderId, tenantId } }) =>
        Effect.gen(function*() {
          yield* authorize(tenantId)
          const orders = orderId === undefined
            ? yield* recent.newest(tenantId, limit ?? ORDERS_SHOWN)
            : Option.toArray(yield* recent.byId(tenantId, orderId))
          if (orderId !== undefined && orders.length === 0) {
            return yield* Effect.fail(apiError(NotFound, "NotFound", `order "${orderId}" is not stored for tenant "${tenantId}"`))
          }
          return new OrderList({ orders: yield* withItems(tenantId, orders) })
        }))
  })).pipe(Layer.provide([RecentOrders.Default, OrderItems.Default]))
