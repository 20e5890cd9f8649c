import * as fs from "node:fs"
import * as path from "node:path"
import { repoRoot } from "../support/Process.js"

export interface Copy {
  /** The stage the files come from (`--from=`), or none for the build context. */
  readonly from: string | undefined
  readonly sources: ReadonlyArray<string>
  readonly destination: string
}

export interface Stage {
  readonly image: string
  readonly name: string | undefined
  readonly workdir: string
  readonly env: Readonly<Record<string, string>>
  readonly copies: ReadonlyArray<Copy>
  readonly runs: ReadonlyArray<string>
  readonly user: string | undefined
  readonly entrypoint: ReadonlyArray<string>
  readonly cmd: ReadonlyArray<string>
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
const instructions = (text: string) =>
  text.replace(/\\\r?\n/g, " ").split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"))

const words = (s: string) => s.trim().split(/\s+/)

/** The stages of the repository's Dockerfile, as far as the instructions it uses go (a test fails on any other). */
export const stages = (file = path.join(repoRoot, "Dockerfile")): ReadonlyArray<Stage> => {
  const out: Array<{ -readonly [K in keyof Stage]: Stage[K] } & { copies: Array<Copy>; runs: Array<string> }> = []
  for (const line of instructions(fs.readFileSync(file, "utf8"))) {
    const [keyword = "", ...rest] = words(line)
    const args = line.slice(keyword.length).trim()
    const stage = out[out.length - 1]
    switch (keyword.toUpperCase()) {
      case "FROM": {
        const [image = "", as, name] = rest
        out.push({
          image, name: as?.toUpperCase() === "AS" ? name : undefined, workdir: "/", env: {}, copies: [], runs: [],
          user: undefined, entrypoint: [], cmd: []
        })
        break
      }
      case "WORKDIR":
        stage!.workdir = path.posix.resolve(stage!.workdir, args)
        break
      case "ENV":
        for (const [, name, value] of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
          stage!.env = { ...stage!.env, [name!]: value!.replace(/^"(.*)"$/, "$1") }
        }
        break
      case "COPY": {
        const flags = rest.filter((w) => w.startsWith("--"))
        const paths = rest.filter((w) => !w.startsWith("--"))
        const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length)
        stage!.copies.push({ from, sources: paths.slice(0, -1), destination: paths[paths.length - 1]! })
        break
      }
      case "RUN":
        stage!.runs.push(args)
        break
      case "USER":
        stage!.user = args
        break
      case "ENTRYPOINT":
        stage!.entrypoint = JSON.parse(args) as Array<string>
        break
      case "CMD":
        stage!.cmd = JSON.parse(args) as Array<string>
        break
      case "EXPOSE":
        break
      default:
        throw new Error(`the Dockerfile uses ${keyword}, which test/ship/dockerfile.ts does not model`)
    }
  }
  return out
}

/** .dockerignore's patterns that apply to a path of the build context (top-level names and `*.ext` globs). */
const ignored = (relative: string) => {
  const patterns = instructions(fs.readFileSync(path.join(repoRoot, ".dockerignore"), "utf8"))
  const parts = relative.split("/")
  return patterns.some((p) =>
    p.startsWith("*.") ? parts.some((part) => part.endsWith(p.slice(1))) : parts[0] === p.replace(/^\/|\/$/g, "")
  )
}

const copyInto = (source: string, target: string, relative: string, context: boolean) => {
  if (context && ignored(relative)) return
  const stat = fs.statSync(source)
  if (stat.isDirectory()) {
    fs.mkdirSync(target, { recursive: true })
    for (const entry of fs.readdirSync(source)) copyInto(path.join(source, entry), path.join(target, entry), `${relative}/${entry}`, context)
  } else {
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.copyFileSync(source, target)
  }
}

/**
 * Lays out a stage's files in `root` (standing for its WORKDIR) as its COPY lines do: the build context is this
 * repository (less .dockerignore), and a file of the build stage's WORKDIR is this repository's after `npm run build`
 * (that stage copies the sources in and runs the same build). The stage's RUN lines (`npm ci`) are not run: the
 * repository's node_modules stands for the installed dependencies.
 */
export const layOut = (stage: Stage, all: ReadonlyArray<Stage>, root: string) => {
  for (const copy of stage.copies) {
    for (const source of copy.sources) {
      let relative = source.replace(/^\.\//, "")
      if (copy.from !== undefined) {
        const from = all.find((s) => s.name === copy.from)
        if (from === undefined) throw new Error(`COPY --from=${copy.from}: no such stage`)
        relative = path.posix.relative(from.workdir, path.posix.resolve(from.workdir, source))
        if (relative.startsWith("..")) throw new Error(`COPY --from=${copy.from} ${source}: outside the stage's WORKDIR`)
      }
      const destination = path.posix.resolve(stage.workdir, copy.destination)
      const inRoot = path.join(root, path.posix.relative(stage.workdir, destination))
      // `COPY a b ./` puts each file in the folder; `COPY dir ./dir` copies the folder's contents to it.
      const target = copy.destination.endsWith("/") && !fs.statSync(path.join(repoRoot, relative)).isDirectory()
        ? path.join(inRoot, path.basename(relative))
        : inRoot
      // .dockerignore filters the build context only, not another stage's files (it ignores dist/, which the build makes).
      copyInto(path.join(repoRoot, relative), target, relative, copy.from === undefined)
    }
  }
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(root, "node_modules"), "dir")
}
