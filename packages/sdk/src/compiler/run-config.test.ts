import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findControlCharacter } from '@strata/core'
import { describe, expect, it } from 'vitest'
import { loadRunConfig, parseRunConfig } from './run-config.js'

const HOSTILE = ['\u001b[31mred', '\u001b]0;pwned\u0007', 'a\rb', 'del\u007f', '\u009b2J', 'abc\u202edef']

describe('run configuration names', () => {
  it('refuses an empty run name', () => {
    expect(() => parseRunConfig({ runName: '' }, 'run.yaml')).toThrow(
      expect.objectContaining({
        code: 'INVALID_RUN_CONFIG',
        message: expect.stringMatching(
          /^run config run\.yaml is invalid: runName: '' is empty \(a name is 1 to 255 characters without control characters/,
        ),
      }),
    )
  })

  it.each(HOSTILE)('refuses a run, schedule or model name holding %j, quoted inertly', (name) => {
    for (const [config, field] of [
      [{ runName: name }, 'runName'],
      [{ schedule: { cron: '0 6 * * *', name } }, 'schedule.name'],
      [{ model: { name } }, 'model.name'],
      [{ steps: { fit: { model: { name } } } }, 'steps.fit.model.name'],
    ] as const) {
      let message = ''
      try {
        parseRunConfig(config, 'run() arguments')
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).toContain(`${field}: '`)
      expect(message).toContain('contains the control character \\u')
      expect(findControlCharacter(message)).toBeUndefined()
    }
  })

  it('accepts names in any script', () => {
    expect(parseRunConfig({ runName: 'nightly 模型 run', model: { name: 'Fraud Model' } }, 'x')).toEqual({
      runName: 'nightly 模型 run',
      model: { name: 'Fraud Model' },
    })
  })

  it('quotes a huge key or value as a bounded excerpt', () => {
    const huge = 'k'.repeat(1_000_000)
    const error = (() => {
      try {
        parseRunConfig({ [huge]: 1, runName: huge }, 'run.yaml')
      } catch (error) {
        return error as Error
      }
    })()
    expect(error?.message.length).toBeLessThan(1000)
    expect(error?.message).toContain('(1000000 characters)')
  })

  it('refuses a run config file larger than 1 MiB before reading it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'strata-run-config-'))
    try {
      const file = join(directory, 'run.yaml')
      await writeFile(file, '')
      await truncate(file, 50 * 1024 * 1024)
      await expect(loadRunConfig('run.yaml', directory)).rejects.toThrow(
        expect.objectContaining({
          code: 'INPUT_TOO_LARGE',
          message: `run config ${file} is 50 MiB, more than the 1 MiB Strata reads — keep data out of the run configuration: load it in a step, or pass it as an artifact`,
        }),
      )
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })
})
