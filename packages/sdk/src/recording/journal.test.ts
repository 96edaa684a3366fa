import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempEnvironment } from '../test-support/temp-environment.js'
import { JournalFollower, readJournal, runKeys } from './journal.js'

let environment: Awaited<ReturnType<typeof tempEnvironment>>
beforeEach(async () => {
  environment = await tempEnvironment()
})
afterEach(async () => {
  await environment.dispose()
})

describe('a journal object that is not what its step wrote', () => {
  it('is a coded error naming the object, when read whole and when followed', async () => {
    const store = environment.artifactStore
    const good = `${runKeys.journal('run-1', 'fit')}0000000000001-aaaa-000001.json`
    await store.write(good, JSON.stringify([{ type: 'step_started', id: 'e1', step: 'fit' }]))
    const cases: Array<[string, string]> = [
      [
        '{"type": "step_sta',
        'is not valid JSON (Unterminated string in JSON at position 18 (line 1 column 19))',
      ],
      ['{"type": "step_started"}', 'is not a list of run events'],
      ['[{"id": "x"}]', 'is not a list of run events'],
    ]
    for (const [index, [text, problem]] of cases.entries()) {
      const bad = `${runKeys.journal('run-1', 'fit')}000000000000${index + 2}-bbbb-000001.json`
      await store.write(bad, text)
      const expected = {
        code: 'JOURNAL_MALFORMED',
        message: `the journal object ${bad} in the run's artifact store ${problem} — it was cut short or changed after its step wrote it: put the original back, or delete it (its events are lost; 'strata pipeline runs resume RUN' runs the step again), then sync again`,
      }
      await expect(readJournal(store, 'run-1', 'fit'), text).rejects.toMatchObject(expected)
      await expect(new JournalFollower(store, 'run-1').poll(), text).rejects.toMatchObject(expected)
      await store.delete(bad)
    }
    expect(await readJournal(store, 'run-1', 'fit')).toHaveLength(1)
  })
})
