import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { STORE_SCHEMA_VERSION } from './migrations.js'
import { assertSupportedNode } from './node-version.js'
import { SqliteStore } from './sqlite-store.js'

let configDir: string
beforeEach(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'strata-store-'))
})
afterEach(async () => {
  await rm(configDir, { recursive: true, force: true })
})

describe('SqliteStore', () => {
  it('creates a migrated store in WAL mode in the config directory', () => {
    const store = SqliteStore.open({ configDir })
    expect(store.path).toBe(join(configDir, 'strata.db'))
    expect(store.schemaVersion).toBe(STORE_SCHEMA_VERSION)
    expect(store.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' })
    expect(store.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 })
    expect(store.integrityCheck()).toBe('ok')
    store.close()
    // Re-opening an up-to-date store changes nothing.
    const again = SqliteStore.open({ configDir })
    expect(again.schemaVersion).toBe(STORE_SCHEMA_VERSION)
    again.close()
  })

  it('refuses a store newer than itself, with the fix', () => {
    const store = SqliteStore.open({ configDir })
    store.db.exec(`PRAGMA user_version = ${STORE_SCHEMA_VERSION + 1}`)
    store.close()
    expect(() => SqliteStore.open({ configDir })).toThrow(
      `has schema version ${STORE_SCHEMA_VERSION + 1}, but this Strata knows only up to ${STORE_SCHEMA_VERSION} — upgrade Strata`,
    )
  })

  it('rolls a failed transaction back completely', () => {
    const store = SqliteStore.open({ configDir })
    const before = store.dump()
    expect(() =>
      store.transaction(() => {
        store.run("INSERT INTO settings (key, value) VALUES ('a', '1')")
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(store.dump()).toEqual(before)
    store.close()
  })

  it('lets several processes write at once without "database is locked"', async () => {
    SqliteStore.open({ configDir }).close()
    // Child processes run the built package (`pnpm test` builds first).
    const script = `
      const { SqliteStore } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)})
      const store = SqliteStore.open({ configDir: process.argv[1] })
      for (let i = 0; i < 200; i++) {
        store.transaction(() => {
          const n = store.get("SELECT COUNT(*) AS n FROM settings").n
          store.run('INSERT INTO settings (key, value) VALUES (?, ?)', process.pid + ':' + i, String(n))
        })
      }
      store.close()
    `
    const writers = Array.from({ length: 4 }, () =>
      promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, configDir]),
    )
    await Promise.all(writers)
    const store = SqliteStore.open({ configDir })
    expect(store.get<{ n: number }>('SELECT COUNT(*) AS n FROM settings')?.n).toBe(800)
    store.close()
  }, 60_000)

  it('explains an unsupported Node.js instead of crashing in the native module', () => {
    expect(() => assertSupportedNode('20.20.2')).toThrow(
      'Strata needs Node.js 22.16 or newer, but this is Node.js 20.20.2 — run it through the project',
    )
  })
})
