import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveConfigDir } from './config-dir.js'

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'strata-xdg-'))
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('resolveConfigDir', () => {
  it('takes STRATA_CONFIG_DIR first, then $XDG_CONFIG_HOME/strata, then ~/.config/strata', () => {
    expect(resolveConfigDir({ STRATA_CONFIG_DIR: '/srv/strata', XDG_CONFIG_HOME: '/xdg' })).toBe(
      '/srv/strata',
    )
    expect(resolveConfigDir({ XDG_CONFIG_HOME: '/home/ada/.cfg' })).toBe('/home/ada/.cfg/strata')
    expect(resolveConfigDir({})).toBe(join(homedir(), '.config', 'strata'))
  })

  it('ignores an empty or relative XDG_CONFIG_HOME, as the XDG specification asks', () => {
    expect(resolveConfigDir({ XDG_CONFIG_HOME: '' })).toBe(join(homedir(), '.config', 'strata'))
    expect(resolveConfigDir({ XDG_CONFIG_HOME: 'relative/config' })).toBe(
      join(homedir(), '.config', 'strata'),
    )
    expect(resolveConfigDir({ STRATA_CONFIG_DIR: '', XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/strata')
  })

  it('is where a process opens its store when nothing is passed: XDG_CONFIG_HOME, or HOME/.config', () => {
    // A real process with only the environment to go on, opening the built store with no options.
    const open = (env: NodeJS.ProcessEnv) =>
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { SqliteStore } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)})
           const store = SqliteStore.open(); console.log(store.path); store.close()`,
        ],
        { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' },
      ).trim()
    const xdg = join(root, 'xdg')
    expect(open({ XDG_CONFIG_HOME: xdg, HOME: join(root, 'home') })).toBe(join(xdg, 'strata', 'strata.db'))
    expect(statSync(join(xdg, 'strata')).mode & 0o777).toBe(0o700)
    expect(statSync(join(xdg, 'strata', 'strata.db')).mode & 0o777).toBe(0o600)
    expect(existsSync(join(root, 'home'))).toBe(false)
    expect(open({ HOME: join(root, 'home') })).toBe(join(root, 'home', '.config', 'strata', 'strata.db'))
  })
})
