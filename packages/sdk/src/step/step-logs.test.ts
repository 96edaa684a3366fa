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
