// Class 8 of the fault suite: hostile text stays inert. Through the real binary: every kind of name a user
// gives, with each kind of control sequence, is refused (one error line, the store unchanged); values an
// older version stored are printed neutralised (no raw ESC, BEL, C1 or bidi byte on stdout or stderr, on a
// pipe or a terminal) while JSON and YAML read back as the stored values; oversized inputs are refused by
// their size, before they are read or parsed.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { fileURLToPath } from 'node:url'
import { escapeControls } from '@strata/core'
import { SqliteStore } from '@strata/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { BIN, createSandbox, link, ok, type Sandbox } from '../helpers.js'
import { faultReport } from './fault-report.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const report = faultReport('hostile-text')

/** One of each kind of control sequence a terminal may obey. */
const SEQUENCES: Record<string, string> = {
  'CSI colour': '\u001b[31m',
  'OSC title': '\u001b]0;pwned\u0007',
  'C0 (CR, backspace)': '\r\b',
  newline: '\n',
  DEL: '\u007f',
  'C1 (8-bit CSI)': '\u009b2J',
  'bidi override': '\u202e',
}

/**
 * Bytes a terminal may act on: C0 but newline, DEL, and the UTF-8 of C1 controls (C2 80–9F), bidi
 * embeddings, overrides and isolates (E2 80 AA–AE, E2 81 A6–A9), LRM/RLM (E2 80 8E–8F), line and paragraph
 * separators (E2 80 A8–A9) and ALM (D8 9C).
 */
function rawControl(
  bytes: Buffer,
  allowEscapes: (bytes: Buffer, at: number) => number = () => 0,
): string | undefined {
  for (let at = 0; at < bytes.length; at++) {
    const byte = bytes[at]!
    const skip = allowEscapes(bytes, at)
    if (skip > 0) {
      at += skip - 1
      continue
    }
    const next = bytes[at + 1] ?? 0
    const third = bytes[at + 2] ?? 0
    if ((byte < 0x20 && byte !== 0x0a) || byte === 0x7f) return `byte 0x${byte.toString(16)} at ${at}`
    if (byte === 0xc2 && next >= 0x80 && next <= 0x9f) return `C1 U+00${next.toString(16)} at ${at}`
    if (byte === 0xd8 && next === 0x9c) return `ALM at ${at}`
    if (
      byte === 0xe2 &&
      next === 0x80 &&
      (third === 0x8e || third === 0x8f || (third >= 0xa8 && third <= 0xae))
    )
      return `U+20${(third - 0x80).toString(16)} at ${at}`
    if (byte === 0xe2 && next === 0x81 && third >= 0xa6 && third <= 0xa9) return `isolate at ${at}`
  }
  return undefined
}

interface Raw {
  code: number
  stdout: Buffer
  stderr: Buffer
  /** Peak resident memory of the child in KiB, when /usr/bin/time could measure it. */
  peakKiB?: number
  ms: number
}

const TIME = '/usr/bin/time'

/** Runs the built CLI and keeps its output as bytes. `nodeOptions` go to node (e.g. a heap cap). */
function strataRaw(
  sandbox: Sandbox,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; nodeOptions?: string[]; measure?: boolean } = {},
): Promise<Raw> {
  const command = [process.execPath, ...(options.nodeOptions ?? []), BIN, ...args]
  const measured = options.measure === true && existsSync(TIME)
  const [file, ...rest] = measured ? [TIME, '-f', 'peak-kib=%M', ...command] : command
  return new Promise((resolvePromise, reject) => {
    const started = performance.now()
    const child = spawn(file!, rest, {
      cwd: sandbox.project,
      env: {
        ...process.env,
        STRATA_CONFIG_DIR: sandbox.configDir,
        NO_COLOR: '1',
        STRATA_DEBUG: '',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = performance.now() - started
      let stderr = Buffer.concat(err)
      let peakKiB: number | undefined
      if (measured) {
        // time(1) appends its line to stderr: take it off.
        const text = stderr.toString('utf8')
        const match = /(?:Command exited with non-zero status \d+\n)?peak-kib=(\d+)\n?$/.exec(text)
        if (match) {
          peakKiB = Number(match[1])
          stderr = Buffer.from(text.slice(0, match.index))
        }
      }
      resolvePromise({
        code: code ?? -1,
        stdout: Buffer.concat(out),
        stderr,
        ms,
        ...(peakKiB ? { peakKiB } : {}),
      })
    })
  })
}

/** Runs `tasks` at most `limit` at a time. */
async function pooled<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const index = next++
        results[index] = await tasks[index]!()
      }
    }),
  )
  return results
}

