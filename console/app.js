// The ordersync console: plain DOM, no framework. Every value from the API is rendered with textContent or as an
// attribute value, never parsed as markup. It polls the API (fetch with the bearer token) while it is open.

const TOKEN_KEY = "ordersync.token"
const POLL_MS = 1500
const PAGE_SIZE = 50
const SAMPLES_KEPT = 120
const ORDERS_SHOWN = 20
const API = "/api/v1/orders/sync"

// ---- DOM helpers ----

const $ = (id) => document.getElementById(id)

/** An element with attributes and children; strings become text nodes. */
const el = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue
    node.setAttribute(name, value === true ? "" : String(value))
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)))
  return node
}

const SVG = "http://www.w3.org/2000/svg"
const svg = (tag, attributes = {}) => {
  const node = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value))
  return node
}

const setText = (node, text) => {
  const value = String(text)
  if (node.textContent !== value) node.textContent = value
}

// ---- Formatting ----

const number = new Intl.NumberFormat("en-US")
const count = (n) => (n === null || n === undefined ? "–" : number.format(n))

/** Seconds as "1h 05m", "3m 07s" or "42s"; null (no rate known yet) as "estimating…". */
export const duration = (seconds) => {
  if (seconds === null || seconds === undefined) return "estimating…"
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = s % 60
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`
  if (m > 0) return `${m}m ${String(rest).padStart(2, "0")}s`
  return `${rest}s`
}

const ago = (iso) => {
  if (!iso) return "never"
  const seconds = (Date.now() - Date.parse(iso)) / 1000
  return seconds < 5 ? "just now" : `${duration(seconds)} ago`
}

const STATUS_LABELS = { in_progress: "in progress", success: "success", failed: "failed", paused: "paused" }
const statusLabel = (status) => STATUS_LABELS[status] ?? "not started"
/** A class from a fixed list only: a status never becomes a class name of its own. */
const statusClass = (status) => `badge badge-${status in STATUS_LABELS ? status : "none"}`
const historyLabel = (source) => (source === "orders" ? "Orders API" : source === "reports" ? "reports" : "–")
const etaOf = (status) => {
  if (status.initialBackfillStatus === "success") return "done"
  if (status.initialBackfillStatus !== "in_progress") return "–"
  const reports = status.progress.reports
  // While reports are with Amazon the engine makes no estimate: the wait is Amazon's processing.
  if (status.progress.estimatedSecondsRemaining === null && reports && reports.queued + reports.processing > 0) {
    return "reports at Amazon"
  }
  return duration(status.progress.estimatedSecondsRemaining)
}
const percent = (coverage) => `${Math.floor(coverage * 1000) / 10}%`

// ---- API ----

class ApiError extends Error {
  constructor(status, message, details) {
    super(message)
    this.status = status
    this.details = details
  }
}

const api = async (path, body) => {
  const token = sessionStorage.getItem(TOKEN_KEY) ?? ""
  const headers = { authorization: `Bearer ${token}` }
  if (body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers,
    cache: "no-store",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {})
  })
  const payload = await response.json().catch(() => null)
  if (!response.ok) {
    const entry = payload?.errors?.[0]
    throw new ApiError(response.status, entry?.message ?? response.statusText, entry?.details ?? "")
  }
  return payload
}

// ---- State and routing ----

const state = {
  who: null,
  filters: { search: "", status: "", sort: "tenant", descending: false },
  offset: 0,
  total: 0,
  /** Per tenant: what the page saw on each poll, for the throughput chart. */
  samples: new Map(),
  /** The orders whose items are shown (tenant, then order id), kept across polls. */
  openOrders: new Set(),
  generation: 0,
  loop: 0,
  timer: null
}

const route = () => {
  const hash = location.hash
  if (hash.startsWith("#/tenant/")) return { view: "tenant", tenantId: decodeURIComponent(hash.slice("#/tenant/".length)) }
  return { view: "fleet" }
}

const tenantHref = (tenantId) => `#/tenant/${encodeURIComponent(tenantId)}`

const show = (view) => {
  for (const id of ["sign-in", "fleet", "tenant"]) $(id).hidden = id !== view
}

const notice = (text) => {
  const box = $("notice")
  box.hidden = text === null
  setText(box, text ?? "")
}

const signOut = (message) => {
  sessionStorage.removeItem(TOKEN_KEY)
  state.who = null
  state.samples.clear()
  state.openOrders.clear()
  clearTimeout(state.timer)
  $("who").hidden = true
  $("sign-out").hidden = true
  notice(null)
  show("sign-in")
  setText($("sign-in-error"), message ?? "")
  $("token").value = ""
  $("token").focus()
}

/** Who the stored token is; signs out with the reason when the API refuses it. */
const identify = async () => {
  try {
    state.who = await api(`${API}/console/who`)
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      signOut("This token was refused: it is wrong or has been revoked. Sign in with a valid admin or tenant token.")
    } else {
      signOut(`Could not sign in: ${error.message}`)
    }
    return false
  }
  const who = $("who")
  setText(who, state.who.role === "admin" ? "Signed in as admin" : `Signed in as tenant ${state.who.tenantId}`)
  who.hidden = false
  $("sign-out").hidden = false
  return true
}

