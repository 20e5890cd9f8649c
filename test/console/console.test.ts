import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { ConfigProvider, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ApiTokens } from "../../src/Services/Store/ApiTokens.js"
import { SqlFromUrl } from "../../src/Services/Store/Database.js"
import { Tenants } from "../../src/Services/Store/Tenants.js"
import { freshDatabaseUrl } from "../support/Database.js"
import { eventually, ordersync, repoRoot, type Running } from "../support/Process.js"
import { type Browser, freePort, openBrowser, requireChromium, seriousViolations, type Tab } from "./support.js"

const ADMIN = "console-admin-token-0123456789abcdef"
const SECRET = "console-test-secret"
const OUTPUT = path.join(repoRoot, "test/output")

const HOSTILE_ID = "<img src=x onerror=alert(1)>"
const HOSTILE_ERROR = "<script>alert(2)</script> and <img src=x onerror=alert(3)> from Amazon"
const HOSTILE_RAW = { AmazonOrderId: "<script>alert(4)</script>", OrderStatus: "<img src=x onerror=alert(5)>" }

/** A refused token makes the page load one 401/403 on purpose: Chromium reports it; nothing else may appear. */
const unexpected = (problems: ReadonlyArray<string>, allowed: ReadonlyArray<401 | 403> = []) =>
  problems.filter((p) => !allowed.some((status) => p.includes(`the server responded with a status of ${status}`)))

let serve: Running
let base: string
let browser: Browser
let db: ManagedRuntime.ManagedRuntime<Tenants | ApiTokens | SqlClient.SqlClient, never>
const tabs: Array<Tab> = []

const query = <A extends object>(statement: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, unknown>) =>
  db.runPromise(Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.orDie(statement(sql))))

const statusInDatabase = async (tenantId: string) =>
  (await query<{ status: string | null }>((sql) =>
    sql`SELECT "initialBackfillStatus" AS "status" FROM "MarketplaceSyncState" WHERE "tenantId" = ${tenantId}`
  ))[0]?.status ?? null

const signIn = async (token: string): Promise<Tab> => {
  const tab = await browser.tab()
  tabs.push(tab)
  await tab.page.goto(`${base}/`)
  // By keyboard: the token field, typed, Enter.
  await tab.page.getByLabel("API token").focus()
  await tab.page.keyboard.type(token)
  await tab.page.keyboard.press("Enter")
  return tab
}

const rowOf = (page: Page, tenantId: string) =>
  page.getByRole("row").filter({ has: page.getByRole("link", { name: tenantId, exact: true }) })

/** Clicks an action and confirms it in the console's dialog. */
const confirmed = async (page: Page, action: string) => {
  await page.getByRole("button", { name: action, exact: true }).click()
  await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click()
}

