import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { defaultLookup, findChromium } from "./chromium.js"
import { openBrowser } from "./support.js"

const nowhere = path.join(os.tmpdir(), "ordersync-no-chromium-here", "chromium")
const packageDir = defaultLookup().packageDir

const page = `<!doctype html><html lang="en"><title>ordersync</title>
<h1>Backfills</h1><p id="rendered"></p><script>document.getElementById("rendered").textContent = "ran " + (6 * 7)</script>`

const server = http.createServer((_request, response) => {
  response.writeHead(200, { "content-type": "text/html; charset=utf-8" })
  response.end(page)
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe("the console tests' Chromium comes with `npm ci`", () => {
  it("is installed: @sparticuz/chromium, pinned, ships its browser inside the tarball", () => {
    expect(packageDir, "npm ci installs the devDependency @sparticuz/chromium").toBeDefined()
    const manifest = JSON.parse(fs.readFileSync(path.join(packageDir!, "package.json"), "utf8")) as { version: string }
    const ours = JSON.parse(fs.readFileSync(path.resolve(packageDir!, "../../../package.json"), "utf8")) as {
      devDependencies: Record<string, string>
    }
    expect(ours.devDependencies["@sparticuz/chromium"]).toBe(manifest.version)
    expect(fs.statSync(path.join(packageDir!, "bin", "chromium.br")).size).toBeGreaterThan(10_000_000)
  })

  it("with CHROMIUM_PATH unset and no system Chromium, resolves to the packaged one, launches it headless and renders a page", async () => {
    const found = findChromium({ chromiumPath: undefined, systemPath: nowhere, packageDir })
    expect(found.source).toBe("package")
    expect(found.executablePath).toMatch(/node_modules\/\.cache\/ordersync-chromium\/[\d.]+\/chromium$/)
    expect(fs.statSync(found.executablePath).mode & 0o111).not.toBe(0)
    // Its own NSS: nothing the browser loads has to come from apt.
    expect(found.env.LD_LIBRARY_PATH?.split(":")[0]).toBe(path.join(path.dirname(found.executablePath), "al2023", "lib"))
    expect(fs.existsSync(path.join(found.env.LD_LIBRARY_PATH!.split(":")[0]!, "libnss3.so"))).toBe(true)

    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const { port } = server.address() as AddressInfo
    const browser = await openBrowser(found)
    try {
      const tab = await browser.tab()
      await tab.page.goto(`http://127.0.0.1:${port}/`)
      expect(await tab.page.getByRole("heading", { level: 1 }).textContent()).toBe("Backfills")
      expect(await tab.page.locator("#rendered").textContent()).toBe("ran 42")
      const version = await tab.page.evaluate<string>("navigator.userAgent")
      const manifest = JSON.parse(fs.readFileSync(path.join(packageDir!, "package.json"), "utf8")) as { version: string }
      expect(version).toContain(`Chrome/${manifest.version.split(".")[0]}.`)
      expect((await tab.page.screenshot()).length).toBeGreaterThan(1000)
      expect(tab.problems).toEqual([])
    } finally {
      await browser.close()
    }
  })

  it("a second lookup reuses the inflated browser rather than writing it again", () => {
    const first = findChromium({ chromiumPath: undefined, systemPath: nowhere, packageDir })
    const before = fs.statSync(first.executablePath).mtimeMs
    const second = findChromium({ chromiumPath: undefined, systemPath: nowhere, packageDir })
    expect(second.executablePath).toBe(first.executablePath)
    expect(fs.statSync(second.executablePath).mtimeMs).toBe(before)
  })

  it("CHROMIUM_PATH, when set, wins; set to a missing file, it fails saying so rather than using another browser", () => {
    const chosen = findChromium({ chromiumPath: undefined, systemPath: nowhere, packageDir }).executablePath
    expect(findChromium({ chromiumPath: chosen, systemPath: nowhere, packageDir })).toEqual({
      executablePath: chosen,
      source: "CHROMIUM_PATH",
      env: {}
    })
    expect(() => findChromium({ chromiumPath: nowhere, systemPath: nowhere, packageDir })).toThrow(
      `CHROMIUM_PATH is ${nowhere}, and no file is there`
    )
  })

  it("without the package, a system Chromium is used; with neither, the error says how to get one", () => {
    const binary = findChromium({ chromiumPath: undefined, systemPath: nowhere, packageDir }).executablePath
    expect(findChromium({ chromiumPath: undefined, systemPath: binary, packageDir: undefined }).source).toBe("system")
    expect(() => findChromium({ chromiumPath: undefined, systemPath: nowhere, packageDir: undefined })).toThrow(
      /npm ci.*@sparticuz\/chromium.*CHROMIUM_PATH/
    )
  })
})