const refresh = async () => {
  const generation = ++state.generation
  const current = route()
  if (current.view === "tenant") {
    const tenant = encodeURIComponent(current.tenantId)
    const [detail, recent] = await Promise.all([
      api(`${API}/console/tenant?tenantId=${tenant}`),
      api(`${API}/console/orders?tenantId=${tenant}&limit=${ORDERS_SHOWN}`)
    ])
    if (generation === state.generation) {
      renderTenant(detail)
      renderOrders(detail.status, recent.orders)
    }
  } else {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(state.offset), sort: state.filters.sort })
    if (state.filters.search.trim() !== "") query.set("search", state.filters.search.trim())
    if (state.filters.status !== "") query.set("status", state.filters.status)
    if (state.filters.descending) query.set("descending", "true")
    const [fleet, page] = await Promise.all([api(`${API}/console/fleet`), api(`${API}/console/tenants?${query}`)])
    if (generation === state.generation) renderFleet(fleet, page)
  }
  show(current.view)
}

/** One poll now, then one every POLL_MS; errors say what is wrong and polling goes on. */
const poll = async () => {
  clearTimeout(state.timer)
  if (state.who === null) return
  // A poll started later (a click, a filter) supersedes this one's schedule: one loop at a time.
  const loop = ++state.loop
  try {
    await refresh()
    notice(null)
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      return signOut("This token is no longer accepted (revoked or rotated). Sign in again.")
    }
    if (error instanceof ApiError) notice(`${error.message}${error.details ? ` (${error.details})` : ""}`)
    else notice("Cannot reach ordersync; retrying…")
  }
  if (loop === state.loop && state.who !== null) state.timer = setTimeout(poll, POLL_MS)
}

// ---- Fleet ----

const FLEET_CARDS = [
  ["tenants", "Tenants", (f) => count(f.tenants)],
  ["in_progress", "In progress", (f) => count(f.byStatus.in_progress)],
  ["success", "Success", (f) => count(f.byStatus.success)],
  ["failed", "Failed", (f) => count(f.byStatus.failed)],
  ["paused", "Paused", (f) => count(f.byStatus.paused)],
  ["parked", "Parked", (f) => count(f.byStatus.parked)],
  ["orders", "Orders stored", (f) => count(f.ordersStored)],
  ["opm", "Orders / min", (f) => count(Math.round(f.ordersPerMinute))],
  ["rpm", "Requests / min", (f) => count(Math.round(f.requestsPerMinute * 10) / 10)],
  ["throttled", "429s", (f) => count(f.throttledRequests)],
  ["quarantined", "Quarantined", (f) => count(f.quarantinedOrders)]
]

/** A row of labelled figures, built once and updated in place. */
const cards = (container, specs, data) => {
  for (const [key, label, value] of specs) {
    let card = container.querySelector(`[data-key="${key}"]`)
    if (!card) {
      card = el("div", { class: "stat", "data-key": key }, el("span", { class: "stat-label" }, label), el("span", { class: "stat-value" }))
      container.append(card)
    }
    setText(card.lastChild, value(data))
  }
}

