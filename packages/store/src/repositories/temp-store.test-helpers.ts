import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { SqliteStore } from '../sqlite/sqlite-store.js'

/**
 * A fresh store in a temporary directory for each test (closed and removed after it): the repositories'
 * tests run against a real SQLite file. Read `current()` inside a test.
 */
export function useTempStore(): { current: () => SqliteStore } {
  let configDir: string | undefined
  let store: SqliteStore | undefined
  beforeEach(async () => {
    configDir = await mkdtemp(join(tmpdir(), 'strata-store-'))
    store = SqliteStore.open({ configDir, secretsKey: Buffer.alloc(32, 7) })
  })
  afterEach(async () => {
    await store?.close()
    if (configDir) await rm(configDir, { recursive: true, force: true })
  })
  return {
    current: () => {
      if (!store) throw new Error('useTempStore(): the store opens in beforeEach')
      return store
    },
  }
}
