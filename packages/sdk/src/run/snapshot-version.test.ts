import type { PipelineSnapshot } from '@strata/core'
import type { SqliteStore } from '@strata/store'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fragile } from '../../fixtures/fragile-pipeline.js'
import { Client } from '../client/client.js'
import { runBundledStep } from '../process/step-in-bundle.js'
import { type TempEnvironment, tempEnvironment } from '../test-support/temp-environment.js'

let environment: TempEnvironment
beforeEach(async () => {
  environment = await tempEnvironment()
})
afterEach(async () => {
  delete process.env.STRATA_TEST_BREAK
  await environment.dispose()
})

const fix =
  'upgrade @strata/sdk and @strata/cli (in the project and in the step image) to the version that started the run'

describe('a snapshot newer than this Strata', () => {
  it('is refused by resume, naming both schema versions and the upgrade; the run is left as it was', async () => {
    process.env.STRATA_TEST_BREAK = '1'
    const failed = await fragile.run({ environment, output: false })
    delete process.env.STRATA_TEST_BREAK
    const { runs } = environment.repositories
    // What a newer Strata would have recorded.
    const snapshot = await runs.snapshot<PipelineSnapshot>(failed.id)
    await runs.updateSnapshot(failed.id, { ...snapshot, schemaVersion: 7 as never })
    const before = (environment.workspace.store as SqliteStore).dump()

    await expect(new Client(environment).resumeRun(failed.name)).rejects.toMatchObject({
      code: 'SNAPSHOT_TOO_NEW',
      message: `resuming run ${failed.name}: the run's snapshot has schema version 7, but this Strata understands up to version 1 — ${fix}`,
    })
    expect((environment.workspace.store as SqliteStore).dump()).toEqual(before)
  })

  it('is refused by the code bundle’s step runner', async () => {
    const run = await fragile.run({ environment, output: false })
    const snapshot = await environment.repositories.runs.snapshot<PipelineSnapshot>(run.id)
    await expect(
      runBundledStep({
        modules: {},
        snapshot: { ...snapshot, schemaVersion: 2 as never },
        stepId: 'prepare',
        store: environment.artifactStore.store,
        inputs: {},
      }),
    ).rejects.toMatchObject({
      code: 'SNAPSHOT_TOO_NEW',
      message: `step 'prepare' (code bundle): the run's snapshot has schema version 2, but this Strata understands up to version 1 — ${fix}`,
    })
  })
})