const rows = new Map()

const tenantRow = (tenantId) => {
  let row = rows.get(tenantId)
  if (row) return row
  const link = el("a", { href: tenantHref(tenantId) }, tenantId)
  const bar = el("progress", { max: 1000, value: 0, "aria-label": `Coverage of ${tenantId}` })
  row = el(
    "tr",
    { "data-tenant": tenantId },
    el("th", { scope: "row" }, link),
    el("td", {}, el("span", { class: "badge" })),
    el("td", { class: "coverage" }, bar, el("span", { class: "pct" })),
    el("td", { class: "num" }),
    el("td", { class: "num" }),
    el("td"),
    el("td"),
    el("td"),
    el("td"),
    el("td", { class: "last-error" })
  )
  rows.set(tenantId, row)
  return row
}

const renderFleet = (fleet, page) => {
  cards($("fleet-cards"), FLEET_CARDS, fleet)

  const replicas = $("replicas")
  const signature = JSON.stringify(fleet.replicas)
  if (replicas.dataset.signature !== signature) {
    replicas.dataset.signature = signature
    replicas.replaceChildren(
      ...(fleet.replicas.length === 0
        ? [el("li", {}, "No live replica")]
        : fleet.replicas.map((r) => el("li", {}, el("span", { class: "mono" }, r.owner), ` holds ${count(r.tenants)} tenant${r.tenants === 1 ? "" : "s"}`)))
    )
  }

  const body = $("tenants").tBodies[0]
  const wanted = page.tenants.map((status) => {
    const row = tenantRow(status.tenantId)
    const cells = row.cells
    const badge = cells[1].firstChild
    setText(badge, statusLabel(status.initialBackfillStatus))
    badge.className = statusClass(status.initialBackfillStatus)
    const bar = cells[2].firstChild
    bar.value = Math.round(status.progress.coverage * 1000)
    setText(cells[2].lastChild, percent(status.progress.coverage))
    setText(cells[3], count(status.ordersCount))
    setText(cells[4], status.progress.requestsPer100Orders ?? "–")
    setText(cells[5], etaOf(status))
    setText(cells[6], historyLabel(status.progress.historySource))
    setText(cells[7], status.leaseHolder ?? "–")
    setText(cells[8], ago(status.lastSyncAt))
    const error = status.lastError ?? ""
    setText(cells[9], error.length > 80 ? `${error.slice(0, 80)}…` : error)
    cells[9].title = error
    return row
  })
  if (wanted.length === 0) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 10 }, "No tenant matches.")))
  } else if (wanted.some((row, i) => body.rows[i] !== row) || body.rows.length !== wanted.length) {
    body.replaceChildren(...wanted)
  }
  for (const id of rows.keys()) if (!page.tenants.some((t) => t.tenantId === id)) rows.delete(id)

  state.total = page.total
  const first = page.total === 0 ? 0 : page.offset + 1
  setText($("page-info"), `${count(first)}–${count(page.offset + page.tenants.length)} of ${count(page.total)}`)
  $("prev").disabled = page.offset === 0
  $("next").disabled = page.nextOffset === null
}

// ---- Tenant ----

const TENANT_CARDS = [
  ["coverage", "Coverage", (s) => percent(s.progress.coverage)],
  ["orders", "Orders stored", (s) => count(s.ordersCount)],
  ["items", "Items stored", (s) => count(s.itemsCount)],
  ["windows", "Windows", (s) => `${count(s.progress.windowsDone)} / ${count(s.progress.windowsTotal)}`],
  ["requests", "Requests", (s) => count(s.progress.requests)],
  ["per100", "Req / 100 orders", (s) => s.progress.requestsPer100Orders ?? "–"],
  ["throttled", "429s", (s) => count(s.progress.throttledRequests)],
  ["opm", "Orders / active min", (s) => count(s.progress.ordersPerMinute)],
  ["eta", "ETA", etaOf],
  ["quarantined", "Quarantined", (s) => count(s.progress.quarantinedOrders)]
]

