import { afterEach, beforeEach, expect, it } from 'vitest'
import { Client } from '../client/client.js'
import { pipeline } from '../dsl/pipeline.js'
import { step } from '../dsl/step.js'
import { type TempEnvironment, tempEnvironment } from '../test-support/temp-environment.js'

let environment: TempEnvironment
beforeEach(async () => {
  environment = await tempEnvironment()
})
afterEach(() => environment.dispose())

it('routes console output of concurrent steps to each step’s own log', async () => {
  const talk = (name: string) =>
    step({ name, outputs: [] }, async (_inputs, ctx) => {
      for (let line = 0; line < 20; line++) {
        console.log(`${name} line ${line}`)
        if (line % 3 === 0) console.error(`${name} warning ${line}`)
        ctx.logger.info(`${name} via logger ${line}`)
        // Both steps run at once and yield after every line, so their output interleaves line by line.
        await new Promise((resolve) => setImmediate(resolve))
      }
    })
  const left = talk('left')
  const right = talk('right')
  const lines: string[] = []
  const both = pipeline({ name: 'talkative' }, () => {
    left()
    right()
  })
  const run = await both.run({ environment, output: (line) => lines.push(line) })
  expect(run.status).toBe('completed')
  const client = new Client(environment)
  const leftLog = await client.runLogs(run.id, 'left')
  const rightLog = await client.runLogs(run.id, 'right')
  expect(leftLog.match(/left line/g)).toHaveLength(20)
  expect(leftLog.match(/left warning/g)).toHaveLength(7)
  expect(leftLog.match(/left via logger/g)).toHaveLength(20)
  expect(leftLog).not.toContain('right')
  expect(rightLog.match(/right line/g)).toHaveLength(20)
  expect(rightLog).not.toContain('left')
  // The terminal saw both, each line tagged with its step, interleaved.
  const tagged = lines.filter((line) => line.startsWith('[left]') || line.startsWith('[right]'))
  expect(tagged).toHaveLength(94)
  expect(tagged.slice(0, 10).some((line) => line.startsWith('[right]'))).toBe(true)
})

it('routes raw process.stdout/stderr writes of concurrent steps to each step’s own log, whole lines, masked', async () => {
  await environment.workspace.store.secrets.create('api', { token: 'raw-s3cret-token' })
  const raw = (name: string) =>
    step({ name, outputs: [], secrets: ['api'] }, async () => {
      for (let line = 0; line < 10; line++) {
        // A line in three writes (one of bytes, with a character split across two of them), interleaved
        // with the other step's: each step's log still gets its own lines whole.
        process.stdout.write(`${name} raw ${line} é`.slice(0, -1))
        await new Promise((resolve) => setImmediate(resolve))
        const accent = Buffer.from('é\n')
        process.stdout.write(accent.subarray(0, 1))
        process.stdout.write(accent.subarray(1))
        if (line % 5 === 0) process.stderr.write(`${name} err ${line} raw-s3cret-token\n`)
      }
      process.stdout.write(`${name} no newline at the end`)
    })
  const left = raw('left')
  const right = raw('right')
  const lines: string[] = []
  const both = pipeline({ name: 'raw-writers' }, () => {
    left()
    right()
  })
  const run = await both.run({ environment, output: (line) => lines.push(line) })
  expect(run.status).toBe('completed')
  const client = new Client(environment)
  for (const [name, other] of [
    ['left', 'right'],
    ['right', 'left'],
  ] as const) {
    const log = await client.runLogs(run.id, name)
    for (let line = 0; line < 10; line++) expect(log).toMatch(new RegExp(`INFO  ${name} raw ${line} é$`, 'm'))
    expect(log).toMatch(new RegExp(`ERROR ${name} err 0 \\*{8}$`, 'm'))
    expect(log).toContain(`${name} no newline at the end`)
    expect(log).not.toContain(other)
    expect(log).not.toContain('raw-s3cret-token')
    expect(lines).toContain(`[${name}] ${name} raw 9 é`)
  }
  expect(lines.join('\n')).not.toContain('raw-s3cret-token')
})
