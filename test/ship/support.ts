import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as net from "node:net"
import { promisify } from "node:util"

export const exec = promisify(execFile)

export interface Child {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | string>
}

/** Runs an installed `ordersync` (or any command) with exactly `env` on top of PATH and HOME. */
export const start = (
  command: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  cwd: string,
  user: { readonly uid?: number; readonly gid?: number } = {}
): Child => {
  const child = spawn(command, args, {
    cwd,
    ...user,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let all = ""
  child.stdout!.on("data", (chunk) => (all += String(chunk)))
  child.stderr!.on("data", (chunk) => (all += String(chunk)))
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown")))
  return { child, output: () => all, exited }
}

export const finish = async (command: string, args: ReadonlyArray<string>, env: Record<string, string>, cwd: string) => {
  const run = start(command, args, env, cwd)
  const code = await run.exited
  return { code, output: run.output() }
}

/** A port nobody listens on right now. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })

/** The status of GET url, or undefined when nothing answers yet. */
export const statusOf = async (url: string, headers: Record<string, string> = {}) => {
  try {
    const response = await fetch(url, { headers })
    await response.arrayBuffer()
    return response.status
  } catch {
    return undefined
  }
}
