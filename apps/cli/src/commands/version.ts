import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { defineCommand, outputOption, printData, printFields } from '../kit.js'

/** The version of a package as this process resolves it from `from` (its package.json), if installed. */
function versionOf(name: string, from: string): string | undefined {
  try {
    const path = createRequire(from).resolve(`${name}/package.json`)
    return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version
  } catch {
    return undefined
  }
}

export default defineCommand({
  summary: 'Show the versions of the CLI, the SDK, core and the installed plugins',
  description:
    "The copies this process uses: inside a project, the project's own (the CLI hands over to it). Plugins are\nthe packages whose flavors discovery found.",
  options: outputOption,
  examples: ['strata version', 'strata version --output json'],
  async run(context) {
    const { output } = context.options
    const sdkPath = createRequire(import.meta.url).resolve('@strata/sdk/package.json')
    const { registry } = await context.flavors()
    const plugins = new Map<string, string>()
    for (const entry of registry.list()) {
      if (entry.source.kind === 'custom' || entry.source.kind === 'inline') continue
      plugins.set(entry.source.package, entry.source.version)
    }
    const data = {
      cli: context.version,
      sdk: versionOf('@strata/sdk', import.meta.url) ?? null,
      core: versionOf('@strata/core', sdkPath) ?? null,
      store: versionOf('@strata/store', sdkPath) ?? null,
      node: process.versions.node,
      plugins: Object.fromEntries([...plugins].sort(([a], [b]) => a.localeCompare(b))),
    }
    if (output !== 'table') {
      await printData(context.io, output, data)
      return 0
    }
    printFields(context.io, [
      ['@strata/cli', data.cli],
      ['@strata/sdk', data.sdk ?? 'not installed'],
      ['@strata/core', data.core ?? 'not installed'],
      ['@strata/store', data.store ?? 'not installed'],
      ['Node.js', data.node],
      ...Object.entries(data.plugins),
    ])
    return 0
  },
})