/** A string as YAML reads it back exactly: double-quoted, every control character escaped. */
function yamlString(value: string): string {
  return `"${escapeControls(JSON.stringify(value).slice(1, -1))}"`
}

// A pipeline whose names come from the environment, so that each kind of name in code can be made hostile.
const HOSTILE_PIPELINE = `
import { pipeline, step } from '@strata/sdk'
const kind = process.env.HOSTILE_KIND ?? ''
const name = process.env.HOSTILE_NAME ?? ''
export const produce = step(
  {
    name: kind === 'step' ? name : 'produce',
    ...(kind === 'output' ? { outputs: [name] } : {}),
    ...(kind === 'artifact' ? { artifacts: { output: { name } } } : {}),
    ...(kind === 'model' ? { model: { name } } : {}),
  },
  async () => (kind === 'output' ? { [name]: 1 } : 1),
)
export const hostile = pipeline({ name: kind === 'pipeline' ? name : 'hostile', cache: false }, () => {
  produce()
})
`

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = createSandbox()
  link(join(repo, 'packages/sdk'), join(sandbox.project, 'node_modules/@strata/sdk'))
  writeFileSync(join(sandbox.project, 'hostile.ts'), HOSTILE_PIPELINE)
  // What the refusals below would rename, copy or extend.
  await ok(sandbox, ['stack', 'copy', 'default', 'base'])
  await ok(sandbox, ['orchestrator', 'register', 'o1', '--flavor', 'local'])
  await ok(sandbox, ['secret', 'create', 's1', '--token=value-1'])
  await ok(sandbox, ['model', 'register', 'm1'])
  const store = SqliteStore.open({ configDir: sandbox.configDir })
  try {
    await store.models.createVersion('m1')
  } finally {
    store.close()
  }
  writeFileSync(
    join(sandbox.project, 'ok.yaml'),
    (await ok(sandbox, ['stack', 'export', 'base', '-'])).stdout,
  )
}, 120_000)
afterAll(() => sandbox?.cleanup())

/** Each kind of name a user gives, as the command line (and files) that give it. */
const NAME_KINDS: Array<{
  kind: string
  args(name: string, file: string): string[]
  file?(name: string): string
  env?(name: string): NodeJS.ProcessEnv
}> = [
  { kind: 'stack', args: (name) => ['stack', 'register', name, '-o', 'default', '-a', 'default'] },
  { kind: 'stack (rename)', args: (name) => ['stack', 'rename', 'base', name] },
  { kind: 'stack (copy)', args: (name) => ['stack', 'copy', 'default', name] },
  { kind: 'component', args: (name) => ['orchestrator', 'register', name, '--flavor', 'local'] },
  { kind: 'component (rename)', args: (name) => ['orchestrator', 'rename', 'o1', name] },
  { kind: 'secret', args: (name) => ['secret', 'create', name, '--token=v'] },
  { kind: 'secret key', args: (name) => ['secret', 'create', 's2', `--${name}=v`] },
  { kind: 'secret key (update)', args: (name) => ['secret', 'update', 's1', `--${name}=v`] },
  { kind: 'model', args: (name) => ['model', 'register', name] },
  { kind: 'model (rename)', args: (name) => ['model', 'update', 'm1', '--name', name] },
  { kind: 'model tag', args: (name) => ['model', 'register', 'm2', '-t', name] },
  { kind: 'model version', args: (name) => ['model', 'version', 'update', 'm1', '1', '--name', name] },
  {
    kind: 'stack file: stack_name',
    file: (name) =>
      `stack_name: ${yamlString(name)}\ncomponents:\n  orchestrator: { name: o1, flavor: local }\n  artifact_store: { name: default, flavor: local }\n`,
    args: (_name, file) => ['stack', 'import', file],
  },
  {
    kind: 'stack file: component name',
    file: (name) =>
      `stack_name: imported\ncomponents:\n  orchestrator: { name: ${yamlString(name)}, flavor: local }\n`,
    args: (_name, file) => ['stack', 'import', file],
  },
  { kind: 'stack import --name', args: (name) => ['stack', 'import', 'ok.yaml', '--name', name] },
  {
    kind: 'run config: runName',
    file: (name) => `runName: ${yamlString(name)}\n`,
    args: (_name, file) => ['pipeline', 'run', 'hostile.ts', '--config', file],
  },
  {
    kind: 'run config: schedule name',
    file: (name) => `schedule:\n  cron: '0 6 * * *'\n  name: ${yamlString(name)}\n`,
    args: (_name, file) => ['pipeline', 'run', 'hostile.ts', '--config', file],
  },
  {
    kind: 'run config: model name',
    file: (name) => `model:\n  name: ${yamlString(name)}\n`,
    args: (_name, file) => ['pipeline', 'run', 'hostile.ts', '--config', file],
  },
  ...['pipeline', 'step', 'output', 'artifact', 'model'].map((kind) => ({
    kind: `${kind} name in code`,
    args: () => ['pipeline', 'run', 'hostile.ts'],
    env: (name: string) => ({ HOSTILE_KIND: kind, HOSTILE_NAME: name }),
  })),
]

