// The SDK's example pipeline (load → split → (fit, summarize) → evaluate) run from the CLI as a user
// would: in-process and with a process per step, cached on the second run; and how the run is shown —
// plain lines through a pipe, a live view redrawn in place on a real pseudo-terminal.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, createSandbox, link, ok, type Sandbox } from './helpers.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const fixtures = join(repo, 'packages/sdk/fixtures')

let sandbox: Sandbox

beforeAll(() => {
  sandbox = createSandbox()
  link(join(repo, 'packages/sdk'), join(sandbox.project, 'node_modules/@strata/sdk'))
  // The fixture itself, importing the SDK by its package name as a user's module does.
  writeFileSync(
    join(sandbox.project, 'example-pipeline.ts'),
    readFileSync(join(fixtures, 'example-pipeline.ts'), 'utf8').replace("'../src/index.js'", "'@strata/sdk'"),
  )
  mkdirSync(join(sandbox.project, 'helpers'))
  for (const helper of ['math.ts', 'stats.ts']) {
    writeFileSync(
      join(sandbox.project, 'helpers', helper),
      readFileSync(join(fixtures, 'helpers', helper), 'utf8'),
    )
  }
  writeFileSync(
    join(sandbox.project, 'process.yaml'),
    'settings: { orchestrator.local: { isolation: process } }\n',
  )
})
afterAll(() => sandbox?.cleanup())

const STEPS = ['load', 'split', 'fit', 'summarize', 'evaluate']
const run = ['pipeline', 'run', 'example-pipeline.ts', '--name', 'example-training']

function runName(output: string): string {
  const match = /^run (\S+): \d+ steps? on stack/m.exec(output)
  if (!match) throw new Error(`no run name in: ${output}`)
  return match[1]!
}

async function stepStates(name: string, env?: NodeJS.ProcessEnv): Promise<string[]> {
  const described = JSON.parse(
    (await ok(sandbox, ['run', 'describe', name, '--output', 'json'], env ? { env } : {})).stdout,
  ) as { status: string; steps: Array<{ name: string; status: string }> }
  return [described.status, ...described.steps.map((step) => `${step.name}:${step.status}`)]
}

describe('the example pipeline from the CLI', () => {
  it('runs in-process, printing the concurrency it uses, then a second run is fully cached', async () => {
    const first = await ok(sandbox, run)
    expect(first.stdout).toMatch(/^local orchestrator: up to 32 steps at once, in-process$/m)
    expect(first.stdout).toContain('[load] loading 20 rows')
    for (const step of STEPS) expect(first.stdout).toMatch(new RegExp(`^step ${step}: completed$`, 'm'))
    expect(await stepStates(runName(first.stdout))).toEqual([
      'completed',
      ...STEPS.map((step) => `${step}:completed`),
    ])

    const second = await ok(sandbox, run)
    expect(second.stdout).toContain('all 5 steps cached — the orchestrator was not called')
    expect(second.stdout).not.toContain('local orchestrator')
    expect(await stepStates(runName(second.stdout))).toEqual([
      'completed',
      ...STEPS.map((step) => `${step}:cached`),
    ])
  })

  it('runs each step in its own process with --config (settings: orchestrator.local.isolation: process), then caches', async () => {
    // A fresh store, so that nothing comes from the in-process run's cache.
    const env = { STRATA_CONFIG_DIR: join(sandbox.configDir, '..', 'config-process') }
    const first = await ok(sandbox, [...run, '--config', 'process.yaml'], { env })
    expect(first.stdout).toMatch(
      /^local orchestrator: up to 32 steps at once, 5 in their own processes \(up to \d+ at once\)$/m,
    )
    // The step process's log lines reach the terminal as they come, as in-process ones do.
    expect(first.stdout).toMatch(/^\[load\] loading 20 rows$/m)
    for (const step of STEPS) {
      expect(first.stdout).toMatch(new RegExp(`^step ${step}: running \\(own process\\)$`, 'm'))
      expect(first.stdout).toMatch(new RegExp(`^step ${step}: completed$`, 'm'))
    }
    const name = runName(first.stdout)
    expect(await stepStates(name, env)).toEqual(['completed', ...STEPS.map((step) => `${step}:completed`)])
    // What the step processes journaled reached the store: the model artifact, metadata and logs.
    const versions = (await ok(sandbox, ['artifact', 'versions', 'line-model'], { env })).stdout
    expect(versions).toMatch(/^v1\s+\S+\s+model\s+object\s+strata\.json@1/m)
    const described = (await ok(sandbox, ['run', 'describe', name], { env })).stdout
    expect(described).toContain('evaluate  meanAbsoluteError: 0')
    const logs = (await ok(sandbox, ['run', 'logs', name, '--step', 'load'], { env })).stdout
    expect(logs).toContain('loading 20 rows')

    const second = await ok(sandbox, [...run, '--config', 'process.yaml'], { env })
    expect(second.stdout).toContain('all 5 steps cached — the orchestrator was not called')
    expect(await stepStates(runName(second.stdout), env)).toEqual([
      'completed',
      ...STEPS.map((step) => `${step}:cached`),
    ])

    // Only evaluate runs again: the header counts the one process that starts, not the cached steps.
    writeFileSync(
      join(sandbox.project, 'process-evaluate.yaml'),
      'settings: { orchestrator.local: { isolation: process } }\nsteps: { evaluate: { cache: false } }\n',
    )
    const third = await ok(sandbox, [...run, '--config', 'process-evaluate.yaml'], { env })
    expect(third.stdout).toMatch(
      /^local orchestrator: up to 32 steps at once, 1 in its own process \(up to \d+ at once\)$/m,
    )
    expect(await stepStates(runName(third.stdout), env)).toEqual([
      'completed',
      ...STEPS.map((step) => `${step}:${step === 'evaluate' ? 'completed' : 'cached'}`),
    ])
  }, 60_000)
})

