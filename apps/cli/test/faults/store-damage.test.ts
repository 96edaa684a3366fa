// Class 3 of the fault suite: the store never silently starts over. Through the real binary: a store file
// that is empty, cut short, garbage, has a damaged page, is another program's SQLite database, or has a
// crash's write-ahead log of another store beside it is refused by every command with one line naming the
// file and the way out (`strata store restore`), exit 1, the file untouched; `strata store check` lists the
// problem; `strata store restore` brings the backup back and keeps the damaged file aside. A backup taken
// while a pipeline run writes restores into a sound store; restore is refused while a run has the store
// open. After each fault: the store passes SQLite's integrity check, no run is left running without its
// owner, no completed artifact is lost, no canary printed.
import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, createSandbox, link, ok, type Result, type Sandbox } from '../helpers.js'
import { afterFault } from './after-fault.js'
import { faultReport } from './fault-report.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const report = faultReport('store-damage')
const CANARY = 'canary-store-damage-4b1e07'

const PIPELINES = `
import { appendFileSync, existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { input, pipeline, step } from '@strata/sdk'

export const produce = step({ name: 'produce', secrets: ['fault_canary'] }, async () => {
  console.log('producing with', process.env.FAULT_TOKEN)
  return [1, 2, 3]
})
export const small = pipeline({ name: 'small' }, () => { produce() })

// A chain that commits a step after another, then waits at its gate: the run holds the store open.
export const first = step({ name: 'first' }, async () => 0)
export const tick = step({ name: 'tick', inputs: { previous: input<number>() } }, async ({ previous }) => previous + 1)
export const gate = step({ name: 'gate', inputs: { previous: input<number>() } }, async ({ previous }) => {
  appendFileSync(process.env.MARKS!, 'gate ' + process.pid + '\\n')
  while (!existsSync(process.env.GO!)) await sleep(20)
  return previous
})
export const writing = pipeline({ name: 'writing', cache: false }, () => {
  let value = first()
  for (let index = 0; index < 30; index++) value = tick({ previous: value })
  gate({ previous: value })
})
`

let sandbox: Sandbox
let store: string
let good: string
/** The store's own file as the last command left it (WAL mode, its log folded in), for damaging. */
let live: string
let marks: string
let go: string
const outputs: Result[] = []

async function strata(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const result = await sandbox.strata(args, { env: { FAULT_TOKEN: CANARY, MARKS: marks, GO: go, ...env } })
  outputs.push(result)
  return result
}

/** The store as it was when backed up, with no log or index files left from before. */
function putBackGood(): void {
  for (const suffix of ['-wal', '-shm']) rmSync(`${store}${suffix}`, { force: true })
  copyFileSync(live, store)
}

/** The page of a table's root, as SQLite numbers pages (from 1). */
function rootPage(file: string, table: string): number {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return (
      db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(table) as { rootpage: number }
    ).rootpage
  } finally {
    db.close()
  }
}

/** A write-ahead log of another, bigger store, as a process killed before its checkpoint leaves it. */
async function foreignLog(): Promise<Buffer> {
  const other = join(dirname(store), '..', 'other-config')
  await ok(sandbox, ['stack', 'list'], { env: { STRATA_CONFIG_DIR: other } })
  const db = new DatabaseSync(join(other, 'strata.db'))
  for (let index = 0; index < 400; index++)
    db.prepare('INSERT INTO settings VALUES (?, ?)').run(`filler-${index}`, 'x'.repeat(400))
  db.close()
  const writer = new DatabaseSync(join(other, 'strata.db'))
  writer.exec('PRAGMA wal_autocheckpoint = 0')
  for (let index = 0; index < 50; index++)
    writer.prepare('INSERT INTO settings VALUES (?, ?)').run(`late-${index}`, 'y'.repeat(300))
  const wal = readFileSync(join(other, 'strata.db-wal'))
  writer.close()
  return wal
}