describe('every name a user gives refuses control characters', () => {
  it('refuses each kind of name with each kind of control sequence: exit 1 or 2, one inert error line, the store unchanged', async () => {
    const before = sandbox.dump()
    let index = 0
    const cases = NAME_KINDS.flatMap((kindCase) =>
      Object.entries(SEQUENCES).map(([sequenceKind, sequence]) => {
        const name = `n${sequence}x`
        const file = kindCase.file ? `hostile-${index++}.yaml` : ''
        if (kindCase.file) writeFileSync(join(sandbox.project, file), kindCase.file(name))
        return {
          label: `${kindCase.kind} with ${sequenceKind}`,
          args: kindCase.args(name, file),
          env: kindCase.env?.(name),
        }
      }),
    )
    cases.push({
      label: 'run config: empty runName',
      args: ['pipeline', 'run', 'hostile.ts', '--config', 'empty-run-name.yaml'],
      env: undefined,
    })
    writeFileSync(join(sandbox.project, 'empty-run-name.yaml'), 'runName: ""\n')

    const results = await pooled(
      cases.map((testCase) => async () => ({
        testCase,
        result: await strataRaw(sandbox, testCase.args, testCase.env ? { env: testCase.env } : {}),
      })),
      6,
    )
    const problems: string[] = []
    for (const { testCase, result } of results) {
      const stderr = result.stderr.toString('utf8')
      const problem =
        result.code === 0
          ? `accepted (exit 0): ${stderr}`
          : !/^Error: [^\n]+\n$/.test(stderr)
            ? `not one error line: ${JSON.stringify(stderr)}`
            : (rawControl(result.stdout) ?? rawControl(result.stderr))
              ? `raw control in output: ${rawControl(result.stdout) ?? rawControl(result.stderr)}`
              : testCase.label.includes('empty')
                ? /runName: '' is empty/.test(stderr)
                  ? undefined
                  : `does not say the run name is empty: ${stderr}`
                : /\\u00|\\u202e/.test(stderr)
                  ? undefined
                  : `does not show the control character escaped: ${stderr}`
      report.tried(`name: ${testCase.label}`, problem === undefined)
      if (problem) problems.push(`${testCase.label}: ${problem}`)
    }
    expect(problems).toEqual([])
    expect(sandbox.dump()).toEqual(before)
  }, 600_000)
})

/** Every control sequence at once, as a value an older Strata could have stored. */
const STORED = `\u001b]0;pwned\u0007\u001b[2J\u009b2J\u202eevil\r\u0008\u007f`
const stored = (what: string) => `${what}${STORED}`

