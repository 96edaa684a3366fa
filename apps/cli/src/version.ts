const { readFileSync } = process.getBuiltinModule('node:fs')

let version: string | undefined

/** This CLI's version, from its package.json (read with fs, not `require`: no CommonJS loader at start-up). */
export function cliVersion(): string {
  version ??= (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version
  return version
}