beforeAll(async () => {
  sandbox = createSandbox()
  link(join(repo, 'packages/sdk'), join(sandbox.project, 'node_modules/@strata/sdk'))
  writeFileSync(join(sandbox.project, 'pipelines.ts'), PIPELINES)
  marks = join(sandbox.project, 'marks.log')
  go = join(sandbox.project, 'go')
  store = join(sandbox.configDir, 'strata.db')
  good = join(sandbox.project, 'good.db')
  await strata(['secret', 'create', 'fault_canary', `--token=${CANARY}`])
  for (const name of ['small', 'small']) await strata(['pipeline', 'run', 'pipelines.ts', '--name', name])
  const backup = await strata(['store', 'backup', good])
  expect(backup.code, backup.stderr).toBe(0)
  live = join(sandbox.project, 'live.db')
  copyFileSync(store, live)
}, 120_000)
afterAll(() => sandbox?.cleanup())

const ADVICE = (path: string) =>
  ` — restore a backup with 'strata store restore FILE', or move ${path} away to start afresh (its stacks, runs, models and secrets are then gone)\n`

interface Damage {
  kind: string
  /** The damaged store file (and, for a log that does not belong, the log beside it). */
  make: () => Promise<{ file: Buffer; wal?: Buffer }>
  /** The command that meets the damage. */
  command: string[]
  /** What the error says is wrong. */
  what: RegExp
}

const DAMAGES: Damage[] = [
  {
    kind: 'an empty file (0 bytes)',
    make: async () => ({ file: Buffer.alloc(0) }),
    command: ['stack', 'list'],
    what: /^the file is empty \(0 bytes\)$/,
  },
  {
    kind: 'a file cut short',
    make: async () => ({ file: readFileSync(live).subarray(0, 3 * 4096) }),
    command: ['stack', 'list'],
    what: /^SQLite reports 'database disk image is malformed'$/,
  },
  {
    kind: 'garbage',
    make: async () => ({ file: Buffer.alloc(readFileSync(live).length, 'written over by something else ') }),
    command: ['secret', 'list'],
    what: /^it is not an SQLite database$/,
  },
  {
    kind: 'a damaged page (the stacks table)',
    make: async () => {
      const bytes = Buffer.from(readFileSync(live))
      const page = rootPage(live, 'stacks')
      bytes.fill(0xa5, (page - 1) * 4096, page * 4096)
      return { file: bytes }
    },
    command: ['stack', 'list'],
    what: /^SQLite reports 'database disk image is malformed'$/,
  },
  {
    kind: 'a damaged page (the runs table)',
    make: async () => {
      const bytes = Buffer.from(readFileSync(live))
      const page = rootPage(live, 'runs')
      bytes.fill(0x00, (page - 1) * 4096 + 8, page * 4096)
      bytes[(page - 1) * 4096] = 0x0d
      bytes.writeUInt16BE(60, (page - 1) * 4096 + 3)
      return { file: bytes }
    },
    command: ['pipeline', 'runs', 'list'],
    what: /^SQLite reports 'database disk image is malformed'$/,
  },
  {
    kind: "another program's SQLite database",
    make: async () => {
      const file = join(sandbox.project, 'photos.db')
      const db = new DatabaseSync(file)
      db.exec(
        "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT); INSERT INTO photos VALUES (1, 'a.jpg')",
      )
      db.close()
      return { file: readFileSync(file) }
    },
    command: ['stack', 'list'],
    what: /^it is an SQLite database of something else \(tables photos\), not a Strata store$/,
  },
  {
    kind: "a crash's write-ahead log of another store beside it",
    make: async () => ({ file: readFileSync(live), wal: await foreignLog() }),
    command: ['stack', 'list'],
    what: /^after recovering the write-ahead log a crash left \(.*strata\.db-wal\), SQLite finds: \*\*\* in database main \*\*\*/,
  },
]

