import { accessSync, constants } from 'node:fs'
import { delimiter, dirname, join, resolve } from 'node:path'

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * `.cache/<path>` in the current folder or the nearest folder above it that has one: where the
 * `.ci/setup/*.sh` scripts of Strata's repository (and of plugin repositories that copy them) install test
 * servers, so that tests find them from the repository root and from a package folder alike.
 */
export function cachedTool(path: string, from: string = process.cwd()): string | undefined {
  for (let folder = resolve(from); ; folder = dirname(folder)) {
    const candidate = join(folder, '.cache', path)
    if (isExecutable(candidate)) return candidate
    if (dirname(folder) === folder) return undefined
  }
}

/** The first executable `name` on `PATH`. */
function onPath(name: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder !== '' && isExecutable(join(folder, name))) return join(folder, name)
  }
  return undefined
}

/**
 * Finds a server's executable: `explicit` when given, else `.cache/<cachePath>` (see {@link cachedTool}),
 * else `name` on `PATH`.
 * @throws Error saying where it looked
 */
export function findTool(name: string, cachePath: string, explicit?: string): string {
  if (explicit !== undefined) {
    if (isExecutable(explicit)) return explicit
    throw new Error(`${explicit} is missing`)
  }
  const found = cachedTool(cachePath) ?? onPath(name)
  if (found === undefined) throw new Error(`${name} is neither in .cache/${cachePath} nor on PATH`)
  return found
}
