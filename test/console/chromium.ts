import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import * as zlib from "node:zlib"

/**
 * Which Chromium the console's tests drive. In order: CHROMIUM_PATH when set; else the Chromium that
 * `@sparticuz/chromium` (a devDependency) ships inside its npm tarball, inflated once into
 * node_modules/.cache; else a system Chromium at /usr/bin/chromium. The packaged one comes first so that a laptop,
 * CI and a fresh machine all run the same pinned browser, and `npm ci` is all it takes: nothing is downloaded.
 */
export interface FoundChromium {
  readonly executablePath: string
  readonly source: "CHROMIUM_PATH" | "package" | "system"
  /** Extra environment for the browser process (the packaged one's own NSS libraries). */
  readonly env: Readonly<Record<string, string>>
}

export interface ChromiumLookup {
  readonly chromiumPath: string | undefined
  /** The system Chromium tried last. */
  readonly systemPath: string
  /** The installed `@sparticuz/chromium` folder, or undefined when it is not installed (or not for this platform). */
  readonly packageDir: string | undefined
}

export const SYSTEM_CHROMIUM = "/usr/bin/chromium"

const installedPackageDir = (): string | undefined => {
  // The package ships a linux-x64 build only; elsewhere CHROMIUM_PATH or a system Chromium is needed.
  if (process.platform !== "linux" || process.arch !== "x64") return undefined
  try {
    // Its exports name only the entry (build/index.js), so the folder is found from there.
    return path.resolve(path.dirname(createRequire(import.meta.url).resolve("@sparticuz/chromium")), "..")
  } catch {
    return undefined
  }
}

export const defaultLookup = (): ChromiumLookup => ({
  chromiumPath: process.env.CHROMIUM_PATH || undefined,
  systemPath: SYSTEM_CHROMIUM,
  packageDir: installedPackageDir()
})

/** A 512-byte-block tar archive's regular files, written under `into` (the NSS libraries: plain files, no links). */
const untar = (archive: Buffer, into: string) => {
  for (let at = 0; at + 512 <= archive.length;) {
    const header = archive.subarray(at, at + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (from: number, to: number) => header.subarray(from, to).toString("utf8").replace(/\0.*$/s, "")
    const name = path.posix.join(field(345, 500), field(0, 100))
    const size = parseInt(field(124, 136).trim() || "0", 8)
    const type = field(156, 157)
    const body = archive.subarray(at + 512, at + 512 + size)
    const target = path.join(into, name)
    if (!target.startsWith(into + path.sep)) throw new Error(`tar entry outside its folder: ${name}`)
    if (type === "0" || type === "") {
      fs.mkdirSync(path.dirname(target), { recursive: true })
      fs.writeFileSync(target, body, { mode: parseInt(field(100, 108).trim() || "644", 8) & 0o777 })
    } else if (type === "5") {
      fs.mkdirSync(target, { recursive: true })
    }
    at += 512 + Math.ceil(size / 512) * 512
  }
}

const brotli = (file: string) => zlib.brotliDecompressSync(fs.readFileSync(file))

/** Makes `target` by writing a sibling and renaming it into place, so that parallel test files never see half of it. */
const once = (target: string, make: (temporary: string) => void) => {
  if (fs.existsSync(target)) return
  const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}`
  try {
    make(temporary)
    fs.renameSync(temporary, target)
  } catch (error) {
    // Another process renamed its copy first: theirs is as good as ours.
    if (!fs.existsSync(target)) throw error
  } finally {
    fs.rmSync(temporary, { recursive: true, force: true })
  }
}

/** Inflates the packaged Chromium (about 200 MB, a few seconds, once per installed version). */
export const inflatePackaged = (packageDir: string): { readonly executablePath: string; readonly libDir: string } => {
  const { version } = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string }
  // node_modules/@sparticuz/chromium → node_modules/.cache/ordersync-chromium/<version>
  const cache = path.join(packageDir, "..", "..", ".cache", "ordersync-chromium", version)
  fs.mkdirSync(cache, { recursive: true, mode: 0o755 })
  const al2023 = path.join(cache, "al2023")
  const executablePath = path.join(cache, "chromium")
  // Its own NSS/NSPR/expat (built for Amazon Linux 2023, glibc-only): the browser then needs nothing from apt.
  once(al2023, (temporary) => untar(brotli(path.join(packageDir, "bin", "al2023.tar.br")), temporary))
  once(executablePath, (temporary) =>
    fs.writeFileSync(temporary, brotli(path.join(packageDir, "bin", "chromium.br")), { mode: 0o755 })
  )
  return { executablePath, libDir: path.join(al2023, "lib") }
}

export const findChromium = (lookup: ChromiumLookup = defaultLookup()): FoundChromium => {
  if (lookup.chromiumPath !== undefined) {
    if (!fs.existsSync(lookup.chromiumPath)) {
      throw new Error(`CHROMIUM_PATH is ${lookup.chromiumPath}, and no file is there. Unset it to use the packaged Chromium.`)
    }
    return { executablePath: lookup.chromiumPath, source: "CHROMIUM_PATH", env: {} }
  }
  if (lookup.packageDir !== undefined) {
    const { executablePath, libDir } = inflatePackaged(lookup.packageDir)
    const inherited = process.env.LD_LIBRARY_PATH
    return {
      executablePath,
      source: "package",
      env: { LD_LIBRARY_PATH: inherited ? `${libDir}:${inherited}` : libDir }
    }
  }
  if (fs.existsSync(lookup.systemPath)) return { executablePath: lookup.systemPath, source: "system", env: {} }
  throw new Error(
    "the console's browser tests found no Chromium: `npm ci` installs one (the devDependency @sparticuz/chromium, " +
      `linux-x64 only); elsewhere point CHROMIUM_PATH at a Chromium binary, or install one at ${lookup.systemPath}.`
  )
}