describe('a store file that is not a store', () => {
  it.each(DAMAGES.map((damage) => [damage.kind, damage] as const))(
    '%s: refused, untouched, restorable',
    async (_kind, damage) => {
      const problems: string[] = []
      const check = (condition: boolean, problem: string) => {
        if (!condition) problems.push(problem)
      }
      putBackGood()
      const { file, wal } = await damage.make()
      writeFileSync(store, file)
      if (wal) writeFileSync(`${store}-wal`, wal)

      const refused = await strata(damage.command)
      const line = new RegExp(
        `^Error: the Strata store at ${store} is damaged: (.+)${ADVICE(store).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
      )
      const said = line.exec(refused.stderr)?.[1]
      check(refused.code === 1, `exit ${refused.code}`)
      check(said !== undefined && damage.what.test(said), `stderr: ${refused.stderr}`)
      check(refused.stdout === '', `stdout: ${refused.stdout}`)
      check(readFileSync(store).equals(file), 'the store file changed')

      const checked = await strata(['store', 'check'])
      check(
        checked.code === 1 && checked.stderr.startsWith(`Error: the Strata store at ${store} is damaged: `),
        `store check: ${checked.code} ${checked.stderr}`,
      )

      const restored = await strata(['store', 'restore', good])
      const replaced = /The store it replaced is kept as (\S+): delete it once you are sure\./.exec(
        restored.stderr,
      )?.[1]
      check(restored.code === 0, `store restore: ${restored.stderr}`)
      check(
        replaced !== undefined && readFileSync(replaced).equals(file),
        'the damaged file was not kept aside as it was',
      )
      if (wal)
        check(
          replaced !== undefined && readFileSync(`${replaced}-wal`).equals(wal),
          'its log was not kept aside',
        )

      const runs = await strata(['pipeline', 'runs', 'list', '--output', 'json'])
      check(
        runs.code === 0 && (JSON.parse(runs.stdout) as { items: unknown[] }).items.length === 2,
        `runs after restore: ${runs.stdout}${runs.stderr}`,
      )
      check((await strata(['store', 'check'])).code === 0, 'store check after restore')
      problems.push(...(await afterFault(sandbox, { outputs, canaries: [CANARY] })))
      for (const result of outputs)
        check(!/bug in Strata/.test(result.stderr), `a bug line: ${result.stderr}`)
      report.tried(`store file: ${damage.kind}`, problems.length === 0)
      expect(problems).toEqual([])
    },
    60_000,
  )
})

/** Starts `strata pipeline run pipelines.ts --name writing` in the background; resolves once it prints its header. */
async function startWriting(): Promise<{ child: ChildProcess; done: Promise<Result> }> {
  rmSync(go, { force: true })
  writeFileSync(marks, '')
  const child = spawn(process.execPath, [BIN, 'pipeline', 'run', 'pipelines.ts', '--name', 'writing'], {
    cwd: sandbox.project,
    env: {
      ...process.env,
      STRATA_CONFIG_DIR: sandbox.configDir,
      NO_COLOR: '1',
      MARKS: marks,
      GO: go,
      FAULT_TOKEN: CANARY,
    },
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => (stdout += chunk))
  child.stderr?.on('data', (chunk) => (stderr += chunk))
  const done = new Promise<Result>((resolvePromise) =>
    child.on('close', (code) => {
      const result = { code: code ?? -1, stdout, stderr }
      outputs.push(result)
      resolvePromise(result)
    }),
  )
  for (let waited = 0; !/^run \S+: \d+ steps on stack/m.test(stdout); waited += 20) {
    if (child.exitCode !== null || waited > 60_000)
      throw new Error(`the run did not start: ${stdout}${stderr}`)
    await sleep(20)
  }
  return { child, done }
}

function replacedFiles(): string[] {
  return readdirSync(sandbox.configDir).filter((name) => name.startsWith('strata.db.replaced-'))
}

async function gateReached(): Promise<void> {
  for (let waited = 0; !(existsSync(marks) && readFileSync(marks, 'utf8').includes('gate')); waited += 20) {
    if (waited > 60_000) throw new Error('the run never reached its gate')
    await sleep(20)
  }
}

describe('backup and restore around a run', () => {
  it('backs up while a run writes; each backup restores into a sound store, and the main store takes one back', async () => {
    const problems: string[] = []
    putBackGood()
    const { done } = await startWriting()
    // Back-to-back backups while the chain commits step after step, then one while the run waits at its gate.
    const backups: string[] = []
    for (let round = 0; round < 3 || !readFileSync(marks, 'utf8').includes('gate'); round++) {
      const file = join(sandbox.project, `during-${round}.db`)
      const result = await strata(['store', 'backup', file])
      if (result.code !== 0) problems.push(`backup ${round}: ${result.stderr}`)
      backups.push(file)
      if (round > 200) break
    }
    await gateReached()
    const last = join(sandbox.project, 'during-gate.db')
    if ((await strata(['store', 'backup', last])).code !== 0) problems.push('backup at the gate')
    backups.push(last)
    writeFileSync(go, '')
    const run = await done
    if (run.code !== 0) problems.push(`the run: ${run.stdout}${run.stderr}`)

    // Each backup is a sound store of its own: restored elsewhere, checked, listed.
    for (const file of backups) {
      const elsewhere = { STRATA_CONFIG_DIR: join(sandbox.project, `restored-${backups.indexOf(file)}`) }
      const restored = await strata(['store', 'restore', file], elsewhere)
      const checked = await strata(['store', 'check'], elsewhere)
      if (restored.code !== 0 || checked.code !== 0)
        problems.push(`${file}: ${restored.stderr}${checked.stderr}`)
    }
    // The one taken at the gate holds the run as running: restored in place, the run's owner has ended, so
    // the next list marks it failed (abandoned), and its completed steps keep their artifacts.
    const restored = await strata(['store', 'restore', last])
    if (restored.code !== 0) problems.push(`restore in place: ${restored.stderr}`)
    const listed = JSON.parse(
      (await strata(['pipeline', 'runs', 'list', '--pipeline', 'writing', '--output', 'json'])).stdout,
    ) as {
      items: Array<{ status: string; error: string | null }>
    }
    if (listed.items[0]?.status !== 'failed' || !listed.items[0]?.error?.startsWith('run abandoned: '))
      problems.push(`the restored run: ${JSON.stringify(listed.items[0])}`)
    problems.push(...(await afterFault(sandbox, { outputs, canaries: [CANARY] })))
    report.tried('backup while a run writes, restore', problems.length === 0)
    expect(problems).toEqual([])
  }, 180_000)

  it('refuses to restore while a run has the store open, naming its process; refuses to overwrite a backup', async () => {
    const problems: string[] = []
    const { child, done } = await startWriting()
    await gateReached()
    const replacedBefore = replacedFiles()
    const refused = await strata(['store', 'restore', good])
    const expected = new RegExp(
      `^Error: cannot restore the Strata store at ${store} while process ${child.pid} \\(node strata\\.mjs pipeline run pipelines\\.ts\\)((,| and) process \\d+ \\([^)]*\\))* has it open — let it finish or stop it, then retry\\n$`,
    )
    if (refused.code !== 1 || !expected.test(refused.stderr))
      problems.push(`restore during a run: ${refused.code} ${refused.stderr}`)
    if (replacedFiles().length !== replacedBefore.length) problems.push('a store was replaced')
    writeFileSync(go, '')
    const run = await done
    if (run.code !== 0) problems.push(`the run: ${run.stdout}${run.stderr}`)
    // The run went on and recorded its end in the store it started in.
    const listed = JSON.parse(
      (await strata(['pipeline', 'runs', 'list', '--pipeline', 'writing', '--output', 'json'])).stdout,
    ) as { items: Array<{ status: string }> }
    if (listed.items[0]?.status !== 'completed') problems.push(`the run: ${JSON.stringify(listed.items[0])}`)

    const again = await strata(['store', 'backup', good])
    if (
      again.code !== 1 ||
      again.stderr !== `Error: ${good} already exists — choose another file, or pass --force to replace it\n`
    )
      problems.push(`backup over a file: ${again.stderr}`)
    problems.push(...(await afterFault(sandbox, { outputs, canaries: [CANARY] })))
    report.tried('restore while a run has the store open', problems.length === 0)
    expect(problems).toEqual([])
  }, 120_000)
})
