#!/usr/bin/env node
// Issue 33, step 1: the re-layout of src/Services as pure file moves (no behaviour change). Not run yet: it moves
// most files, so it runs on a main no other work is midway through, followed by `npm test`, `npm run
// test:reliability` and the B3/B6 re-runs the issue asks for.
//
//   node scripts/relayout.mjs            # git mv every pending move, then rewrite imports and path mentions
//   node scripts/relayout.mjs --dry-run  # say what it would do, change nothing
//   node scripts/relayout.mjs --check    # as --dry-run, and exit 1 when anything is left to do
//
// Re-runnable: a move already done is skipped, and the rewrites only touch what still points at an old place, so a
// second run changes nothing and a run on a newer main picks up the files added since. Plain Node, no dependencies.
//
// What it rewrites:
// - every relative specifier in code (src/, test/, bench/, migrations/, scripts/, bin/ and the root's config files):
//   `from "…"`, `import("…")`, `vi.mock("…")`, `new URL("…", import.meta.url)`, any quoted "./…" or "../…" that
//   resolves to a file: it is re-pointed when the file it names moved or the file holding it moved;
// - path mentions in comments and docs (README.md, docs/, test/FIDELITY.md, any other *.md but CHANGELOG.md and
//   bench/results/, which are history): `src/Services/Orders.ts`, `Services/Metrics.ts`, `History/Drive`, and the bare
//   names of renamed files (`Orders.ts` → `OrdersApi.ts`);
// - a few passages that describe the layout itself (DOC_EDITS), when they still read as they did.
// It also deletes the compiled output of the old paths under dist/ (tsc never removes it, and package.json ships
// dist/src/), and at the end lists any file left directly under src/Services but the layer composition.

import { execFileSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

const SELF = fileURLToPath(import.meta.url)
const ROOT = path.resolve(path.dirname(SELF), "..")
const args = new Set(process.argv.slice(2))
const DRY = args.has("--dry-run") || args.has("--check")
const CHECK = args.has("--check")
for (const arg of args) {
  if (!["--dry-run", "--check"].includes(arg)) {
    console.error(`relayout: unknown argument ${arg} (use --dry-run or --check)`)
    process.exit(2)
  }
}

/** Whole files moved or renamed: relayout-moves.txt's "X moves to Y" lines, plus the files added since it was written. */
const MOVES = [
  // The layer composition stays at the top of Services.
  ["src/Services/Engine.ts", "src/Services/Layers.ts"],
  // Amazon: the client, its clock and buckets, the two APIs, the wire decoders, the report document.
  ["src/Services/SpApi/SpApiClient.ts", "src/Services/Amazon/SpApiClient.ts"],
  ["src/Services/SpApi/SpApiConfig.ts", "src/Services/Amazon/SpApiConfig.ts"],
  ["src/Services/SpApi/AccessTokens.ts", "src/Services/Amazon/AccessTokens.ts"],
  ["src/Services/SpApi/AmazonClock.ts", "src/Services/Amazon/AmazonClock.ts"],
  ["src/Services/SpApi/TokenBucket.ts", "src/Services/Amazon/TokenBucket.ts"],
  ["src/Services/Orders.ts", "src/Services/Amazon/OrdersApi.ts"],
  ["src/Services/Reports.ts", "src/Services/Amazon/ReportsApi.ts"],
  ["src/Domain/AmazonOrders.ts", "src/Services/Amazon/OrdersWire.ts"],
  ["src/Domain/ReportOrders.ts", "src/Services/Amazon/ReportWire.ts"],
  // Added after the list: the Orders API's items (2026 orderItems, v0 getOrderItems) are a wire decoder too.
  ["src/Domain/ApiItems.ts", "src/Services/Amazon/ItemsWire.ts"],
  // The report total rule reads the report's rows (ReportWire): beside it, so Domain imports nothing of Services.
  ["src/Domain/TotalRule.ts", "src/Services/Amazon/TotalRule.ts"],
  ["src/Services/History/ReportDocument.ts", "src/Services/Amazon/ReportDocument.ts"],
  // Fleet: the daemon and its triggers.
  ["src/Services/Daemon.ts", "src/Services/Fleet/Daemon.ts"],
  ["src/Services/Daemon/Triggers.ts", "src/Services/Fleet/Triggers.ts"],
  // History: config, planner, sources, sink, backfill, delta, status.
  ["src/Services/Backfill.ts", "src/Services/History/Backfill.ts"],
  ["src/Services/Delta.ts", "src/Services/History/Delta.ts"],
  ["src/Services/Status.ts", "src/Services/History/Status.ts"],
  ["src/Services/History/BackfillConfig.ts", "src/Services/History/Config.ts"],
  // Observability.
  ["src/Services/Metrics.ts", "src/Services/Observability/Metrics.ts"],
  ["src/Services/Tracing.ts", "src/Services/Observability/Tracing.ts"],
  ["src/Services/FleetMetrics.ts", "src/Services/Observability/FleetMetrics.ts"],
  // Scheduling: permits, turns, alarms, drive, heap policy.
  ["src/Services/Permits.ts", "src/Services/Scheduling/Permits.ts"],
  ["src/Services/History/Turns.ts", "src/Services/Scheduling/Turns.ts"],
  ["src/Services/History/Alarms.ts", "src/Services/Scheduling/Alarms.ts"],
  ["src/Services/History/Drive.ts", "src/Services/Scheduling/Drive.ts"],
  ["src/Services/HeapPolicy.ts", "src/Services/Scheduling/HeapPolicy.ts"],
  // Store: the SQL that lived outside it, and the key.
  ["src/Services/Daemon/Requests.ts", "src/Services/Store/RequestRepo.ts"],
  ["src/Services/Daemon/Replicas.ts", "src/Services/Store/ReplicaRepo.ts"],
  ["src/Services/Secrets.ts", "src/Services/Store/Secrets.ts"]
  // Stay where they are: src/Domain/Money.ts and src/Domain/TotalRule.ts (pure money and rule logic), and
  // src/Services/Store/{OrderItems,TotalRules,RecentOrders}.ts (SQL, already in Store/).
]

/** Folders that moved as a whole, for mentions such as `src/Services/SpApi/…`. */
const FOLDER_MOVES = [["src/Services/SpApi", "src/Services/Amazon"]]

/**
 * Bare names of renamed files, rewritten where a comment or a doc names the file without its folder. Only names no
 * other file of the repository carries (`Engine.ts` is also bench/Engine.ts; `Config.ts` is also the simulator's).
 */
const BARE_RENAMES = [
  ["Orders.ts", "OrdersApi.ts"],
  ["Reports.ts", "ReportsApi.ts"],
  ["AmazonOrders.ts", "OrdersWire.ts"],
  ["ReportOrders.ts", "ReportWire.ts"],
  ["ApiItems.ts", "ItemsWire.ts"],
  ["BackfillConfig.ts", "History/Config.ts"]
]

/** Passages that describe the layout itself: replaced while they still read as written, else reported. */
const DOC_EDITS = [
  {
    file: "docs/development.md",
    from: [
      "- `src/Services` holds the engine (`History/`: the planner, the Orders API and reports sources, the sink; `Delta`,",
      "  `Status`, `Backfill`), the SP-API client (`SpApi/`), the daemon (`Daemon.ts`: the claim loop and a fiber per",
      "  tenant; `Daemon/`: triggers, their notifications, the replicas) and the stores (`Store/`)."
    ].join("\n"),
    to: [
      "- `src/Services` holds the engine, one folder per stage of the flow: `Amazon/` (the SP-API client, its clock and",
      "  token buckets, the Orders and Reports APIs, their wire decoders, the report document), `History/` (the config, the",
      "  planner, the Orders API and reports sources, the sink, `Backfill`, `Delta`, `Status`), `Scheduling/` (permits,",
      "  turns, alarms, drive, the heap policy), `Fleet/` (the daemon: the claim loop and a fiber per tenant; the triggers),",
      "  `Observability/` (metrics, tracing, the fleet gauges) and the stores (`Store/`, the requests and replicas",
      "  included); `Layers.ts` composes their layers."
    ].join("\n")
  },
  {
    file: "docs/backfill.md",
    from: [
      "  └─ SpApi        LWA tokens, HTTP, error mapping, a token bucket per (tenant, operation), Amazon's clock",
      "      ├─ Orders    searchOrders (2026-01-01) | getOrders (v0) → Stream of pages, each order decoded with Schema",
      "      └─ Reports   createReport → getReport → getReportDocument → the document's bytes"
    ].join("\n"),
    to: [
      "  └─ Amazon/SpApiClient  LWA tokens, HTTP, error mapping, a token bucket per (tenant, operation), Amazon's clock",
      "      ├─ Amazon/OrdersApi   searchOrders (2026-01-01) | getOrders (v0) → Stream of pages, each order decoded with Schema (OrdersWire)",
      "      └─ Amazon/ReportsApi  createReport → getReport → getReportDocument → the document's bytes → orders (ReportDocument)"
    ].join("\n")
  },
  {
    file: "docs/backfill.md",
    from: "Backfill (runs the plan) · Delta (delta sync) · Status (the status JSON)",
    to: "History/Backfill (runs the plan) · History/Delta (delta sync) · History/Status (the status JSON)"
  },
  {
    file: "test/FIDELITY.md",
    from: [
      "- **Client**: `Orders.ts` = `src/Services/Orders.ts`, `SpApiClient.ts`/`TokenBucket.ts`/`AccessTokens.ts`/`SpApiConfig.ts`",
      "  = `src/Services/SpApi/…`, `AmazonOrders.ts` = `src/Domain/AmazonOrders.ts`, `AmazonClock.ts` = `src/Services/SpApi/AmazonClock.ts`, `Backfill.ts` = `src/Services/Backfill.ts`, `OrdersSource.ts` = `src/Services/History/OrdersSource.ts`, `Delta.ts` = `src/Services/Delta.ts`;",
      "  `Reports.ts` = `src/Services/Reports.ts`, `ReportsSource.ts`/`ReportDocument.ts`/`Planner.ts`/`BackfillConfig.ts`",
      "  = `src/Services/History/…`, `ReportOrders.ts`/`ReportErrors.ts` = `src/Domain/…`."
    ].join("\n"),
    to: [
      "- **Client**: `OrdersApi.ts`/`ReportsApi.ts`/`SpApiClient.ts`/`TokenBucket.ts`/`AccessTokens.ts`/`SpApiConfig.ts`/`AmazonClock.ts`",
      "  /`OrdersWire.ts`/`ItemsWire.ts`/`ReportWire.ts`/`ReportDocument.ts` = `src/Services/Amazon/…`; `Backfill.ts`/`Delta.ts`/",
      "  `OrdersSource.ts`/`ReportsSource.ts`/`Planner.ts`/`History/Config.ts` = `src/Services/History/…`; `ReportErrors.ts` = `src/Domain/…`."
    ].join("\n")
  }
]

const CODE_ROOTS = ["src", "test", "bench", "migrations", "scripts", "bin"]
const CODE_EXT = /\.(?:ts|tsx|mts|cts|js|mjs|cjs)$/
const SKIP_DIRS = new Set(["node_modules", "dist", ".git", "output", ".ordersync", "coverage"])
const HISTORY = (rel) => rel === "CHANGELOG.md" || rel.startsWith("bench/results/")

const posix = path.posix
const abs = (rel) => path.join(ROOT, rel)
const isFile = (rel) => {
  try {
    return fs.statSync(abs(rel)).isFile()
  } catch {
    return false
  }
}
const git = (...argv) => execFileSync("git", argv, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
const log = (line) => console.log(line)

// ---------------------------------------------------------------------------------------------------------------
// 1. The moves.

const oldToNew = new Map(MOVES)
const newToOld = new Map(MOVES.map(([from, to]) => [to, from]))
if (oldToNew.size !== MOVES.length || newToOld.size !== MOVES.length) throw new Error("relayout: a path is named twice")
for (const [, to] of MOVES) if (oldToNew.has(to)) throw new Error(`relayout: ${to} is both a source and a target`)

const pending = []
const conflicts = []
for (const [from, to] of MOVES) {
  const hasFrom = isFile(from)
  const hasTo = isFile(to)
  if (hasFrom && hasTo) conflicts.push(`${from} and ${to} both exist`)
  else if (hasFrom) pending.push([from, to])
  else if (hasTo) log(`done     ${from} → ${to}`)
  else log(`missing  ${from} (and ${to}): nothing to move`)
}
if (conflicts.length > 0) {
  console.error(`relayout: stopped, nothing changed:\n  ${conflicts.join("\n  ")}`)
  process.exit(1)
}
const movedNow = new Set(pending.map(([, to]) => to))
const walk = (rel, out) => {
  let entries
  try {
    entries = fs.readdirSync(abs(rel), { withFileTypes: true })
  } catch {
    return out
  }
  for (const entry of entries) {
    const child = rel === "" ? entry.name : `${rel}/${entry.name}`
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith(".")) walk(child, out)
    } else if (entry.isFile()) out.push(child)
  }
  return out
}

