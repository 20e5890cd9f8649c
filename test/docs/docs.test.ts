import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const root = path.resolve(import.meta.dirname, "../..")
const docsDir = path.join(root, "docs")
const pages = [
  path.join(root, "README.md"),
  ...fs.readdirSync(docsDir).filter((name) => name.endsWith(".md")).map((name) => path.join(docsDir, name))
]
const relative = (file: string) => path.relative(root, file)

/** The text outside fenced code blocks: a `#` or `[x](y)` inside a block of shell or YAML is neither heading nor link. */
const prose = (markdown: string) => markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "")

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export const anchorsOf = (markdown: string): Set<string> => {
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  for (const [, title] of prose(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const text = title!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/<[^>]+>/g, "")
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, "").replace(/ /g, "-")
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

const linksOf = (markdown: string): Array<string> =>
  [...prose(markdown).replace(/`[^`\n]*`/g, "").matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((match) => match[1]!)

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target)

/** Every environment variable `src/` reads: `Config.*("NAME")` (also `Config.literal(…)("NAME")`) and `process.env`. */
const variablesRead = (): Set<string> => {
  const names = new Set<string>()
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name)
      if (entry.isDirectory()) visit(file)
      else if (entry.name.endsWith(".ts")) {
        const source = fs.readFileSync(file, "utf8")
        for (const match of source.matchAll(/\bConfig\.\w+(?:\((?:\s*"[^"]*"\s*,?)*\))?\(\s*"([A-Z][A-Z0-9_]*)"/g)) {
          names.add(match[1]!)
        }
        for (const match of source.matchAll(/\bprocess\.env(?:\.([A-Z_][A-Z0-9_]*)|\[\s*["'`]([A-Z_][A-Z0-9_]*)["'`]\s*\])/g)) {
          names.add((match[1] ?? match[2])!)
        }
      }
    }
  }
  visit(path.join(root, "src"))
  return names
}

describe("the documentation", () => {
  it("every relative link of the README and docs/ resolves, `#anchors` included", () => {
    const broken: Array<string> = []
    for (const page of pages) {
      const markdown = fs.readFileSync(page, "utf8")
      for (const link of linksOf(markdown)) {
        if (isExternal(link)) continue
        const [target = "", anchor] = link.split("#", 2)
        const file = target === "" ? page : path.resolve(path.dirname(page), decodeURIComponent(target))
        if (!fs.existsSync(file)) {
          broken.push(`${relative(page)}: ${link} (no such file)`)
          continue
        }
        if (anchor !== undefined && file.endsWith(".md") && !anchorsOf(fs.readFileSync(file, "utf8")).has(anchor)) {
          broken.push(`${relative(page)}: ${link} (no heading ${relative(file)}#${anchor})`)
        }
      }
    }
    expect(broken).toEqual([])
  })

  it("the README links every page of docs/", () => {
    const readme = linksOf(fs.readFileSync(path.join(root, "README.md"), "utf8")).map((link) => link.split("#")[0])
    const unlinked = pages.slice(1).map(relative).filter((page) => !readme.includes(page))
    expect(unlinked).toEqual([])
  })

  it("the README fits on a few screens; the rest is in docs/", () => {
    expect(fs.statSync(path.join(root, "README.md")).size).toBeLessThanOrEqual(15 * 1024)
  })

  it("docs/configuration.md names every environment variable the code reads", () => {
    const read = variablesRead()
    // A floor, so that a pattern that stopped matching cannot pass by finding nothing.
    expect(read.size).toBeGreaterThan(40)
    const page = fs.readFileSync(path.join(docsDir, "configuration.md"), "utf8")
    const named = new Set(page.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b(?:PORT|HOST)\b/g) ?? [])
    expect([...read].filter((name) => !named.has(name)).sort()).toEqual([])
  })

  it("the anchors follow GitHub's rules", () => {
    expect([...anchorsOf("# Listing bounds follow Amazon's clock\n## B6: `orders`, `reports` and `auto`\n## B6: `orders`, `reports` and `auto`\n```sh\n# a comment\n```\n")])
      .toEqual(["listing-bounds-follow-amazons-clock", "b6-orders-reports-and-auto", "b6-orders-reports-and-auto-1"])
  })
})
