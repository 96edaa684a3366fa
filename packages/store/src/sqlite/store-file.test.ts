import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SqliteStore } from './sqlite-store.js'

let configDir: string
let path: string
beforeEach(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'strata-store-file-'))
  path = join(configDir, 'strata.db')
})
afterEach(async () => {
  await rm(configDir, { recursive: true, force: true })
})

/** A store with a stack and a run's worth of rows, closed (its WAL folded into the file). */
async function storeWithRows(): Promise<Buffer> {
  const store = SqliteStore.open({ configDir, secretsKey: Buffer.alloc(32, 1) })
  await store.stacks.ensureDefault({ package: '@strata/local', version: '0.1.0' })
  for (let index = 0; index < 50; index++) await store.settings.set(`key-${index}`, 'x'.repeat(400))
  await store.close()
  return readFileSync(path)
}

function refusal(): string {
  try {
    SqliteStore.open({ configDir }).close()
  } catch (error) {
    expect((error as { code?: string }).code).toBe('STORE_DAMAGED')
    return (error as Error).message
  }
  throw new Error('the store opened')
}

describe('an existing file that is not a store', () => {
  it('is refused, named, with the way out, and left as it was — never started over', async () => {
    const good = await storeWithRows()
    const pageSize = good.readUInt16BE(16)
    const stacksPage = (() => {
      const db = new DatabaseSync(path)
      const row = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'stacks'").get() as {
        rootpage: number
      }
      db.close()
      return row.rootpage
    })()
    const flipped = Buffer.from(good)
    flipped.fill(0xa5, (stacksPage - 1) * pageSize, stacksPage * pageSize)
    const foreign = join(configDir, 'foreign.db')
    const other = new DatabaseSync(foreign)
    other.exec(
      "CREATE TABLE photos (id INTEGER PRIMARY KEY, file TEXT); INSERT INTO photos VALUES (1, 'a.jpg')",
    )
    other.close()
    const kinds: Array<[string, Buffer, string]> = [
      ['empty', Buffer.alloc(0), 'the file is empty (0 bytes)'],
      ['truncated', good.subarray(0, 2 * pageSize), "SQLite reports 'database disk image is malformed'"],
      ['garbage', Buffer.alloc(good.length, 'not a database at all '), 'it is not an SQLite database'],
      [
        'foreign',
        readFileSync(foreign),
        'it is an SQLite database of something else (tables photos), not a Strata store',
      ],
    ]
    for (const [kind, bytes, what] of kinds) {
      writeFileSync(path, bytes)
      const message = refusal()
      expect(message, kind).toBe(
        `the Strata store at ${path} is damaged: ${what} — restore a backup with 'strata store restore FILE', or move ${path} away to start afresh (its stacks, runs, models and secrets are then gone)`,
      )
      expect(readFileSync(path).equals(bytes), kind).toBe(true)
    }
    // A damaged page is met when a command reads it: the same coded error, from the query.
    writeFileSync(path, flipped)
    const store = SqliteStore.open({ configDir })
    await expect(store.stacks.list()).rejects.toMatchObject({
      code: 'STORE_DAMAGED',
      message: expect.stringContaining(`the Strata store at ${path} is damaged: SQLite reports`),
    })
    await store.close()
    expect(readFileSync(path).equals(flipped)).toBe(true)
  })

  it('is found by quick_check when a crash left a write-ahead log of another store beside it', async () => {
    SqliteStore.open({ configDir }).close()
    // Another store, bigger, whose last writes are still in its log (a process killed before a checkpoint).
    const otherDir = join(configDir, 'other')
    const other = SqliteStore.open({ configDir: otherDir })
    for (let index = 0; index < 200; index++) await other.settings.set(`key-${index}`, 'x'.repeat(400))
    await other.close()
    const writer = new DatabaseSync(join(otherDir, 'strata.db'))
    writer.exec('PRAGMA wal_autocheckpoint = 0')
    for (let index = 0; index < 50; index++)
      writer.prepare('INSERT INTO settings VALUES (?, ?)').run(`late-${index}`, 'y'.repeat(300))
    const wal = readFileSync(join(otherDir, 'strata.db-wal'))
    writer.close()
    writeFileSync(`${path}-wal`, wal)
    const file = readFileSync(path)
    const message = refusal()
    // Refusing it did not fold the log into the file: both are as they were, for a look or a restore.
    expect(readFileSync(path).equals(file)).toBe(true)
    expect(readFileSync(`${path}-wal`).equals(wal)).toBe(true)
    expect(message).toContain(
      `is damaged: after recovering the write-ahead log a crash left (${path}-wal), SQLite finds: *** in database main ***`,
    )
  })
})