const renderCoverage = (status, windows) => {
  const chart = $("coverage-chart")
  const start = Date.parse(status.progress.rangeStart ?? "")
  const end = Date.parse(status.progress.rangeEnd ?? "")
  const done = windows.filter((w) => w.status === "done").length
  const label = Number.isNaN(start)
    ? "No backfill yet"
    : `${percent(status.progress.coverage)} of ${status.progress.rangeStart.slice(0, 10)} to ${status.progress.rangeEnd.slice(0, 10)} covered: ` +
      `${done} window${done === 1 ? "" : "s"} stored, ${windows.length - done} in flight or waiting`
  const signature = JSON.stringify([label, windows])
  if (chart.dataset.signature === signature) return
  chart.dataset.signature = signature
  const image = svg("svg", { viewBox: "0 0 1000 48", preserveAspectRatio: "none", role: "img", "aria-label": label, class: "strip" })
  const title = svg("title")
  title.textContent = label
  image.append(title, svg("rect", { x: 0, y: 8, width: 1000, height: 32, class: "strip-bg" }))
  if (!Number.isNaN(start)) {
    const span = Math.max(1, end - start)
    const x = (iso) => Math.min(1000, Math.max(0, ((Date.parse(iso) - start) / span) * 1000))
    for (const w of windows) {
      const left = x(w.startAt)
      const width = Math.max(1, x(w.endAt) - left)
      image.append(svg("rect", { x: left, y: 8, width, height: 32, class: "strip-window" }))
      if (w.coveredUntil) {
        const covered = Math.max(0.5, x(w.coveredUntil) - left)
        image.append(svg("rect", { x: left, y: 8, width: Math.min(width, covered), height: 32, class: w.status === "done" ? "strip-done" : "strip-flight" }))
      }
    }
  }
  chart.replaceChildren(image, el("p", { class: "chart-caption" }, label))
}

const renderThroughput = (status) => {
  const samples = state.samples.get(status.tenantId) ?? []
  state.samples.set(status.tenantId, samples)
  const now = Date.now()
  const last = samples[samples.length - 1]
  if (!last || now - last.at >= POLL_MS / 2) {
    samples.push({ at: now, orders: status.progress.ordersFetched, requests: status.progress.requests, throttled: status.progress.throttledRequests })
    if (samples.length > SAMPLES_KEPT) samples.shift()
  }
  const rates = samples.slice(1).map((s, i) => {
    const before = samples[i]
    const minutes = Math.max(1e-6, (s.at - before.at) / 60_000)
    return {
      orders: Math.max(0, (s.orders - before.orders) / minutes),
      requests: Math.max(0, (s.requests - before.requests) / minutes),
      throttled: Math.max(0, s.throttled - before.throttled)
    }
  })
  const latest = rates[rates.length - 1]
  const label = latest
    ? `Latest: ${count(Math.round(latest.orders))} orders/min, ${count(Math.round(latest.requests))} requests/min; ` +
      `${count(status.progress.throttledRequests)} 429s in this run`
    : "Measuring: the chart fills while this page stays open"
  const image = svg("svg", { viewBox: "0 0 1000 120", preserveAspectRatio: "none", role: "img", "aria-label": label, class: "spark" })
  const title = svg("title")
  title.textContent = label
  image.append(title, svg("rect", { x: 0, y: 0, width: 1000, height: 120, class: "spark-bg" }))
  if (rates.length > 1) {
    const peak = Math.max(1, ...rates.map((r) => Math.max(r.orders, r.requests)))
    const step = 1000 / (SAMPLES_KEPT - 1)
    const offset = 1000 - (rates.length - 1) * step
    const line = (key) => rates.map((r, i) => `${(offset + i * step).toFixed(1)},${(115 - (r[key] / peak) * 105).toFixed(1)}`).join(" ")
    image.append(svg("polyline", { points: line("orders"), class: "spark-orders" }), svg("polyline", { points: line("requests"), class: "spark-requests" }))
    rates.forEach((r, i) => {
      if (r.throttled > 0) image.append(svg("rect", { x: offset + i * step - 2, y: 0, width: 4, height: 8, class: "spark-429" }))
    })
  }
  const legend = el(
    "p",
    { class: "chart-caption" },
    el("span", { class: "key key-orders" }, "orders/min"),
    " ",
    el("span", { class: "key key-requests" }, "requests/min"),
    " ",
    el("span", { class: "key key-429" }, "429"),
    ` · ${label}`
  )
  $("throughput-chart").replaceChildren(image, legend)
}

