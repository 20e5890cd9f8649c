import * as v8 from "node:v8"
import { Config, Effect, Layer } from "effect"

/**
 * How far V8 lets the heap grow past what survived the last full collection, in percent.
 *
 * Syncing allocates a lot of short-lived memory (every page is parsed, decoded and serialised again), and on a
 * machine with a lot of RAM V8 lets the heap grow up to 4× its live size before it collects the old generation. So
 * a process whose live heap is 55 MB would sit at 250–300 MB of RSS. A growth factor of 1.5 kept RSS near the live
 * size (`npm run bench`, B4: 160 MB against 233 MB at V8's defaults), and 1.25 keeps a process with ten thousand
 * backfills near it too (B3 at 10,000 tenants, ~200 MB live: the old generation's pages 305 MB at most against 342 MB
 * at 1.5, RSS 443 MB on average against 501 MB over the same minutes; B4, one tenant: 141–156 MB against 148–164 MB,
 * at the same throughput). The cost is more frequent full collections, mostly concurrent: at 10,000 tenants twice as
 * many, and more CPU per page (see docs/performance.md, B3 at 10,000). 0 leaves V8's own heuristics.
 */
export const HeapGrowthPercent = Config.integer("ORDERSYNC_HEAP_GROWTH_PERCENT").pipe(
  Config.withDefault(25),
  Config.validate({ message: "ORDERSYNC_HEAP_GROWTH_PERCENT must be between 0 and 300", validation: (n) => n >= 0 && n <= 300 })
)

/**
 * Applies the growth factor to this process' V8. It is one of the few V8 flags that V8 reads at every collection,
 * so it takes effect when set at run time; it is process-wide and idempotent.
 */
export const HeapPolicyLive = Layer.effectDiscard(
  Effect.flatMap(HeapGrowthPercent, (percent) =>
    Effect.sync(() => {
      if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`)
    }))
)