describe("the operator console in Chromium, against `ordersync serve` in demo mode", () => {
  beforeAll(async () => {
    requireChromium()
    const databaseUrl = await Effect.runPromise(freshDatabaseUrl("console"))
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    serve = ordersync(["serve", "--demo"], {
      DATABASE_URL: databaseUrl,
      ORDERSYNC_API_TOKEN: ADMIN,
      ORDERSYNC_SECRET_KEY: SECRET,
      ORDERSYNC_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "ordersync-console-")),
      // Slow enough that a person (and this test) sees a backfill move: about half a minute for the largest seller.
      ORDERSYNC_DEMO_TIME_FACTOR: "50",
      ORDERSYNC_POLL_SECONDS: "0.5",
      PORT: String(port)
    })
    await eventually(async () => (await fetch(`${base}/ready`).catch(() => null))?.ok || undefined, {
      timeoutMs: 60_000,
      what: `serve to be ready (log so far: ${serve.output()})`
    })
    expect(serve.stdout()).toContain(`console: ${base}/`)
    db = ManagedRuntime.make(
      Layer.mergeAll(Tenants.Default, ApiTokens.Default).pipe(
        Layer.provideMerge(SqlFromUrl(databaseUrl)),
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["ORDERSYNC_SECRET_KEY", SECRET]])))),
        Layer.orDie
      )
    )
    browser = await openBrowser()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await db?.dispose()
    if (serve && serve.child.exitCode === null) {
      serve.child.kill("SIGTERM")
      await serve.exited
    }
  })

  it("is served at / with a strict Content-Security-Policy and no inline script", async () => {
    const response = await fetch(`${base}/`)
    expect(response.status).toBe(200)
    const csp = response.headers.get("content-security-policy") ?? ""
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain("unsafe-inline")
    expect(response.headers.get("x-frame-options")).toBe("DENY")
    const html = await response.text()
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/)
    expect(html).not.toMatch(/\sstyle=|<style/)
    for (const asset of ["/console/app.js", "/console/app.css", "/console/icon.svg"]) {
      expect((await fetch(`${base}${asset}`)).status).toBe(200)
    }
  })

  it("exports no metric without a description on /metrics", async () => {
    const text = await (await fetch(`${base}/metrics`)).text()
    expect(text).toContain("# HELP effect_fiber_active ")
    expect(text).not.toContain("description missing")
    expect(text.split("\n").filter((line) => /^# HELP \S+\s*$/.test(line))).toEqual([])
  })

  it("signs in; the demo tenants appear and their progress moves without a reload", async () => {
    const { page } = await signIn(ADMIN)
    await expect.poll(() => page.locator("#who").textContent()).toBe("Signed in as admin")
    for (const id of ["demo-seller-1", "demo-seller-2", "demo-seller-3"]) await rowOf(page, id).waitFor()
    await page.evaluate("window.sameDocument = true")
    const coverage = () => rowOf(page, "demo-seller-1").locator(".pct").textContent()
    const first = await coverage()
    await expect.poll(coverage, { timeout: 30_000 }).not.toBe(first)
    expect(await page.evaluate("window.sameDocument")).toBe(true)
    fs.mkdirSync(OUTPUT, { recursive: true })
    await page.screenshot({ path: path.join(OUTPUT, "console-fleet.png") })
    // The smallest seller's backfill ends in success, on the page and in the database.
    await expect.poll(() => rowOf(page, "demo-seller-3").locator(".badge").textContent(), { timeout: 60_000 }).toBe("success")
    expect(await statusInDatabase("demo-seller-3")).toBe("success")
  }, 120_000)

  it("pauses from the page (the database says paused), resumes, and the backfill finishes", async () => {
    const { page } = tabs[0]!
    await rowOf(page, "demo-seller-1").getByRole("link").click()
    await expect.poll(() => page.locator("#tenant-title").textContent()).toBe("demo-seller-1")
    if ((await statusInDatabase("demo-seller-1")) === "success") {
      // Finished before we got here (a fast machine): start it over, so that there is a run to pause.
      await confirmed(page, "Restart")
      await expect.poll(() => statusInDatabase("demo-seller-1"), { timeout: 20_000 }).toBe("in_progress")
    }
    await confirmed(page, "Pause")
    await expect.poll(() => statusInDatabase("demo-seller-1"), { timeout: 30_000 }).toBe("paused")
    await expect.poll(() => page.locator("#tenant-status").textContent(), { timeout: 5_000 }).toBe("paused")
    const pausedAt = await page.locator("#tenant-cards [data-key=coverage] .stat-value").textContent()
    await page.screenshot({ path: path.join(OUTPUT, "console-tenant.png") })
    await confirmed(page, "Resume")
    await expect.poll(() => statusInDatabase("demo-seller-1"), { timeout: 90_000, interval: 500 }).toBe("success")
    await expect.poll(() => page.locator("#tenant-status").textContent(), { timeout: 5_000 }).toBe("success")
    expect(pausedAt).not.toBe("100%")
    await expect.poll(() => page.locator("#tenant-cards [data-key=coverage] .stat-value").textContent()).toBe("100%")
    // Every demo backfill ends in success.
    await page.getByRole("link", { name: "← All tenants" }).click()
    await expect.poll(() => page.locator("[data-key=success] .stat-value").textContent(), { timeout: 60_000 }).toBe("3")
  }, 180_000)

  it("lists a tenant's newest orders; an order's row opens its items (SKU, quantity) as Amazon has them", async () => {
    const simulatorUrl = /simulated Amazon at (\S+)/.exec(serve.stdout())?.[1]
    expect(simulatorUrl).toBeDefined()
    const truth = (await (await fetch(`${simulatorUrl}/_simulator/sellers/demo-seller-3/ground-truth`)).json()) as {
      orders: ReadonlyArray<{ orderId: string; items: ReadonlyArray<{ sku: string; quantity: number }> }>
    }
    const itemsOf = new Map(truth.orders.map((o) => [o.orderId, o.items]))
    const [stored] = await query<{ n: number }>((sql) => sql`SELECT count(*)::int AS n FROM "OrderItem" WHERE "tenantId" = 'demo-seller-3'`)

    const { page, problems } = tabs[0]!
    await page.goto(`${base}/#/tenant/demo-seller-3`)
    await expect.poll(() => page.locator("#tenant-title").textContent()).toBe("demo-seller-3")
    await expect.poll(() => page.locator("#tenant-cards [data-key=items] .stat-value").textContent()).toBe(stored!.n.toLocaleString("en-US"))
    const listed = page.locator("#orders tbody tr[data-order]")
    await listed.first().waitFor()
    expect(await listed.count()).toBeGreaterThan(0)
    expect(await listed.count()).toBeLessThanOrEqual(20)
    // The order of the list with the most items (two or more for the demo sellers).
    const ids = await listed.evaluateAll((rows) => rows.map((row) => row.getAttribute("data-order")!))
    const id = ids.reduce((best, next) => ((itemsOf.get(next)?.length ?? 0) > (itemsOf.get(best)?.length ?? 0) ? next : best))
    const wanted = itemsOf.get(id)!
    expect(wanted.length).toBeGreaterThanOrEqual(2)

    const toggle = page.locator(`#orders tbody tr[data-order="${id}"]`).getByRole("button", { name: `${wanted.length} items` })
    expect(await toggle.getAttribute("aria-expanded")).toBe("false")
    await toggle.click()
    expect(await toggle.getAttribute("aria-expanded")).toBe("true")
    const table = page.getByRole("table", { name: `Items of order ${id}` })
    await table.waitFor()
    const rowsShown = () =>
      table.locator("tbody tr").evaluateAll((rows) =>
        rows.map((row) => `${row.children[0]!.textContent} × ${row.children[3]!.textContent}`).sort())
    expect(await rowsShown()).toEqual(wanted.map((i) => `${i.sku} × ${i.quantity}`).sort())
    await table.scrollIntoViewIfNeeded()
    await page.screenshot({ path: path.join(OUTPUT, "console-orders.png") })
    // Still open after the next polls (the page asks again every 1.5 s).
    for (let poll = 0; poll < 2; poll++) await page.waitForResponse((response) => response.url().includes("/console/orders?"))
    expect(await table.isVisible()).toBe(true)
    await toggle.click()
    expect(await table.isVisible()).toBe(false)
    expect(problems).toEqual([])
    await page.getByRole("link", { name: "← All tenants" }).click()
    await page.locator("#fleet").waitFor()
  }, 60_000)

  it("a tenant token sees only its tenant; a wrong or revoked token gets a clear message", async () => {
    const own = await db.runPromise(Effect.flatMap(ApiTokens, (tokens) => tokens.create("demo-seller-2")))
    const tenant = await signIn(Redacted.value(own.token))
    await expect.poll(() => tenant.page.locator("#who").textContent()).toBe("Signed in as tenant demo-seller-2")
    await rowOf(tenant.page, "demo-seller-2").waitFor()
    expect(await tenant.page.locator("#tenants tbody tr").count()).toBe(1)
    expect(await tenant.page.locator("[data-key=tenants] .stat-value").textContent()).toBe("1")
    await tenant.page.goto(`${base}/#/tenant/demo-seller-1`)
    await expect.poll(() => tenant.page.locator("#notice").textContent()).toContain("may not access tenant \"demo-seller-1\"")
    expect(unexpected(tenant.problems, [403])).toEqual([])

    const wrong = await signIn("not-a-token")
    await expect.poll(() => wrong.page.locator("#sign-in-error").textContent()).toContain("This token was refused")
    expect(await wrong.page.getByLabel("API token").isVisible()).toBe(true)
    expect(unexpected(wrong.problems, [401])).toEqual([])

    const revoked = await db.runPromise(Effect.flatMap(ApiTokens, (tokens) =>
      Effect.tap(tokens.create("demo-seller-2"), (t) => tokens.revoke(t.id))))
    const gone = await signIn(Redacted.value(revoked.token))
    await expect.poll(() => gone.page.locator("#sign-in-error").textContent()).toContain("wrong or has been revoked")
    expect(unexpected(gone.problems, [401])).toEqual([])
  }, 60_000)

  it("shows a hostile tenant id, lastError and quarantined order as text, and runs none of it", async () => {
    await db.runPromise(Effect.flatMap(Tenants, (tenants) =>
      tenants.add({
        tenantId: HOSTILE_ID,
        region: "na",
        marketplaceIds: ["ATVPDKIKX0DER"],
        sellingPartnerId: null,
        refreshToken: Redacted.make("Atzr|nobody-amazon-knows")
      })))
    // Amazon refuses the token, so the daemon parks the tenant; then its error and a quarantined order turn hostile.
    await expect.poll(() => statusInDatabase(HOSTILE_ID), { timeout: 30_000 }).toBe("failed")
    await query((sql) => sql`UPDATE "MarketplaceSyncState" SET "lastError" = ${HOSTILE_ERROR} WHERE "tenantId" = ${HOSTILE_ID}`)
    await query((sql) =>
      sql`INSERT INTO "OrderSyncQuarantine" ("tenantId", "externalOrderId", "rawHash", "raw", "error")
        VALUES (${HOSTILE_ID}, ${HOSTILE_RAW.AmazonOrderId}, 'hash', ${JSON.stringify(HOSTILE_RAW)}::jsonb, ${HOSTILE_ERROR})`
    )

    const { page, problems } = tabs[0]!
    await page.getByLabel("Search").fill("<img")
    const row = rowOf(page, HOSTILE_ID)
    await row.waitFor()
    await expect.poll(() => row.locator(".last-error").getAttribute("title")).toBe(HOSTILE_ERROR)
    await row.getByRole("link").click()
    await expect.poll(() => page.locator("#tenant-title").textContent()).toBe(HOSTILE_ID)
    await expect.poll(() => page.locator("#tenant-error").textContent()).toBe(HOSTILE_ERROR)
    await page.locator("#quarantine summary").first().click()
    expect(await page.locator("#quarantine pre").first().textContent()).toContain(HOSTILE_RAW.AmazonOrderId)
    expect(await page.locator("#quarantine tbody td").first().textContent()).toBe(HOSTILE_RAW.AmazonOrderId)

    // Nothing became markup: no image, no script but the console's own, no dialog, no error.
    expect(await page.locator("img").count()).toBe(0)
    expect(await page.locator("script").count()).toBe(1)
    expect(problems).toEqual([])
    await page.getByRole("link", { name: "← All tenants" }).click()
    await page.getByLabel("Search").fill("")
  }, 60_000)

  it("passes axe-core (no serious or critical violation) on both views, light and dark, and fits a phone", async () => {
    // (The screenshots under test/output/ were taken above, while the backfills ran.)
    const { page, problems } = tabs[0]!
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      for (const view of ["#/", "#/tenant/demo-seller-1"]) {
        await page.goto(`${base}/${view}`)
        await page.locator(view === "#/" ? "#tenants tbody th" : "#tenant-facts dt").first().waitFor()
        if (view !== "#/") {
          // An order's items open, so that their table is checked too.
          const toggle = page.locator("#orders tbody button[aria-expanded]").first()
          if ((await toggle.getAttribute("aria-expanded")) === "false") await toggle.click()
          await page.locator("#orders table.items").first().waitFor()
        }
        expect({ scheme, view, violations: await seriousViolations(page) }).toEqual({ scheme, view, violations: [] })
      }
    }

    await page.setViewportSize({ width: 390, height: 844 })
    for (const view of ["#/", "#/tenant/demo-seller-1"]) {
      await page.goto(`${base}/${view}`)
      await page.locator(view === "#/" ? "#tenants tbody th" : "#tenant-facts dt").first().waitFor()
      expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390)
    }
    await page.setViewportSize({ width: 1280, height: 800 })
    expect(problems).toEqual([])
  }, 90_000)
})
