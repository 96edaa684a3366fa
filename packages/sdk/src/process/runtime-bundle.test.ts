import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { buildRuntimeBundle } from './runtime-bundle.js'

const outside = mkdtempSync(join(tmpdir(), 'strata-runtime-test-'))
afterAll(() => rmSync(outside, { recursive: true, force: true }))

describe('the self-contained runtime', () => {
  const localPlugin = pathToFileURL(join(import.meta.dirname, '../../../../plugins/local/src/index.ts')).href

  it('imports nothing but Node built-ins, so a pod needs no node_modules', async () => {
    const runtime = await buildRuntimeBundle([localPlugin])
    const code = new TextDecoder().decode(runtime.code)
    const imports = [...code.matchAll(/(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']/g)].map(
      (match) => match[1],
    )
    expect(imports.filter((specifier) => !specifier?.startsWith('node:'))).toEqual([])
    expect(runtime.digest).toMatch(/^[0-9a-f]{64}$/)
    // Built once per set of plugins.
    expect(await buildRuntimeBundle([localPlugin])).toBe(runtime)
  })

  it('runs from a folder with no packages, and says how to use it', async () => {
    const runtime = await buildRuntimeBundle([localPlugin])
    const file = join(outside, 'runtime.mjs')
    writeFileSync(file, runtime.code)
    const result = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); process.exitCode = await m.main(['nonsense'])`,
      ],
      { cwd: outside, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
    )
    expect(result.stderr).toContain('usage: strata-runtime step run')
    expect(result.status).toBe(2)
  })
})
