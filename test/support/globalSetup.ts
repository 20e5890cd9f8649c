import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Redacted } from "effect"
import type { TestProject } from "vitest/node"
import * as Embedded from "../../src/Services/Store/EmbeddedPostgres.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** A superuser URL of the server every test file makes its own database on. */
    adminDatabaseUrl: string
  }
}

// One PostgreSQL per test run: TEST_DATABASE_URL, or an embedded server in a fresh folder under the temp dir.
export default async function setup(project: TestProject) {
  const external = process.env.TEST_DATABASE_URL
  if (external) {
    project.provide("adminDatabaseUrl", external)
    return
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "ordersync-test-"))
  await fs.chmod(dataDir, 0o755)
  const server = await Effect.runPromise(Embedded.acquire({ dataDir, port: 0, log: () => undefined }))
  const url = `postgres://${server.user}:${encodeURIComponent(Redacted.value(server.password))}@${server.host}:${server.port}/postgres`
  project.provide("adminDatabaseUrl", url)
  return async () => {
    await Effect.runPromise(Embedded.stop(dataDir))
    await fs.rm(dataDir, { recursive: true, force: true })
  }
}
