import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { deaths, external } from '../../fixtures/process-pipelines.js'
import { Client } from '../client/client.js'
import { type TempEnvironment, tempEnvironment } from '../test-support/temp-environment.js'

const PROCESS = { 'orchestrator.local': { isolation: 'process' } }
const SECRET = 't0ps3cret-value'

let environment: TempEnvironment
beforeEach(async () => {
  environment = await tempEnvironment()
  await environment.workspace.store.secrets.create('api', { token: SECRET })
})
afterEach(() => environment.dispose())

async function runDeaths(signal: string, dieUntil: number) {
  const lines: string[] = []
  const run = await deaths.run({
    environment,
    settings: PROCESS,
    params: { signal, dieUntil },
    output: (line) => lines.push(line),
  })
  const stepRun = await environment.repositories.runs.stepRun(run.id, 'dying')
  const log = await new Client(environment).runLogs(run.id, 'dying')
  return { run, lines, stepRun, log }
}

describe('a step process that dies of a signal the run did not send', () => {
  for (const signal of ['SIGKILL', 'SIGSEGV', 'SIGTERM']) {
    it(`${signal}: the attempt failed; the retry policy starts another process, which completes`, async () => {
      const { run, lines, stepRun, log } = await runDeaths(signal, 1)
      expect(run.status).toBe('completed')
      expect(stepRun).toMatchObject({ status: 'completed', attempts: 2 })
      const retrying = lines.find((line) => line.startsWith('step dying: retrying (attempt 2)'))
      expect(retrying).toContain(signal === 'SIGTERM' ? 'SIGTERM' : `died of ${signal}`)
      // Both attempts are in the log: what the step printed, past process.stdout too, and how it died.
      expect(log).toContain('attempt 1 starts')
      expect(log).toContain('attempt 1 wrote to fd 1')
      expect(log).toContain('attempt 2 starts')
      expect(log).toContain('attempt 1 failed')
      expect(log).not.toContain(SECRET)
      expect(lines.join('\n')).not.toContain(SECRET)
    }, 60_000)
  }

  it('fails with the signal named once the retries are used up (not stopped, not exit 130)', async () => {
    const { run, stepRun, log } = await runDeaths('SIGKILL', 2)
    expect(run.status).toBe('failed')
    expect(stepRun).toMatchObject({ status: 'failed', attempts: 2 })
    expect(stepRun?.error).toMatch(/^the step process died of SIGKILL, a signal the run did not send/)
    expect(log).toContain('attempt 2 wrote to fd 1')
    expect(log).toContain('died of SIGKILL')
  }, 60_000)
})

describe('what a step process prints around the step runner', () => {
  it('is shown and kept in the step log, masked (a module printing while it loads)', async () => {
    process.env.STRATA_TEST_LOUD = '1'
    try {
      const { run, lines, log } = await runDeaths('SIGKILL', 0)
      expect(run.status).toBe('completed')
      expect(lines).toContain('[dying] loaded in a step process')
      expect(log).toMatch(/^\S+ ERROR loaded in a step process$/m)
      expect(log).toContain(`attempt 1 wrote to fd 1 with ******** inside`)
    } finally {
      delete process.env.STRATA_TEST_LOUD
    }
  }, 60_000)
})

it('runs a step that imports a package the code bundle leaves out (esbuild) in its own process', async () => {
  const run = await external.run({ environment, settings: PROCESS, output: false })
  expect(run.status).toBe('completed')
  const stepRun = await environment.repositories.runs.stepRun(run.id, 'bundler_version')
  expect(stepRun?.error ?? null).toBeNull()
}, 60_000)
