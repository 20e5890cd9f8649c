import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Config, Duration, Effect, Layer, Option, Redacted } from "effect"

/** The OpenTelemetry exporter variables ordersync reads (the standard names; only traces, only OTLP/HTTP). */
export const TracingConfig = Config.all({
  endpoint: Config.option(Config.string("OTEL_EXPORTER_OTLP_ENDPOINT")),
  // Used as it stands, where the base endpoint above gets /v1/traces appended (as the OpenTelemetry spec says).
  tracesEndpoint: Config.option(Config.string("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
  protocol: Config.literal("http/protobuf", "http/json")("OTEL_EXPORTER_OTLP_PROTOCOL").pipe(
    Config.withDefault("http/protobuf" as const)
  ),
  // `key=value,key2=value2`, values URL-encoded; often carries a collector's API key.
  headers: Config.option(Config.redacted("OTEL_EXPORTER_OTLP_HEADERS")),
  serviceName: Config.string("OTEL_SERVICE_NAME").pipe(Config.withDefault("ordersync")),
  exportInterval: Config.integer("OTEL_BSP_SCHEDULE_DELAY").pipe(Config.withDefault(5000))
})

const parseHeaders = (input: string): Record<string, string> =>
  Object.fromEntries(
    input.split(",").flatMap((pair) => {
      const at = pair.indexOf("=")
      return at <= 0 ? [] : [[pair.slice(0, at).trim(), decodeURIComponent(pair.slice(at + 1).trim())]]
    })
  )

/** Where spans go, or none: without an endpoint the tracer stays Effect's in-memory one (no exporter, no cost). */
export const tracesUrl = (config: Config.Config.Success<typeof TracingConfig>) =>
  Option.orElse(
    config.tracesEndpoint,
    () => Option.map(config.endpoint, (base) => `${base.replace(/\/+$/, "")}/v1/traces`)
  )

/**
 * Every span of the process (backfill runs, windows, SP-API requests, commits, HTTP requests) exported over OTLP/HTTP
 * when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Spans still buffered are sent on
 * shutdown.
 */
export const TracingLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const config = yield* TracingConfig
    const url = tracesUrl(config)
    if (Option.isNone(url)) return Layer.empty
    return OtlpTracer.layer({
      url: url.value,
      resource: { serviceName: config.serviceName, serviceVersion: "0.1.0" },
      headers: Option.match(config.headers, { onNone: () => ({}), onSome: (h) => parseHeaders(Redacted.value(h)) }),
      exportInterval: Duration.millis(config.exportInterval)
    }).pipe(
      Layer.provide(config.protocol === "http/json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf),
      Layer.provide(FetchHttpClient.layer)
    )
  })
)