/** Where a hostile value is found in parsed JSON or YAML: every string, deeply. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => [key, ...strings(item)])
  return []
}

describe('values already in the store are printed inert', () => {
  let runId = ''
  beforeAll(async () => {
    // Made the ordinary way, then given hostile names and texts behind the CLI's back, as an older version
    // (with no name rule) could have stored them.
    await ok(sandbox, ['stack', 'copy', 'default', 'victim'])
    await ok(sandbox, ['orchestrator', 'register', 'victim-o', '--flavor', 'local'])
    await ok(sandbox, ['secret', 'create', 'victim-s', '--token=value-2'])
    // Secret values are not names: any text is accepted, and shown inert when revealed.
    await ok(sandbox, ['secret', 'create', 'revealed', `--token=${stored('value')}`])
    await ok(sandbox, ['model', 'register', 'victim-m', '--description', 'plain', '-t', 'plain'])
    await ok(sandbox, ['pipeline', 'run', 'hostile.ts'], { env: { HOSTILE_KIND: '', HOSTILE_NAME: '' } })
    const database = new DatabaseSync(join(sandbox.configDir, 'strata.db'))
    try {
      const update = (sql: string, ...values: Array<string | null>) => database.prepare(sql).run(...values)
      update(
        'UPDATE stacks SET name = ?, description = ? WHERE name = ?',
        stored('stack'),
        stored('about'),
        'victim',
      )
      update('UPDATE components SET name = ? WHERE name = ?', stored('orchestrator'), 'victim-o')
      update('UPDATE secrets SET name = ? WHERE name = ?', stored('secret'), 'victim-s')
      update(
        'UPDATE models SET name = ?, description = ?, tags = ? WHERE name = ?',
        stored('model'),
        stored('description'),
        JSON.stringify([stored('tag')]),
        'victim-m',
      )
      update('UPDATE pipelines SET name = ? WHERE name = ?', stored('pipeline'), 'hostile')
      const run = database.prepare('SELECT id FROM runs LIMIT 1').get() as { id: string }
      runId = run.id
      update('UPDATE runs SET name = ?, error = ? WHERE id = ?', stored('run'), stored('run error'), runId)
      update('UPDATE step_runs SET error = ? WHERE run_id = ?', stored('step error'), runId)
      update("UPDATE artifacts SET name = ? WHERE name LIKE 'hostile::%'", stored('artifact'))
      update(
        `INSERT INTO schedules (id, name, pipeline_id, stack_name, orchestrator, artifact_store_uri, cron, time_zone, handle, created_at)
         SELECT 'sched-1', ?, id, ?, 'default', 'file:///nowhere', '0 6 * * *', NULL, '{}', '2026-01-01T00:00:00.000Z' FROM pipelines LIMIT 1`,
        stored('schedule'),
        stored('stack'),
      )
    } finally {
      database.close()
    }
  }, 120_000)

  const VIEWS: Array<{ label: string; args: () => string[]; formats?: boolean }> = [
    { label: 'stack list', args: () => ['stack', 'list'], formats: true },
    { label: 'stack describe', args: () => ['stack', 'describe', stored('stack')], formats: true },
    { label: 'orchestrator list', args: () => ['orchestrator', 'list'], formats: true },
    {
      label: 'orchestrator describe',
      args: () => ['orchestrator', 'describe', stored('orchestrator')],
      formats: true,
    },
    { label: 'secret list', args: () => ['secret', 'list'], formats: true },
    { label: 'secret get', args: () => ['secret', 'get', stored('secret')], formats: true },
    { label: 'secret get --reveal', args: () => ['secret', 'get', 'revealed', '--reveal'], formats: true },
    { label: 'model list', args: () => ['model', 'list'], formats: true },
    { label: 'model describe', args: () => ['model', 'describe', stored('model')], formats: true },
    { label: 'pipeline list', args: () => ['pipeline', 'list'], formats: true },
    { label: 'runs list', args: () => ['pipeline', 'runs', 'list'], formats: true },
    { label: 'runs describe', args: () => ['pipeline', 'runs', 'describe', runId], formats: true },
    { label: 'runs logs', args: () => ['pipeline', 'runs', 'logs', runId] },
    { label: 'artifact list', args: () => ['artifact', 'list'], formats: true },
    { label: 'artifact versions', args: () => ['artifact', 'versions', stored('artifact')], formats: true },
    { label: 'artifact describe', args: () => ['artifact', 'describe', stored('artifact')], formats: true },
    { label: 'schedule list', args: () => ['pipeline', 'schedule', 'list'], formats: true },
    { label: 'status', args: () => ['status'] },
    {
      label: 'an error quoting a stored name',
      args: () => ['stack', 'delete', stored('stack'), '-y', '--recursive-typo'],
    },
    { label: 'an error quoting a given name', args: () => ['model', 'describe', stored('missing')] },
  ]

  it('prints no raw control byte on stdout or stderr, as tables, JSON or YAML, and JSON and YAML read back the stored values', async () => {
    const cases = VIEWS.flatMap((view) =>
      (view.formats ? ['table', 'json', 'yaml'] : ['table']).map((format) => ({ view, format })),
    )
    const problems: string[] = []
    const seen = new Set<string>()
    for (const { view, format } of cases) {
      const args = [...view.args(), ...(format === 'table' ? [] : ['--output', format])]
      const result = await strataRaw(sandbox, args)
      const label = `stored: ${view.label} (${format})`
      const raw = rawControl(result.stdout) ?? rawControl(result.stderr)
      let problem = raw ? `raw control in output: ${raw}` : undefined
      if (!problem && format !== 'table' && result.code === 0) {
        const text = result.stdout.toString('utf8')
        try {
          const values = strings(format === 'json' ? JSON.parse(text) : parseYaml(text))
          for (const value of values) if (value.endsWith(STORED)) seen.add(value)
          if (!values.some((value) => value.endsWith(STORED)))
            problem = `no stored value read back from ${format}: ${text.slice(0, 300)}`
        } catch (error) {
          problem = `${format} does not parse: ${(error as Error).message}`
        }
      }
      report.tried(label, problem === undefined)
      if (problem) problems.push(`${label}: ${problem}`)
    }
    expect(problems).toEqual([])
    // Every hostile value came back, exactly as stored, from some JSON or YAML.
    for (const what of [
      'stack',
      'orchestrator',
      'secret',
      'value',
      'model',
      'description',
      'tag',
      'pipeline',
      'run',
      'artifact',
    ])
      expect(seen).toContain(stored(what))
  }, 300_000)
})

describe('on a terminal, only Strata’s own colours reach it', () => {
  it('keeps stored control sequences inert with colour on (a pseudo-terminal from script(1))', async (context) => {
    if (!existsSync('/usr/bin/script')) {
      context.skip('script(1) is not installed: the terminal case needs a pseudo-terminal')
      return
    }
    for (const args of [
      ['stack', 'list'],
      ['model', 'list'],
      ['pipeline', 'runs', 'list'],
      ['artifact', 'list'],
    ]) {
      const result = await new Promise<Buffer>((resolvePromise, reject) => {
        const child = spawn(
          '/usr/bin/script',
          ['-qec', [process.execPath, BIN, ...args].join(' '), '/dev/null'],
          {
            cwd: sandbox.project,
            env: {
              ...process.env,
              STRATA_CONFIG_DIR: sandbox.configDir,
              NO_COLOR: undefined,
              TERM: 'xterm-256color',
              COLUMNS: '200',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        )
        const chunks: Buffer[] = []
        child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
        child.on('error', reject)
        child.on('close', () => resolvePromise(Buffer.concat(chunks)))
      })
      const text = result.toString('utf8')
      // Strata's own styles are SGR sequences (ESC [ n m); the terminal turns each newline into CR LF.
      const allowed = (bytes: Buffer, at: number): number => {
        if (bytes[at] === 0x0d && bytes[at + 1] === 0x0a) return 1
        if (bytes[at] !== 0x1b || bytes[at + 1] !== 0x5b) return 0
        const match = /^\[\d{1,2}m/.exec(bytes.subarray(at + 1, at + 6).toString('latin1'))
        return match ? match[0].length + 1 : 0
      }
      const raw = rawControl(result, allowed)
      const coloured = text.includes(`${String.fromCharCode(0x1b)}[1m`)
      report.tried(`terminal: ${args.join(' ')}`, raw === undefined && coloured)
      expect(raw, text).toBeUndefined()
      expect(coloured, 'Strata still colours a terminal').toBe(true)
    }
  }, 120_000)
})

/** Medians of `runs` alternating runs of two commands (so drift in the machine's speed hits both alike). */
async function medians(
  runs: number,
  a: () => Promise<Raw>,
  b: () => Promise<Raw>,
): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []]
  for (let index = 0; index < runs; index++) {
    times[0].push((await a()).ms)
    times[1].push((await b()).ms)
  }
  const median = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)]!
  return [median(times[0]), median(times[1])]
}

