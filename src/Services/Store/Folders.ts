import * as fs from "node:fs"
import * as path from "node:path"

/**
 * Creates a folder and its missing parents, one level at a time. Node's own `mkdir({ recursive: true })` never returns
 * for some paths it cannot create (under `/proc`, for one), so a wrong ORDERSYNC_DATA_DIR would hang the process; here
 * it fails at once, naming the level that could not be made.
 */
export const makeFolderSync = (folder: string, mode: number): void => {
  const absolute = path.resolve(folder)
  const levels: Array<string> = []
  for (let current = absolute; ; current = path.dirname(current)) {
    levels.unshift(current)
    if (path.dirname(current) === current) break
  }
  for (const level of levels) {
    let stat: fs.Stats | undefined
    try {
      stat = fs.statSync(level)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw cannot(absolute, level, error)
    }
    if (stat !== undefined) {
      if (!stat.isDirectory()) throw new Error(`cannot create the folder ${absolute}: ${level} exists and is not a folder`)
      continue
    }
    try {
      fs.mkdirSync(level, { mode })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw cannot(absolute, level, error)
    }
  }
}

const cannot = (folder: string, level: string, error: unknown) =>
  new Error(`cannot create the folder ${folder}: ${level}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
