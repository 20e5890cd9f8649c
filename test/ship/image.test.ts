import * as crypto from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshDatabaseUrl } from "../support/Database.js"
import { eventually, repoRoot } from "../support/Process.js"
import { layOut, stages } from "./dockerfile.js"
import { freePort, start, statusOf } from "./support.js"

// No Docker engine here: the runtime stage's files are laid out as its COPY lines say, and its ENTRYPOINT, CMD, ENV
// and USER are used as the container would use them. Only the dependencies are this checkout's (npm ci is not run).
describe("the image's runtime stage, laid out from the Dockerfile", () => {
  const all = stages()
  const runtime = all.find((s) => s.name === "runtime") ?? all[all.length - 1]!
  let root: string
  let app: string
  // The base image's `node` user is uid 1000; any unprivileged one shows the files need no more than reading.
  const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
  const run = (args: ReadonlyArray<string>, env: Record<string, string>) =>
    start(runtime.entrypoint[0] === "node" ? process.execPath : runtime.entrypoint[0]!, [...runtime.entrypoint.slice(1), ...args], {
      ...runtime.env,
      ...env
    }, app, user)
  const secrets = {
    LWA_CLIENT_ID: "amzn1.application-oa2-client.image-test",
    LWA_CLIENT_SECRET: `image-test-${crypto.randomBytes(12).toString("hex")}`,
    ORDERSYNC_SECRET_KEY: crypto.randomBytes(32).toString("base64"),
    ORDERSYNC_API_TOKEN: crypto.randomBytes(32).toString("hex")
  }

  beforeAll(async () => {
    await fs.access(path.join(repoRoot, "dist/src/Main.js")) // built by `npm test` before vitest runs
    root = await fs.mkdtemp(path.join(os.tmpdir(), "ordersync-image-"))
    await fs.chmod(root, 0o755)
    app = path.join(root, "app")
    await fs.mkdir(app)
    layOut(runtime, all, app)
  })

  afterAll(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true })
  })

  it("is on a supported Node LTS line (22 or 24), in both stages", () => {
    for (const stage of all) expect(stage.image, stage.name).toMatch(/^node:(22|24)[.-]/)
  })

  it("holds the console, the build and the migrations, and no sources or tests", async () => {
    const entries = (await fs.readdir(app)).sort()
    expect(entries).toEqual(["bin", "console", "dist", "node_modules", "package-lock.json", "package.json"])
    await fs.access(path.join(app, "console/index.html"))
    await fs.access(path.join(app, "dist/src/Main.js"))
    expect((await fs.readdir(path.join(app, "dist"))).sort()).toEqual(["migrations", "src"])
  })

  it("answers serve --help", async () => {
    const help = run(["serve", "--help"], {})
    expect(await help.exited, help.output()).toBe(0)
    expect(help.output()).toContain("serve")
    expect(help.output()).toContain("LWA_CLIENT_ID")
  })

  it("its CMD and ENV alone never run the demo: serve without credentials refuses to start", async () => {
    const url = await Effect.runPromise(freshDatabaseUrl("image_nocreds"))
    const port = await freePort()
    const refused = run(runtime.cmd, { DATABASE_URL: url, PORT: String(port) })
    expect(await refused.exited, refused.output()).toBe(1)
    expect(refused.output()).toContain("LWA_CLIENT_ID")
    expect(refused.output()).not.toContain("DEMO MODE")
  })

  it("runs its CMD (serve) against PostgreSQL, serving the API and the console, and stops cleanly on SIGTERM", async () => {
    const url = await Effect.runPromise(freshDatabaseUrl("image"))
    const port = await freePort()
    const serve = run(runtime.cmd, { DATABASE_URL: url, PORT: String(port), ...secrets })
    try {
      await eventually(async () => (await statusOf(`http://127.0.0.1:${port}/ready`)) === 200 || undefined, { what: "/ready" })
        .catch((error: Error) => Promise.reject(new Error(`${error.message}; serve said: ${serve.output().slice(-600)}`)))
      expect(await statusOf(`http://127.0.0.1:${port}/`)).toBe(200)
      expect(await statusOf(`http://127.0.0.1:${port}/console/app.js`)).toBe(200)
      const authorization = `Bearer ${secrets.ORDERSYNC_API_TOKEN}`
      expect(await statusOf(`http://127.0.0.1:${port}/api/v1/orders/sync/backfill`, { authorization })).toBe(200)
    } finally {
      serve.child.kill("SIGTERM")
    }
    expect(await serve.exited, serve.output()).toBe(0)
    for (const secret of [secrets.LWA_CLIENT_SECRET, secrets.ORDERSYNC_SECRET_KEY, secrets.ORDERSYNC_API_TOKEN]) {
      expect(serve.output()).not.toContain(secret)
    }
  })
})