describe('oversized inputs are refused by their size, before they are read', () => {
  const files = {
    small: 'tiny-bad.yaml',
    five: 'five-mb.yaml',
    fifty: 'fifty-mb.yaml',
    hugeName: 'huge-name.yaml',
  }
  beforeAll(() => {
    const at = (file: string) => join(sandbox.project, file)
    // Fails at its first line, like the refusals below: the same start-up, the same one error line.
    writeFileSync(at(files.small), 'stack_name: [x\n')
    // A real 5 MB file (a 5 MB name; the case), and a sparse 50 MB one (no disk, same size).
    writeFileSync(at(files.five), `stack_name: ${'x'.repeat(5 * 1024 * 1024)}\ncomponents: {}\n`)
    writeFileSync(at(files.fifty), '')
    truncateSync(at(files.fifty), 50 * 1024 * 1024)
    // Under the limit, but a name of 900 KB and a configuration key of as much: the errors quote an excerpt.
    writeFileSync(
      at(files.hugeName),
      `stack_name: s\ncomponents:\n  orchestrator: { name: o1, flavor: local, configuration: { ${'k'.repeat(900_000)}: 1 } }\n`,
    )
    mkdirSync(at('values'), { recursive: true })
  })

  it('refuses a 5 MB stack file with one bounded line, in about the time a tiny bad file takes', async () => {
    const before = sandbox.dump()
    const refused = await strataRaw(sandbox, ['stack', 'import', files.five])
    const line = refused.stderr.toString('utf8')
    const [big, small] = await medians(
      3,
      () => strataRaw(sandbox, ['stack', 'import', files.five]),
      () => strataRaw(sandbox, ['stack', 'import', files.small]),
    )
    const survived =
      refused.code === 1 &&
      line.length < 400 &&
      /is 5 MiB, more than the 1 MiB Strata reads/.test(line) &&
      big < 2 * small
    report.tried('oversized: 5 MB stack file', survived)
    expect(line).toMatch(
      /^Error: stack file \S+five-mb\.yaml is 5 MiB, more than the 1 MiB Strata reads — .+\n$/,
    )
    expect(line.length).toBeLessThan(400)
    // Refused by its size: no slower than a tiny file refused by the parser (it took 5 s to echo it whole).
    expect(big, `5 MB: ${big} ms, tiny: ${small} ms`).toBeLessThan(2 * small)
    expect(sandbox.dump()).toEqual(before)
  }, 120_000)

  it('refuses a 50 MB stack file without reading it: the CLI runs in a 16 MB heap, its peak as a tiny file’s', async () => {
    // Reading (let alone parsing) 50 MB in a 16 MB heap would end in an out-of-memory crash.
    const capped = ['--max-old-space-size=16']
    const refused = await strataRaw(sandbox, ['stack', 'import', files.fifty], {
      nodeOptions: capped,
      measure: true,
    })
    const reference = await strataRaw(sandbox, ['stack', 'import', files.small], {
      nodeOptions: capped,
      measure: true,
    })
    const line = refused.stderr.toString('utf8')
    const peakBounded =
      refused.peakKiB === undefined ||
      reference.peakKiB === undefined ||
      refused.peakKiB < reference.peakKiB + 16 * 1024
    report.tried('oversized: 50 MB stack file', refused.code === 1 && /is 50 MiB/.test(line) && peakBounded)
    expect(line).toMatch(
      /^Error: stack file \S+fifty-mb\.yaml is 50 MiB, more than the 1 MiB Strata reads — .+\n$/,
    )
    expect(refused.code).toBe(1)
    if (refused.peakKiB !== undefined && reference.peakKiB !== undefined) {
      expect(
        refused.peakKiB,
        `peak ${refused.peakKiB} KiB, a tiny file's ${reference.peakKiB} KiB`,
      ).toBeLessThan(reference.peakKiB + 16 * 1024)
    }
  }, 120_000)

  it('refuses a 50 MB run config, --values @file and --KEY=@file, naming the limit', async () => {
    const cases: Array<[string, string[]]> = [
      ['run config', ['pipeline', 'run', 'hostile.ts', '--config', files.fifty]],
      ['secret --values @file', ['secret', 'create', 'big', `--values=@${files.fifty}`]],
      ['secret --KEY=@file', ['secret', 'create', 'big', `--token=@${files.fifty}`]],
      [
        'component --KEY=@file',
        ['orchestrator', 'register', 'big', '--flavor', 'local', `--isolation=@${files.fifty}`],
      ],
    ]
    const before = sandbox.dump()
    for (const [label, args] of cases) {
      const result = await strataRaw(sandbox, args, { nodeOptions: ['--max-old-space-size=16'] })
      const line = result.stderr.toString('utf8')
      const survived = result.code === 1 && /^Error: [^\n]*1 MiB[^\n]*\n$/.test(line)
      report.tried(`oversized: 50 MB ${label}`, survived)
      expect(line, label).toMatch(/^Error: [^\n]*(is 50 MiB|holds more than the 1 MiB)[^\n]*\n$/)
      expect(result.code, label).toBe(1)
    }
    expect(sandbox.dump()).toEqual(before)
  }, 120_000)

  it('quotes a 900 KB name or key in a file under the limit as a bounded excerpt', async () => {
    const result = await strataRaw(sandbox, ['stack', 'import', files.hugeName])
    const line = result.stderr.toString('utf8')
    report.tried('oversized: 900 KB key in a stack file', result.code === 1 && line.length < 600)
    expect(line).toMatch(/unknown field 'k+…' \(900000 characters\)/)
    expect(line.length).toBeLessThan(600)
  }, 60_000)
})