// Amazon writes the seller's whole region into an order report: the other marketplaces' orders are counted, not stored.
const reportsFact = (reports) =>
  reports
    ? `${reports.done}/${reports.windows} done, ${reports.fallback} to the Orders API; ${reports.ordersStored} orders stored, ` +
      `${reports.ordersDropped ?? 0} of other marketplaces left out`
    : "–"

const renderFacts = (detail) => {
  const s = detail.status
  const facts = [
    ["Delta cursor", s.cursor ?? "–"],
    ["Last sync", s.lastSyncAt ? `${s.lastSyncAt} (${ago(s.lastSyncAt)})` : "never"],
    ["Lease holder", s.leaseHolder ?? "–"],
    ["Backfill started", s.progress.startedAt ?? "–"],
    ["Backfill done", s.initialBackfillDoneAt ?? "–"],
    ["Range", s.progress.rangeStart ? `${s.progress.rangeStart} → ${s.progress.rangeEnd}` : "–"],
    ["History path", s.progress.historySource ? `${historyLabel(s.progress.historySource)}: ${s.progress.historyReason ?? ""}` : "–"],
    ["Reports", reportsFact(s.progress.reports)],
    ["Oldest order", s.oldestOrderDate ?? "–"],
    ["Parked", detail.parkedReason ?? "no"]
  ]
  const list = $("tenant-facts")
  const signature = JSON.stringify(facts)
  if (list.dataset.signature === signature) return
  list.dataset.signature = signature
  list.replaceChildren(...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]))
}

const prettyJson = (text) => {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

const renderQuarantine = (detail) => {
  const body = $("quarantine").tBodies[0]
  const signature = JSON.stringify([detail.status.tenantId, detail.quarantinedTotal, detail.quarantined[0]?.at])
  if (body.dataset.signature === signature) return
  body.dataset.signature = signature
  setText(
    $("quarantine-summary"),
    detail.quarantinedTotal === 0
      ? "None: every order decoded."
      : `${count(detail.quarantinedTotal)} order${detail.quarantinedTotal === 1 ? "" : "s"} did not decode; the newest ${detail.quarantined.length} below.`
  )
  $("quarantine").parentElement.hidden = detail.quarantinedTotal === 0
  body.replaceChildren(
    ...detail.quarantined.map((q) =>
      el(
        "tr",
        {},
        el("td", { class: "mono" }, q.externalOrderId ?? "(no id)"),
        el("td", {}, q.error),
        el("td", {}, el("details", {}, el("summary", {}, "Show JSON"), el("pre", { class: "raw" }, prettyJson(q.raw))))
      )
    )
  )
}

const orDash = (value) => value ?? "–"
const money = (amount, currency) => (amount === null ? "–" : currency ? `${amount} ${currency}` : amount)
/** An ISO time as "2026-01-05 12:34 UTC" in a <time>. */
const timeCell = (iso) => (iso ? el("time", { datetime: iso }, `${iso.slice(0, 16).replace("T", " ")} UTC`) : "–")

const ITEM_COLUMNS = [
  ["SKU", (i) => orDash(i.sku), "mono"],
  ["ASIN", (i) => orDash(i.asin), "mono"],
  ["Title", (i) => orDash(i.title), "title"],
  ["Quantity", (i) => count(i.quantity), "num"],
  ["Shipped", (i) => count(i.quantityShipped), "num"],
  ["Status", (i) => orDash(i.itemStatus), ""],
  ["Item price", (i) => orDash(i.itemPrice), "num"],
  ["Tax", (i) => orDash(i.itemTax), "num"],
  ["Shipping", (i) => orDash(i.shippingPrice), "num"],
  ["Shipping tax", (i) => orDash(i.shippingTax), "num"],
  ["Promotion", (i) => orDash(i.promotionDiscount), "num"],
  ["Currency", (i) => orDash(i.currency), ""]
]

const itemsTable = (order) =>
  order.items.length === 0
    ? el("p", { class: "muted" }, "No items stored for this order (its source carried none).")
    : el(
      "div",
      // Scrolls sideways on a narrow screen: focusable, so that a keyboard can scroll it too.
      { class: "items-wrap", role: "region", tabindex: 0, "aria-label": `Items of order ${order.externalOrderId}` },
      el(
        "table",
        { class: "items", "aria-label": `Items of order ${order.externalOrderId}` },
        el("thead", {}, el("tr", {}, ...ITEM_COLUMNS.map(([label, , cls]) => el("th", { scope: "col", class: cls === "num" ? "num" : null }, label)))),
        el("tbody", {}, ...order.items.map((item) => el("tr", {}, ...ITEM_COLUMNS.map(([, value, cls]) => el("td", { class: cls || null }, value(item))))))
      )
    )

/** The newest orders, each a row whose button opens its items in the row below (kept open across polls). */
const renderOrders = (status, orders) => {
  const body = $("orders").tBodies[0]
  const signature = JSON.stringify([status.tenantId, orders])
  if (body.dataset.signature === signature) return
  body.dataset.signature = signature
  setText(
    $("orders-summary"),
    orders.length === 0
      ? "No order stored yet."
      : `${orders.length >= status.ordersCount ? "All" : `The ${count(orders.length)} newest of`} ${count(status.ordersCount)} ` +
        `order${status.ordersCount === 1 ? "" : "s"} stored, newest order date first. An order's button opens its items.`
  )
  $("orders").parentElement.hidden = orders.length === 0
  // A poll that brings new orders rebuilds the rows: the button that had the focus keeps it.
  const focused = body.contains(document.activeElement) ? document.activeElement.dataset.key : undefined
  body.replaceChildren(
    ...orders.flatMap((order, index) => {
      const key = JSON.stringify([status.tenantId, order.externalOrderId])
      const open = state.openOrders.has(key)
      const id = `order-items-${index}`
      const n = order.items.length
      const toggle = el(
        "button",
        { type: "button", class: "link", "aria-expanded": String(open), "aria-controls": id, "data-key": key },
        `${count(n)} item${n === 1 ? "" : "s"}`
      )
      const items = el("tr", { id, class: "items-row", hidden: !open }, el("td", { colspan: 5 }, itemsTable(order)))
      toggle.addEventListener("click", () => {
        const opening = !state.openOrders.has(key)
        if (opening) state.openOrders.add(key)
        else state.openOrders.delete(key)
        toggle.setAttribute("aria-expanded", String(opening))
        items.hidden = !opening
      })
      return [
        el(
          "tr",
          { "data-order": order.externalOrderId },
          el("th", { scope: "row", class: "mono" }, order.externalOrderId),
          el("td", {}, timeCell(order.orderDate)),
          el("td", {}, orDash(order.orderStatus)),
          el("td", { class: "num" }, money(order.totalAmount, order.currency)),
          el("td", {}, toggle)
        ),
        items
      ]
    })
  )
  if (focused !== undefined) [...body.querySelectorAll("button[data-key]")].find((b) => b.dataset.key === focused)?.focus()
}

const renderActions = (status) => {
  const running = status.initialBackfillStatus === "in_progress"
  const enabled = {
    run: !running,
    restart: true,
    pause: running,
    resume: status.initialBackfillStatus === "paused" || status.initialBackfillStatus === "failed",
    delta: status.initialBackfillDoneAt !== null
  }
  for (const button of document.querySelectorAll("[data-action]")) button.disabled = !enabled[button.dataset.action]
}

let shownTenant = null

const renderTenant = (detail) => {
  const s = detail.status
  if (shownTenant !== s.tenantId) {
    shownTenant = s.tenantId
    setText($("action-result"), "")
    document.title = `${s.tenantId} · ordersync console`
  }
  setText($("tenant-title"), s.tenantId)
  const badge = $("tenant-status")
  setText(badge, statusLabel(s.initialBackfillStatus))
  badge.className = statusClass(s.initialBackfillStatus)
  setText($("tenant-summary"), s.initialBackfillDays ? `${s.initialBackfillDays}-day backfill` : "no backfill yet")
  cards($("tenant-cards"), TENANT_CARDS, s)
  renderCoverage(s, detail.windows)
  renderThroughput(s)
  renderFacts(detail)
  setText($("tenant-error"), s.lastError ?? "None")
  renderQuarantine(detail)
  renderActions(s)
}

// ---- Actions ----

const confirmAction = (text) =>
  new Promise((resolve) => {
    const dialog = $("confirm")
    setText($("confirm-text"), text)
    dialog.returnValue = ""
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true })
    dialog.showModal()
    $("confirm-ok").focus()
  })