/** Runs the CLI on a real pseudo-terminal (util-linux `script`), 100 columns by 40 rows. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  const quoted = [process.execPath, BIN, ...args].map((part) => `'${part.replaceAll("'", "'\\''")}'`)
  const command = `stty cols 100 rows 40; exec ${quoted.join(' ')}`
  return new Promise((resolvePromise, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: sandbox.project,
      env: {
        ...process.env,
        STRATA_CONFIG_DIR: join(sandbox.configDir, '..', 'config-terminal'),
        CI: '',
        NO_COLOR: undefined,
        TERM: 'xterm-256color',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code: code ?? -1, output }))
  })
}

// Escape sequences, with the carriage return that starts a redraw.
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
const ANSI = /\r?\u001b\[[0-9;?]*[A-Za-z]/g
const plain = (text: string) => text.replaceAll(ANSI, '')

describe('progress of a run', () => {
  it('prints plain lines, no escape sequences, when the output is piped', async () => {
    const piped = await ok(sandbox, [...run, '--config', 'process.yaml'], {
      env: { STRATA_CONFIG_DIR: join(sandbox.configDir, '..', 'config-piped'), NO_COLOR: undefined },
    })
    expect(piped.stdout).not.toContain('\u001b')
    expect(piped.stdout).toMatch(/^step evaluate: completed$/m)
  }, 60_000)

  it('draws a live view on a terminal: redrawn in place, log lines intact, a final summary', async () => {
    const { code, output } = await onTerminal(run)
    expect(code).toBe(0)
    expect(output).toContain('\u001b[?25l') // the cursor is hidden while the view is live…
    expect(output).toContain('\u001b[?25h') // …and shown again
    // Redrawn in place: back to the first line of the block, erase to the end of the screen.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
    const redraws = output.match(/\r\u001b\[\d+A\u001b\[J/g) ?? []
    expect(redraws.length).toBeGreaterThanOrEqual(2)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
    expect(output).toMatch(/\u001b\[3\dm/) // state colours on a terminal
    // No plain state lines: the view shows the states.
    expect(plain(output)).not.toMatch(/^step load: /m)

    const lines = plain(output).split(/\r?\n/)
    // The step's log line is printed whole, on its own line, above the view.
    expect(lines).toContain('[load] loading 20 rows')
    // The last frame is the summary: every step with its final state and time, the counts, the run's line.
    const final = plain(output.slice(output.lastIndexOf('\u001b[J'))).split(/\r?\n/)
    const name = /^run (\S+): 5 steps on stack 'default'$/m.exec(plain(output))?.[1]
    expect(final.filter((line) => line.trim() !== '')).toEqual([
      ...STEPS.map((step) =>
        expect.stringMatching(new RegExp(`^ {2}✔ ${step} +completed +\\d+(ms|\\.\\ds)$`)),
      ),
      expect.stringMatching(/^ {2}5 of 5 done · \d+(ms|\.\ds)$/),
      `run ${name}: completed`,
    ])
  }, 60_000)

  it('shows cached steps in the summary, and falls back to plain lines with CI or --plain', async () => {
    const cached = await onTerminal(run)
    expect(cached.code).toBe(0)
    expect(plain(cached.output)).toMatch(/^ {2}5 of 5 done · 5 cached · /m)
    expect(plain(cached.output)).toMatch(/^ {2}✔ evaluate +cached/m)

    for (const fallback of [
      { args: run, env: { CI: 'true' } },
      { args: [...run, '--plain'], env: {} },
    ]) {
      const { code, output } = await onTerminal(fallback.args, fallback.env)
      expect(code).toBe(0)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
      expect(output).not.toMatch(/\u001b\[\d+A/)
      expect(plain(output)).toMatch(/^step evaluate: cached\r?$/m)
    }
  }, 60_000)
})
