import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { type BrowserContext, chromium, type ConsoleMessage, type Page } from "playwright-core"
import { findChromium, type FoundChromium } from "./chromium.js"

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

let found: FoundChromium | undefined

/** The browser the tests drive (see chromium.ts for the order); fails (never skips) without one, saying how to get one. */
export const requireChromium = (): FoundChromium => (found ??= findChromium())

export interface Tab {
  readonly page: Page
  /** Console errors, uncaught exceptions and dialogs seen on this page so far. */
  readonly problems: Array<string>
}

export interface Browser {
  /** A new tab at 1280×800 (its own sessionStorage, so its own sign-in), watched for problems. */
  readonly tab: () => Promise<Tab>
  readonly close: () => Promise<void>
}

const watch = (page: Page): Tab => {
  const problems: Array<string> = []
  page.on("console", (message: ConsoleMessage) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`)
  })
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
  // Any alert/confirm/prompt would be injected markup running: the console itself never opens one.
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`)
    void dialog.dismiss()
  })
  return { page, problems }
}

const inheritedEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined))

/** A fresh Chromium with its own user-data-dir. */
export const openBrowser = async (browser: FoundChromium = requireChromium()): Promise<Browser> => {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ordersync-chromium-"))
  const context: BrowserContext = await chromium.launchPersistentContext(userDataDir, {
    executablePath: browser.executablePath,
    env: { ...inheritedEnv(), ...browser.env },
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 }
  })
  return {
    tab: async () => watch(await context.newPage()),
    close: async () => {
      await context.close()
      fs.rmSync(userDataDir, { recursive: true, force: true })
    }
  }
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8")

export interface AxeViolation {
  readonly id: string
  readonly impact: string | null
  readonly help: string
  readonly nodes: number
}

/** axe-core's serious and critical violations on the page as it is now (evaluated through DevTools, not a script tag). */
export const seriousViolations = async (page: Page): Promise<ReadonlyArray<AxeViolation>> => {
  await page.evaluate(axeSource)
  const violations = await page.evaluate<ReadonlyArray<AxeViolation>>(`axe.run(document, { resultTypes: ["violations"] })
    .then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })))`)
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical")
}

/** A TCP port free at the moment of asking. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })
