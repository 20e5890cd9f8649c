import * as Metrics from "@effect/opentelemetry/Metrics"
import * as Resource from "@effect/opentelemetry/Resource"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { Effect, Layer } from "effect"
import { runtimeMetricDescriptions } from "../Services/Metrics.js"

// Effect's runtime metrics come without a description; anything else without one is at least named for what it is.
const describe = (name: string) => runtimeMetricDescriptions[name] ?? `${name.replace(/_/g, " ")} (no description registered)`

/**
 * The Effect metrics (Services/Metrics.ts) through OpenTelemetry's Prometheus exporter, read on demand by /metrics
 * instead of on a port of its own.
 */
export class Prometheus extends Effect.Service<Prometheus>()("ordersync/Prometheus", {
  scoped: Effect.gen(function*() {
    const exporter = new PrometheusExporter({ preventServerStart: true })
    const serializer = new PrometheusSerializer(undefined, false, undefined, true, true)
    yield* Layer.buildWithScope(
      Metrics.layer(() => exporter).pipe(Layer.provide(Resource.layer({ serviceName: "ordersync" }))),
      yield* Effect.scope
    )
    const scrape = Effect.promise(() => exporter.collect()).pipe(
      Effect.map(({ resourceMetrics }) =>
        serializer.serialize({
          ...resourceMetrics,
          scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
            ...scope,
            metrics: scope.metrics.map((metric) =>
              metric.descriptor.description !== "" ? metric : {
                ...metric,
                descriptor: { ...metric.descriptor, description: describe(metric.descriptor.name) }
              }
            )
          }))
        })
      )
    )
    return { scrape } as const
  })
}) {}
