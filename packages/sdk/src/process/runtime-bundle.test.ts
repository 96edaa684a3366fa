import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { buildRuntimeBundle, runtimeFromCache } from './runtime-bundle.js'
import { packRuntime } from './runtime-package.js'

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

  it('runs packed for a pod: the bootstrap finds its chunks in separate folders and checks the digest', async () => {
    const runtime = packRuntime(await buildRuntimeBundle([localPlugin]))
    const volume = join(outside, 'volume')
    mkdirSync(volume, { recursive: true })
    writeFileSync(join(volume, 'bootstrap.mjs'), runtime.bootstrap)
    runtime.chunks.forEach((chunk, index) => {
      const folder = join(volume, String(index))
      mkdirSync(folder, { recursive: true })
      writeFileSync(join(folder, `runtime.mjs.gz.${String(index).padStart(3, '0')}`), chunk)
    })
    let pod = 0
    // Each run is a fresh pod: its own temporary folder, where the bootstrap writes the runtime once.
    const run = () => {
      const temporary = join(outside, `pod-${++pod}`)
      mkdirSync(temporary)
      return spawnSync(process.execPath, [join(volume, 'bootstrap.mjs'), 'nonsense'], {
        cwd: outside,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', TMPDIR: temporary },
      })
    }
    const ok = run()
    expect(ok.stderr).toContain('usage: strata-runtime step run')
    expect(ok.status).toBe(2)
    // A damaged chunk is refused, not run.
    writeFileSync(join(volume, '0', 'runtime.mjs.gz.000'), Buffer.from(runtime.chunks[0] ?? []).reverse())
    const damaged = run()
    expect(damaged.status).not.toBe(0)
    expect(damaged.stderr).not.toContain('usage:')
  })

  it('is kept on disk, and used again only while the files it was built from are unchanged', async () => {
    const saved = process.env.XDG_CACHE_HOME
    process.env.XDG_CACHE_HOME = join(outside, 'cache')
    try {
      const plugin = join(outside, 'plugin.mjs')
      writeFileSync(plugin, "export default { name: 'demo', flavors: [] }\n")
      const entries = [pathToFileURL(plugin).href]
      expect(runtimeFromCache(entries)).toBeUndefined()
      const built = await buildRuntimeBundle(entries)
      expect(runtimeFromCache(entries)?.digest).toBe(built.digest)
      writeFileSync(plugin, "export default { name: 'demo-2', flavors: [] }\n")
      expect(runtimeFromCache(entries)).toBeUndefined()
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME
      else process.env.XDG_CACHE_HOME = saved
    }
  })
})
