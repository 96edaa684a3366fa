import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { STORE_SCHEMA_VERSION } from './migrations.js'
import { SqliteStore } from './sqlite-store.js'

let directory: string
let configDir: string
let path: string
const children: ChildProcess[] = []
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'strata-store-backup-'))
  configDir = join(directory, 'config')
  path = join(configDir, 'strata.db')
})
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await rm(directory, { recursive: true, force: true })
})

const key = Buffer.alloc(32, 9)

async function storeWith(settings: Record<string, string>): Promise<Record<string, unknown[]>> {
  const store = SqliteStore.open({ configDir, secretsKey: key })
  for (const [name, value] of Object.entries(settings)) await store.settings.set(name, value)
  const dump = store.dump()
  await store.close()
  return dump
}

/** A store with `settings`, its dump, and a backup of it (`backup.db`). */
async function backedUp(
  settings: Record<string, string>,
): Promise<{ old: Record<string, unknown[]>; backup: string }> {
  const old = await storeWith(settings)
  const backup = join(directory, 'backup.db')
  const store = SqliteStore.open({ configDir, secretsKey: key })
  await store.backup(backup)
  await store.close()
  return { old, backup }
}

function dumpOf(file: string): Record<string, unknown[]> {
  const store = SqliteStore.open({ path: file, configDir: join(file, '..'), secretsKey: key })
  try {
    return store.dump()
  } finally {
    void store.close()
  }
}

/**
 * A process that holds the store open (as a running pipeline does), writing pairs of rows in one
 * transaction each until killed; prints `ready` once it has written its first pair.
 */
function writer(file: string): Promise<ChildProcess> {
  const script = `
    const { DatabaseSync } = require('node:sqlite')
    const db = new DatabaseSync(process.argv[1], { timeout: 10000 })
    const insert = db.prepare('INSERT INTO settings VALUES (?, ?)')
    let index = 0
    const write = () => {
      db.exec('BEGIN IMMEDIATE')
      insert.run('a-' + index, 'x'.repeat(300))
      insert.run('b-' + index, 'x'.repeat(300))
      db.exec('COMMIT')
      if (index++ === 0) console.log('ready')
      setImmediate(write)
    }
    write()
  `
  const child = spawn(process.execPath, ['-e', script, file], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.stdout?.once('data', () => resolve(child))
  })
}

describe('store backup', () => {
  it('copies one consistent moment of the store while another process writes', async () => {
    await storeWith({ before: 'backup' })
    await writer(path)
    const store = SqliteStore.open({ configDir, secretsKey: key })
    try {
      for (const round of [1, 2, 3]) {
        const copy = join(directory, `backup-${round}.db`)
        const { bytes } = await store.backup(copy)
        expect(bytes).toBe(statSync(copy).size)
        const check = SqliteStore.check({ path: copy })
        expect(check.problems).toEqual([])
        expect(check.schemaVersion).toBe(STORE_SCHEMA_VERSION)
        // Each transaction wrote a pair: a copy of one moment holds both rows of a pair or neither.
        const rows = new DatabaseSync(copy, { readOnly: true })
        const names = new Set(
          (rows.prepare('SELECT key FROM settings').all() as Array<{ key: string }>).map((row) => row.key),
        )
        rows.close()
        const pairs = [...names].filter((name) => name.startsWith('a-'))
        expect(pairs.length).toBeGreaterThan(0)
        for (const name of pairs) expect(names.has(`b-${name.slice(2)}`)).toBe(true)
        expect(names.size).toBe(pairs.length * 2 + 1)
        // A single file, for this user only.
        expect(readdirSync(directory).filter((name) => name.startsWith(`backup-${round}.db`))).toEqual([
          `backup-${round}.db`,
        ])
        expect(statSync(copy).mode & 0o777).toBe(0o600)
      }
    } finally {
      await store.close()
    }
  }, 60_000)

  it('refuses to overwrite a file unless forced, and never the store itself', async () => {
    await storeWith({ a: '1' })
    const store = SqliteStore.open({ configDir, secretsKey: key })
    const copy = join(directory, 'taken.db')
    writeFileSync(copy, 'mine')
    try {
      await expect(store.backup(copy)).rejects.toMatchObject({
        code: 'STORE_BACKUP_EXISTS',
        message: `${copy} already exists — choose another file, or pass --force to replace it`,
      })
      expect(readFileSync(copy, 'utf8')).toBe('mine')
      await store.backup(copy, { force: true })
      expect(SqliteStore.check({ path: copy }).problems).toEqual([])
      await expect(store.backup(path, { force: true })).rejects.toMatchObject({
        message: `${path} is the store itself — back it up to another file`,
      })
    } finally {
      await store.close()
    }
    expect(readdirSync(directory).filter((name) => name.includes('.partial-'))).toEqual([])
  })
})