describe('a new store', () => {
  it('is made only where no file exists, whole: no empty or half-made file is ever at its path', async () => {
    // Four processes make the store at once; one's store wins, the others open it.
    const script = `
      const { SqliteStore } = await import(${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)})
      const store = SqliteStore.open({ configDir: process.argv[1], secretsKey: Buffer.alloc(32, 1) })
      await store.settings.set('writer-' + process.pid, 'here')
      await store.close()
    `
    await Promise.all(
      Array.from({ length: 4 }, () =>
        promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, configDir]),
      ),
    )
    const store = SqliteStore.open({ configDir })
    expect(store.dump().settings?.filter((row) => String(row.key).startsWith('writer-'))).toHaveLength(4)
    await store.close()
    expect(readdirSync(configDir).filter((name) => name.includes('.creating-'))).toEqual([])
    expect(statSync(path).mode & 0o777).toBe(0o600)
  }, 60_000)
})

describe('where the store lives', () => {
  it('may be a path holding what a file: URI reads specially', async () => {
    const odd = join(configDir, 'a b#c?d%20e&f=g')
    const store = SqliteStore.open({ configDir: odd })
    await store.settings.set('here', 'yes')
    await store.close()
    expect(readdirSync(odd)).toContain('strata.db')
    const again = SqliteStore.open({ configDir: odd })
    expect(await again.settings.get('here')).toBe('yes')
    await again.close()
  })
})

describe('SQLite failures a user can act on', () => {
  it('a store locked past the busy timeout is STORE_BUSY, naming the timeout', async () => {
    SqliteStore.open({ configDir }).close()
    const holder = new DatabaseSync(path)
    holder.exec('BEGIN IMMEDIATE')
    const store = SqliteStore.open({ configDir, busyTimeoutMs: 50 })
    try {
      await expect(store.settings.set('a', 'b')).rejects.toMatchObject({
        code: 'STORE_BUSY',
        message: `the Strata store at ${path} stayed locked by another process for longer than the busy timeout (50 ms) — wait for it to finish and retry, or wait longer with STRATA_STORE_BUSY_TIMEOUT_MS`,
      })
      // The async transaction path waits out the same timeout before it gives up.
      await expect(store.transaction((tx) => tx.settings.set('a', 'b'))).rejects.toMatchObject({
        code: 'STORE_BUSY',
      })
    } finally {
      holder.exec('ROLLBACK')
      holder.close()
      await store.close()
    }
  })

  it('a write that finds no room is STORE_DISK_FULL, and the store stays as it was', async () => {
    const store = SqliteStore.open({ configDir })
    await store.settings.set('kept', 'yes')
    const before = store.dump()
    // SQLite answers "database or disk is full" once the file would outgrow max_page_count, as on a full disk.
    const pages = (store.db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count
    store.db.exec(`PRAGMA max_page_count = ${pages}`)
    await expect(
      store.transaction(async (tx) => {
        for (let index = 0; index < 100; index++) await tx.settings.set(`big-${index}`, 'x'.repeat(4000))
      }),
    ).rejects.toMatchObject({
      code: 'STORE_DISK_FULL',
      message: `cannot write to the Strata store at ${path}: the disk is full — free space on the disk that holds ${configDir}, then retry`,
    })
    expect(store.dump()).toEqual(before)
    await store.close()
  })

  it('reads the busy timeout from STRATA_STORE_BUSY_TIMEOUT_MS and refuses a value that is not one', () => {
    const saved = process.env.STRATA_STORE_BUSY_TIMEOUT_MS
    try {
      process.env.STRATA_STORE_BUSY_TIMEOUT_MS = 'soon'
      expect(() => SqliteStore.open({ configDir })).toThrow(
        "STRATA_STORE_BUSY_TIMEOUT_MS must be a whole number of milliseconds (0 to 2147483647), got 'soon' — fix or unset it",
      )
    } finally {
      if (saved === undefined) delete process.env.STRATA_STORE_BUSY_TIMEOUT_MS
      else process.env.STRATA_STORE_BUSY_TIMEOUT_MS = saved
    }
  })
})