const ACTIONS = {
  run: (tenantId, days) => ({ path: "/backfill/run", body: { tenantId, days }, ask: `Run a ${days}-day backfill of tenant "${tenantId}"?`, done: "Backfill requested." }),
  restart: (tenantId, days) => ({
    path: "/backfill/run",
    body: { tenantId, days, restart: true },
    ask: `Start the ${days}-day backfill of tenant "${tenantId}" over from the beginning? Stored orders stay.`,
    done: "Restart requested."
  }),
  pause: (tenantId) => ({ path: "/backfill/pause", body: { tenantId }, ask: `Pause the backfill of tenant "${tenantId}"?`, done: "Paused." }),
  resume: (tenantId) => ({ path: "/backfill/resume", body: { tenantId }, ask: `Resume tenant "${tenantId}"?`, done: "Resumed." }),
  delta: (tenantId) => ({ path: "/delta/run", body: { tenantId }, ask: `Run a delta sync of tenant "${tenantId}" now?`, done: "Delta sync requested." })
}

const act = async (name) => {
  const current = route()
  if (current.view !== "tenant") return
  const days = Number($("run-days").value)
  if ((name === "run" || name === "restart") && !(Number.isInteger(days) && days >= 1 && days <= 730)) {
    return setText($("action-result"), "Days must be a whole number from 1 to 730.")
  }
  const action = ACTIONS[name](current.tenantId, days)
  if (!(await confirmAction(action.ask))) return
  try {
    const status = await api(`${API}${action.path}`, action.body)
    setText($("action-result"), `${action.done} Status: ${statusLabel(status.initialBackfillStatus)}.`)
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signOut("This token is no longer accepted. Sign in again.")
    setText($("action-result"), `Not done: ${error.message}${error.details ? ` (${error.details})` : ""}`)
  }
  await poll()
}

// ---- Wiring ----

const start = async () => {
  if (sessionStorage.getItem(TOKEN_KEY) === null) return signOut()
  if (state.who === null && !(await identify())) return
  await poll()
}

$("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault()
  const token = $("token").value.trim()
  if (token === "") return setText($("sign-in-error"), "Enter a token.")
  sessionStorage.setItem(TOKEN_KEY, token)
  setText($("sign-in-error"), "")
  void start()
})

$("sign-out").addEventListener("click", () => signOut("Signed out."))

let searchTimer = null
const filtersChanged = () => {
  state.filters = {
    search: $("search").value,
    status: $("status").value,
    sort: $("sort").value,
    descending: $("descending").checked
  }
  state.offset = 0
  void poll()
}
$("filters").addEventListener("submit", (event) => event.preventDefault())
$("search").addEventListener("input", () => {
  clearTimeout(searchTimer)
  searchTimer = setTimeout(filtersChanged, 250)
})
for (const id of ["status", "sort", "descending"]) $(id).addEventListener("change", filtersChanged)
$("prev").addEventListener("click", () => {
  state.offset = Math.max(0, state.offset - PAGE_SIZE)
  void poll()
})
$("next").addEventListener("click", () => {
  if (state.offset + PAGE_SIZE < state.total) state.offset += PAGE_SIZE
  void poll()
})
for (const button of document.querySelectorAll("[data-action]")) {
  button.addEventListener("click", () => void act(button.dataset.action))
}

window.addEventListener("hashchange", () => {
  if (route().view === "fleet") document.title = "ordersync console"
  void start().then(() => {
    const heading = route().view === "tenant" ? $("tenant-title") : $("fleet-title")
    heading.tabIndex = -1
    heading.focus()
  })
})

void start()