const pendingFrom = new Map(pending)
const pendingTo = new Map(pending.map(([from, to]) => [to, from]))
/** Every file of the tree once this run's moves are done (read before them, so a dry run sees the same). */
const filesAfter = new Set(walk("", []).map((rel) => pendingFrom.get(rel) ?? rel))
const all = [...filesAfter].filter((rel) => abs(rel) !== SELF && !HISTORY(rel)).sort()
const codeFiles = all.filter((rel) => CODE_EXT.test(rel) && (CODE_ROOTS.includes(rel.split("/")[0]) || !rel.includes("/")))
const docFiles = all.filter((rel) => rel.endsWith(".md"))
/** In a dry run the files are still at their old paths: read them there. */
const sourceOf = (rel) => (DRY ? pendingTo.get(rel) ?? rel : rel)

for (const [from, to] of pending) {
  log(`${DRY ? "would mv" : "git mv  "} ${from} → ${to}`)
  if (!DRY) {
    fs.mkdirSync(path.dirname(abs(to)), { recursive: true })
    git("mv", from, to)
    // Remove the folders a move left empty (git mv keeps them only while they hold ignored or untracked files).
    for (let dir = posix.dirname(from); dir !== "src" && dir !== "."; dir = posix.dirname(dir)) {
      try {
        fs.rmdirSync(abs(dir))
      } catch {
        break
      }
    }
  }
}

