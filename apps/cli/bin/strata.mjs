#!/usr/bin/env node
// Checked before anything else loads: on an old Node the store's native binding would crash instead of
// explaining, so this file uses nothing newer than what Node 18 parses.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 16)) {
  process.stderr.write(
    `Error: strata needs Node.js 22.16 or newer, but this is Node.js ${process.versions.node} — run it with the project's pinned Node ('pnpm exec strata ...' or a package.json script), or install Node.js 24 LTS\n`,
  )
  process.exit(1)
}
// Caches compiled code between runs (NODE_DISABLE_COMPILE_CACHE=1 turns it off): start-up is the budget.
process.getBuiltinModule('node:module').enableCompileCache?.()
// Orchestrators start step processes as `strata step run ...` with this very CLI.
process.env.STRATA_CLI_BIN ??= new URL(import.meta.url).pathname
await import('../dist/main.js')
