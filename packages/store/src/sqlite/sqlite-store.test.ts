import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { assertSupportedNode } from '../node-version.js'
import { STORE_SCHEMA_VERSION } from './migrations.js'
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
    expect({ ...store.db.prepare('PRAGMA journal_mode').get() }).toEqual({ journal_mode: 'wal' })
    expect({ ...store.db.prepare('PRAGMA foreign_keys').get() }).toEqual({ foreign_keys: 1 })
    expect(store.integrityCheck()).toBe('ok')
    store.close()
    // Re-opening an up-to-date store changes nothing.
    const again = SqliteStore.open({ configDir })
    expect(again.schemaVersion).toBe(STORE_SCHEMA_VERSION)
    again.close()
  })

  it('syncs every commit only when asked (synchronous FULL), by option or STRATA_STORE_SYNCHRONOUS', () => {
    // SQLite's numbers: NORMAL = 1, FULL = 2.
    const synchronous = (store: SqliteStore) => ({ ...store.db.prepare('PRAGMA synchronous').get() })
    const normal = SqliteStore.open({ configDir })
    expect(synchronous(normal)).toEqual({ synchronous: 1 })
    normal.close()
    const full = SqliteStore.open({ configDir, synchronous: 'full' })
    expect(synchronous(full)).toEqual({ synchronous: 2 })
    full.close()
    const saved = process.env.STRATA_STORE_SYNCHRONOUS
    try {
      process.env.STRATA_STORE_SYNCHRONOUS = 'FULL'
      const fromEnv = SqliteStore.open({ configDir })
      expect(synchronous(fromEnv)).toEqual({ synchronous: 2 })
      fromEnv.close()
      process.env.STRATA_STORE_SYNCHRONOUS = 'always'
      expect(() => SqliteStore.open({ configDir })).toThrow(
        "STRATA_STORE_SYNCHRONOUS must be 'normal' or 'full', got 'always' — fix or unset it",
      )
    } finally {
      if (saved === undefined) delete process.env.STRATA_STORE_SYNCHRONOUS
      else process.env.STRATA_STORE_SYNCHRONOUS = saved
    }
  })

  it('refuses a store newer than itself, with the fix', () => {
    const store = SqliteStore.open({ configDir })
    store.db.exec(`PRAGMA user_version = ${STORE_SCHEMA_VERSION + 1}`)
    store.close()
    expect(() => SqliteStore.open({ configDir })).toThrow(
      `has schema version ${STORE_SCHEMA_VERSION + 1}, but this Strata knows only up to ${STORE_SCHEMA_VERSION} — upgrade Strata`,
    )
  })

  it('rolls a failed transaction back completely', async () => {
    const store = SqliteStore.open({ configDir })
    const before = store.dump()
    await expect(
      store.transaction(async (tx) => {
        await tx.settings.set('a', '1')
        await tx.stacks.ensureDefault({ package: '@strata/local', version: '0.1.0' })
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(store.dump()).toEqual(before)
    await store.close()
  })

  it('lets several processes write at once without "database is locked"', async () => {
    SqliteStore.open({ configDir }).close()
    // Child processes run the built package (`pnpm test` builds first).
    const script = `
      const { SqliteStore } = await import(${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)})
      const store = SqliteStore.open({ configDir: process.argv[1] })
      const count = store.db.prepare('SELECT COUNT(*) AS n FROM settings')
      for (let i = 0; i < 200; i++) {
        await store.transaction(async (tx) => {
          const n = count.get().n
          await tx.settings.set(process.pid + ':' + i, String(n))
        })
      }
      await store.close()
    `
    const writers = Array.from({ length: 4 }, () =>
      promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, configDir]),
    )
    await Promise.all(writers)
    const store = SqliteStore.open({ configDir })
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM settings').get()?.n).toBe(800)
    await store.close()
  }, 60_000)

  it('explains an unsupported Node.js instead of crashing in the native module', () => {
    expect(() => assertSupportedNode('20.20.2')).toThrow(
      'Strata needs Node.js 22.16 or newer, but this is Node.js 20.20.2 — run it through the project',
    )
  })
})