/** Where a file ends up. */
const destination = (rel) => oldToNew.get(rel) ?? rel

// ---------------------------------------------------------------------------------------------------------------
// 2. Relative specifiers in code.

/** The file a relative specifier names, from a folder: [the file's path as named, the part of the name that changes]. */
const resolveSpecifier = (fromDir, specifier) => {
  const target = posix.normalize(posix.join(fromDir, specifier))
  if (target.startsWith("../")) return undefined
  const ext = posix.extname(target)
  const stem = target.slice(0, target.length - ext.length)
  const candidates = // [file, what the specifier ends with, what the file ends with]
    ext === ".js" ? [[stem + ".ts", ".js", ".ts"], [stem + ".tsx", ".js", ".tsx"], [target, ".js", ".js"]]
      : ext === ".mjs" ? [[stem + ".mts", ".mjs", ".mts"], [target, ".mjs", ".mjs"]]
      : ext === ".cjs" ? [[stem + ".cts", ".cjs", ".cts"], [target, ".cjs", ".cjs"]]
      : ext === "" ? [[target + ".ts", "", ".ts"], [target + "/index.ts", "", "/index.ts"], [target + ".js", "", ".js"], [target, "", ""]]
      : [[target, "", ""]]
  for (const [file, specEnd, fileEnd] of candidates) {
    if (oldToNew.has(file) || filesAfter.has(file)) return { file, specEnd, fileEnd }
  }
  return undefined
}

const relativeSpecifier = (fromDir, file, specEnd, fileEnd) => {
  const stem = file.slice(0, file.length - fileEnd.length)
  let rel = posix.relative(fromDir, stem) + specEnd
  if (!rel.startsWith(".")) rel = "./" + rel
  return rel
}

