// `prepare` runs on `npm install` / `npm ci` in a clone and before `npm pack`. A production install
// (`npm ci --omit=dev`) has no TypeScript: it keeps the dist/ already built, or says how to build it.
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"

const tsc = (() => {
  try {
    return createRequire(import.meta.url).resolve("typescript/bin/tsc")
  } catch {
    return undefined
  }
})()

if (tsc !== undefined) {
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" })
} else if (existsSync("dist/src/Main.js")) {
  console.error("ordersync: TypeScript is not installed (a production install): using the dist/ already built")
} else {
  console.error(
    "ordersync: dist/ is not built and TypeScript is not installed. Build first with dev dependencies " +
      "(`npm ci && npm run build`), then `npm ci --omit=dev`; or install the packed tarball (`npm pack`)."
  )
  process.exit(1)
}
