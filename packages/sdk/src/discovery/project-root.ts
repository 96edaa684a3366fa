import { dirname, join, resolve } from 'node:path'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of `strata stack list`; getBuiltinModule hands over the already-loaded module.
const { existsSync } = process.getBuiltinModule('node:fs')

/**
 * The project a command works in: the nearest directory (from `start` upwards) holding `.strata/`, else
 * the nearest holding a `package.json`, else `undefined`.
 */
export function findProjectRoot(start: string = process.cwd()): string | undefined {
  let packageRoot: string | undefined
  for (let directory = resolve(start); ; directory = dirname(directory)) {
    if (existsSync(join(directory, '.strata'))) return directory
    if (packageRoot === undefined && existsSync(join(directory, 'package.json'))) packageRoot = directory
    if (dirname(directory) === directory) return packageRoot
  }
}
