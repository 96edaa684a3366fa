import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

// Tests read source: each workspace package's "source" export is aliased for code Vite transforms.
// (Not as a resolve condition: Vitest hands those to Node too, and installed plugins must load built code.)
// Found from this file's folder, not the working directory: a package's own lane (`pnpm --filter @strata/s3
// test` runs `vitest --root ../..` in plugins/s3) must test the same source as the root lane, not dist/.
function workspaceSourceAliases(): Array<{ find: RegExp; replacement: string }> {
  const aliases: Array<{ find: RegExp; replacement: string }> = []
  for (const folder of ['packages', 'plugins', 'apps']) {
    const group = join(import.meta.dirname, folder)
    if (!existsSync(group)) continue
    for (const name of readdirSync(group)) {
      const manifest = join(group, name, 'package.json')
      if (!existsSync(manifest)) continue
      const pkg = JSON.parse(readFileSync(manifest, 'utf8'))
      // Every export with a "source" condition: `@strata/core` and subpaths such as `@strata/core/base`.
      for (const [subpath, target] of Object.entries<{ source?: string }>(pkg.exports ?? {})) {
        if (!target?.source) continue
        const specifier = `${pkg.name}${subpath.slice(1)}`
        const escaped = specifier.replaceAll(/[/.]/g, (char: string) => `\\${char}`)
        aliases.push({ find: new RegExp(`^${escaped}$`), replacement: resolve(group, name, target.source) })
      }
    }
  }
  return aliases
}

export default defineConfig({
  resolve: { alias: workspaceSourceAliases() },
  test: {
    include: ['{packages,plugins,apps}/*/{src,test}/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    typecheck: { enabled: true, include: ['**/*.test-d.ts'], tsconfig: './tsconfig.typetests.json' },
  },
})