/** A quoted relative path: "./x", '../x', `../x` (a template without substitutions). */
const RELATIVE_LITERAL = /(["'`])(\.\.?\/[^"'`\n$]*)\1/g

/**
 * The specifier rewritten for `file` (its path after the moves), or undefined when it names no file we know.
 * A file moved by this run still holds specifiers written for its old folder; a file moved by an earlier run that
 * was interrupted may too, so its old folder is the fallback.
 */
const rewriteSpecifier = (file, specifier) => {
  const before = newToOld.get(file)
  const dirs = movedNow.has(file) ? [posix.dirname(before), posix.dirname(file)]
    : before !== undefined ? [posix.dirname(file), posix.dirname(before)]
    : [posix.dirname(file)]
  for (const dir of dirs) {
    const found = resolveSpecifier(dir, specifier)
    if (found === undefined) continue
    // Neither end moved: leave the specifier as written.
    if (dir === posix.dirname(file) && destination(found.file) === found.file) return undefined
    return relativeSpecifier(posix.dirname(file), destination(found.file), found.specEnd, found.fileEnd)
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Path mentions in prose (comments, docs).

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Every way a comment or doc may name a moved file: its path from src/ down to two parts, with or without extension. */
const mentions = new Map()
for (const [from, to] of MOVES) {
  const parts = from.replace(/\.ts$/, "").split("/")
  for (let k = parts.length; k >= 2; k--) {
    const anchor = parts.slice(0, parts.length - k).join("/")
    const to_ = to.replace(/\.ts$/, "")
    const renamed = anchor === "" ? to_ : to_.startsWith(anchor + "/") ? to_.slice(anchor.length + 1) : to_
    mentions.set(parts.slice(-k).join("/"), renamed)
  }
}
for (const [from, to] of FOLDER_MOVES) {
  const parts = from.split("/")
  for (let k = parts.length; k >= 2; k--) {
    const anchor = parts.slice(0, parts.length - k).join("/")
    mentions.set(parts.slice(-k).join("/") + "/", (anchor === "" ? to : to.slice(anchor.length + 1)) + "/")
  }
}
const mentionKeys = [...mentions.keys()].sort((a, b) => b.length - a.length)
// A file mention: not inside a longer name before it, an optional extension, and no more name (nor a folder) after.
const MENTION = new RegExp(
  `(?<![A-Za-z0-9_])(${mentionKeys.map(escape).join("|")})((?<=/)|(?:\\.(?:ts|js|mjs))?(?![A-Za-z0-9_/]))`,
  "g"
)
const BARE = new RegExp(`(?<![A-Za-z0-9_/.\\-])(${BARE_RENAMES.map(([name]) => escape(name)).join("|")})(?![A-Za-z0-9_/])`, "g")
const bare = new Map(BARE_RENAMES)

const rewriteProse = (text) =>
  text
    .replace(MENTION, (whole, name, ext) => (name.endsWith("/") ? mentions.get(name) : mentions.get(name) + ext))
    .replace(BARE, (name) => bare.get(name))

// ---------------------------------------------------------------------------------------------------------------
// 4. Walk the files and write.

let changedFiles = 0
const write = (rel, before, after) => {
  if (before === after) return
  changedFiles++
  log(`${DRY ? "would edit" : "edited  "} ${rel}`)
  if (!DRY) fs.writeFileSync(abs(rel), after)
}

for (const rel of codeFiles) {
  const before = fs.readFileSync(abs(sourceOf(rel)), "utf8")
  // Specifiers first, prose in between: a specifier is never read as a mention.
  let after = ""
  let last = 0
  for (const match of before.matchAll(RELATIVE_LITERAL)) {
    after += rewriteProse(before.slice(last, match.index))
    const rewritten = rewriteSpecifier(rel, match[2])
    after += rewritten === undefined ? match[0] : match[1] + rewritten + match[1]
    last = match.index + match[0].length
  }
  after += rewriteProse(before.slice(last))
  write(rel, before, after)
}

const unmatchedEdits = []
for (const rel of docFiles) {
  const before = fs.readFileSync(abs(rel), "utf8")
  let after = before
  for (const edit of DOC_EDITS.filter((e) => e.file === rel)) {
    if (after.includes(edit.from)) after = after.replace(edit.from, edit.to)
    else if (!after.includes(edit.to)) unmatchedEdits.push(`${rel}: ${edit.from.split("\n")[0].trim()}`)
  }
  write(rel, before, rewriteProse(after))
}
for (const edit of DOC_EDITS) if (!docFiles.includes(edit.file)) unmatchedEdits.push(`${edit.file}: no such file`)

// The compiled old paths: tsc does not remove them, and `files` in package.json would ship them.
for (const [from] of MOVES) {
  const stem = `dist/${from.replace(/\.ts$/, "")}`
  for (const out of [".js", ".js.map", ".d.ts"].map((ext) => stem + ext).filter(isFile)) {
    log(`${DRY ? "would rm" : "rm      "} ${out}`)
    if (!DRY) fs.rmSync(abs(out))
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Report.

if (unmatchedEdits.length > 0) {
  log(`\nlayout passages that no longer read as expected (edit them by hand):\n  ${unmatchedEdits.join("\n  ")}`)
}
const loose = (() => {
  try {
    return fs.readdirSync(abs("src/Services"), { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => `src/Services/${e.name}`)
      .map((rel) => (DRY ? destination(rel) : rel))
      .filter((rel) => posix.dirname(rel) === "src/Services" && rel !== "src/Services/Layers.ts")
  } catch {
    return []
  }
})()
if (loose.length > 0) log(`\nfiles under src/Services outside a folder (only Layers.ts should be):\n  ${loose.join("\n  ")}`)
/** The folders of the new layout; any other under src/Services (an old one a newer main added a file to) is listed. */
const FOLDERS = new Set(["Amazon", "History", "Scheduling", "Fleet", "Observability", "Store"])
const strays = [...filesAfter]
  .filter((rel) => rel.startsWith("src/Services/") && rel.split("/").length > 3 && !FOLDERS.has(rel.split("/")[2]))
  .sort()
if (strays.length > 0) log(`\nfiles in a folder that is not part of the new layout (move them by hand, or add them to MOVES):\n  ${strays.join("\n  ")}`)
log(`\n${pending.length} move(s) ${DRY ? "pending" : "done"}, ${changedFiles} file(s) ${DRY ? "to edit" : "edited"}.`)
if (!DRY && (pending.length > 0 || changedFiles > 0)) log("Next: npx tsc --noEmit -p tsconfig.json && npm run build")
if (CHECK && (pending.length > 0 || changedFiles > 0)) process.exit(1)
