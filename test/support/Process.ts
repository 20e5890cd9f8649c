import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
export const bin = path.join(repoRoot, "bin/ordersync.js")

export interface Running {
  readonly child: ChildProcess
  readonly output: () => string
  readonly stdout: () => string
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  readonly exited: Promise<number | string>
}

/** Runs the built CLI (`npm run build` first) as a real child process; `input`, when given, is its stdin. */
export const ordersync = (args: ReadonlyArray<string>, env: Record<string, string>, cwd = repoRoot, input?: string): Running => {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "Info", ...env },
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"]
  })
  if (input !== undefined) child.stdin!.end(input)
  let all = ""
  let out = ""
  child.stdout!.on("data", (chunk) => {
    out += String(chunk)
    all += String(chunk)
  })
  child.stderr!.on("data", (chunk) => (all += String(chunk)))
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"))
  )
  return { child, output: () => all, stdout: () => out, exited }
}

/** Runs the CLI to completion. */
export const ordersyncDone = async (args: ReadonlyArray<string>, env: Record<string, string>, cwd = repoRoot, input?: string) => {
  const run = ordersync(args, env, cwd, input)
  const code = await run.exited
  return { code, output: run.output(), stdout: run.stdout() }
}

/**
 * Runs the CLI expecting it to end by itself within `timeoutMs`; one still running then is killed and reported as
 * "still running" (a command that should have refused to start, say).
 */
export const ordersyncWithin = async (args: ReadonlyArray<string>, env: Record<string, string>, timeoutMs: number, cwd = repoRoot) => {
  const run = ordersync(args, env, cwd)
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([
    run.exited,
    new Promise<"still running">((resolve) => (timer = setTimeout(() => resolve("still running"), timeoutMs)))
  ])
  clearTimeout(timer)
  if (outcome === "still running") {
    run.child.kill("SIGKILL")
    await run.exited
  }
  return { code: outcome, output: run.output(), stdout: run.stdout() }
}

/** Polls `check` until it holds or the deadline passes. */
export const eventually = async <A>(
  check: () => Promise<A | undefined> | A | undefined,
  { timeoutMs = 30_000, intervalMs = 50, what = "condition" } = {}
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
