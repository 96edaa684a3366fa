import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BIN, createSandbox, ok, type Sandbox } from './helpers.js'

let sandbox: Sandbox
beforeEach(() => {
  sandbox = createSandbox()
})
afterEach(() => sandbox.cleanup())

function fakePackage(name: string, version: string, files: Record<string, string> = {}): void {
  const directory = join(sandbox.project, 'node_modules', name)
  mkdirSync(directory, { recursive: true })
  const bin = files['bin.mjs'] ? { bin: { strata: './bin.mjs' } } : {}
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ name, version, type: 'module', ...bin }))
  for (const [file, text] of Object.entries(files)) writeFileSync(join(directory, file), text)
}

describe('inside a project', () => {
  it("hands the command over to the project's own @strata/cli", async () => {
    fakePackage('@strata/cli', '9.9.9', {
      'bin.mjs': "process.stdout.write('project strata ' + process.argv.slice(2).join(' ') + '\\n')",
    })
    const result = await ok(sandbox, ['stack', 'list'])
    expect(result.stdout).toBe('project strata stack list\n')
  })

  it('refuses a project @strata/sdk of an incompatible version, with the fix', async () => {
    fakePackage('@strata/sdk', '0.9.0')
    const result = await sandbox.strata(['stack', 'list'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /^Error: this project uses @strata\/sdk 0\.9\.0 \(.*\), but this strata is @strata\/cli 0\.1\.0 built for @strata\/sdk 0\.1\.0 — add the CLI to the project \('pnpm add -D @strata\/cli@0\.9\.0'.*\) and run it as 'pnpm exec strata'\n$/,
    )
  })
})

describe('inside a project with its own copy of @strata/sdk', () => {
  it('loads that copy (and the core and store it resolves), so one copy of each runs', async () => {
    const { cpSync, readFileSync, realpathSync, symlinkSync } = await import('node:fs')
    const sdk = join(BIN, '../../../../packages/sdk')
    const copy = join(sandbox.project, 'node_modules/@strata/sdk')
    mkdirSync(copy, { recursive: true })
    cpSync(join(sdk, 'package.json'), join(copy, 'package.json'))
    cpSync(join(sdk, 'dist'), join(copy, 'dist'), { recursive: true })
    for (const name of ['@strata/core', '@strata/store', '@strata/local', 'yaml', 'zod']) {
      mkdirSync(join(copy, 'node_modules', name, '..'), { recursive: true })
      symlinkSync(realpathSync(join(sdk, 'node_modules', name)), join(copy, 'node_modules', name))
    }
    const log = join(sandbox.project, 'loaded.txt')
    const hook = join(sandbox.project, 'trace.mjs')
    writeFileSync(
      hook,
      `import module from 'node:module'; import { appendFileSync } from 'node:fs'
       module.registerHooks({ load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context) } })`,
    )
    const result = await ok(sandbox, ['stack', 'list'], {
      env: { STRATA_DEBUG: '1', NODE_OPTIONS: `--import=${hook}` },
    })
    expect(result.stderr).toContain(`strata: using the project's @strata/sdk 0.1.0 at ${copy}`)
    expect(result.stdout).toMatch(/default/)
    const sdkFiles = readFileSync(log, 'utf8')
      .split('\n')
      .filter((url) => url.includes('/dist/stack-state.js'))
    expect(sdkFiles).toEqual([`file://${copy}/dist/stack-state.js`])
  })
})

describe('start-up', () => {
  it('explains an old Node.js before loading anything', () => {
    const system = '/usr/bin/node'
    if (!existsSync(system)) return
    const version = execFileSync(system, ['--version'], { encoding: 'utf8' }).trim()
    if (Number(version.slice(1).split('.')[0]) >= 22) return
    let stderr = ''
    let status = 0
    try {
      execFileSync(system, [BIN, 'stack', 'list'], { encoding: 'utf8', stdio: 'pipe' })
    } catch (error) {
      stderr = (error as { stderr: string }).stderr
      status = (error as { status: number }).status
    }
    expect(status).toBe(1)
    expect(stderr).toBe(
      `Error: strata needs Node.js 22.16 or newer, but this is Node.js ${version.slice(1)} — run it with the project's pinned Node ('pnpm exec strata ...' or a package.json script), or install Node.js 24 LTS\n`,
    )
  })

  it('loads only the modules of the command it runs: no zod, no plugin, no other command group', async () => {
    const hook = join(sandbox.project, 'trace.mjs')
    const log = join(sandbox.project, 'loaded.txt')
    writeFileSync(
      hook,
      `import module from 'node:module'; import { appendFileSync } from 'node:fs'
       module.registerHooks({ load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context) } })`,
    )
    await ok(sandbox, ['stack', 'list'])
    const loaded = (await import('node:child_process')).execFileSync(
      process.execPath,
      ['--import', hook, BIN, 'stack', 'list'],
      {
        cwd: sandbox.project,
        env: { ...process.env, STRATA_CONFIG_DIR: sandbox.configDir },
        encoding: 'utf8',
      },
    )
    expect(loaded).toContain('default')
    const urls = (await import('node:fs')).readFileSync(log, 'utf8').split('\n')
    expect(urls.some((url) => url.includes('/dist/stack-'))).toBe(true)
    expect(
      urls.filter((url) =>
        /zod|strata-demo|\/sdk\/dist\/index\.js|\/core\/dist\/index\.js|component-|secret-|integration-|node:crypto|yaml/.test(
          url,
        ),
      ),
    ).toEqual([])
  })
})