describe('store restore', () => {
  it('puts a backup in place and keeps the store it replaced beside it', async () => {
    const old = await storeWith({ state: 'at backup' })
    const backup = join(directory, 'backup.db')
    const store = SqliteStore.open({ configDir, secretsKey: key })
    await store.backup(backup)
    await store.settings.set('state', 'after backup')
    await store.settings.set('later', 'yes')
    const replacedDump = store.dump()
    await store.close()

    const result = await SqliteStore.restore({
      configDir,
      from: backup,
      now: new Date('2026-12-05T12:30:00Z'),
    })
    expect(result).toEqual({
      replaced: `${path}.replaced-20261205T123000Z`,
      schemaVersion: STORE_SCHEMA_VERSION,
    })
    expect(dumpOf(path)).toEqual(old)
    expect(dumpOf(`${path}.replaced-20261205T123000Z`)).toEqual(replacedDump)
    // The backup is left as it was: no -wal or -shm made beside it.
    expect(readdirSync(directory).sort()).toEqual(['backup.db', 'config'])
  })

  it('refuses a file that is not a healthy store of a schema it knows, and changes nothing', async () => {
    await storeWith({ a: '1' })
    const before = readFileSync(path)
    const cases: Array<[string, (file: string) => void, string]> = [
      ['missing', () => {}, 'no such file'],
      ['garbage', (file) => writeFileSync(file, 'garbage '.repeat(1000)), 'it is not an SQLite database'],
      [
        'foreign',
        (file) => new DatabaseSync(file).exec('CREATE TABLE photos (id INTEGER)'),
        'it is an SQLite database of something else (tables photos), not a Strata store',
      ],
      [
        'newer',
        (file) => {
          const db = new DatabaseSync(file)
          db.exec(`CREATE TABLE settings (key TEXT); PRAGMA user_version = ${STORE_SCHEMA_VERSION + 1}`)
          db.close()
        },
        `its schema version ${STORE_SCHEMA_VERSION + 1} is newer than this Strata knows (${STORE_SCHEMA_VERSION}) — upgrade Strata to use it`,
      ],
    ]
    for (const [name, make, problem] of cases) {
      const file = join(directory, `${name}.db`)
      make(file)
      await expect(SqliteStore.restore({ configDir, from: file }), name).rejects.toMatchObject({
        code: 'STORE_BACKUP_INVALID',
        message: `cannot restore from ${file}: ${problem} — pick another backup (made with 'strata store backup FILE')`,
      })
      expect(readFileSync(path).equals(before), name).toBe(true)
    }
    expect(readdirSync(configDir).filter((name) => name.includes('.replaced-'))).toEqual([])
  })

  it('refuses while another process has the store open, naming it', async () => {
    const { backup } = await backedUp({ a: '1' })
    const holder = await writer(path)
    await expect(SqliteStore.restore({ configDir, from: backup })).rejects.toMatchObject({
      code: 'STORE_IN_USE',
      message: expect.stringMatching(
        new RegExp(
          `^cannot restore the Strata store at ${path} while process ${holder.pid} \\(node\\b[^)]*\\) has it open — let it finish or stop it, then retry$`,
        ),
      ),
    })
    expect(readdirSync(configDir).filter((name) => name.includes('.replaced-'))).toEqual([])
  }, 30_000)

  it('is the way out of a damaged store: the damaged file is kept aside byte for byte', async () => {
    const { old, backup } = await backedUp({ state: 'good' })
    const damaged = Buffer.from('scribbled over '.repeat(2000))
    writeFileSync(path, damaged)
    expect(() => SqliteStore.open({ configDir })).toThrow('is damaged: it is not an SQLite database')
    const { replaced } = await SqliteStore.restore({ configDir, from: backup })
    expect(replaced && readFileSync(replaced).equals(damaged)).toBe(true)
    expect(dumpOf(path)).toEqual(old)
  })

  it('makes the store from a backup where there is none', async () => {
    const { old, backup } = await backedUp({ state: 'good' })
    await rm(configDir, { recursive: true })
    expect(await SqliteStore.restore({ configDir, from: backup })).toMatchObject({ replaced: undefined })
    expect(dumpOf(path)).toEqual(old)
  })
})

describe('store check', () => {
  it('says ok for a healthy store and lists what SQLite finds in a damaged one', async () => {
    await storeWith(
      Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`k${index}`, 'v'.repeat(500)])),
    )
    expect(SqliteStore.check({ configDir })).toEqual({
      path,
      exists: true,
      schemaVersion: STORE_SCHEMA_VERSION,
      problems: [],
    })
    const bytes = readFileSync(path)
    const pageSize = bytes.readUInt16BE(16)
    // The last page: a leaf of the settings table.
    bytes.fill(0x5a, bytes.length - pageSize + 8, bytes.length)
    writeFileSync(path, bytes)
    const found = SqliteStore.check({ configDir })
    expect(found.problems.length).toBeGreaterThan(0)
    expect(found.problems[0]).toMatch(/^integrity check: /)
    expect(SqliteStore.check({ configDir: join(directory, 'none') })).toMatchObject({
      exists: false,
      problems: [],
    })
  })
})
