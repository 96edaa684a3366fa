import { afterEach, beforeEach, expect, it } from 'vitest'
import { fragile } from '../../fixtures/fragile-pipeline.js'
import { currentOwner } from '../run/run-owner.js'
import { type TempEnvironment, tempEnvironment } from '../test-support/temp-environment.js'
import { Client } from './client.js'

let environment: TempEnvironment
let client: Client
beforeEach(async () => {
  environment = await tempEnvironment()
  client = new Client(environment)
})
afterEach(() => environment.dispose())

it('refuses to delete a run that a live process or a remote orchestrator carries, naming the fix', async () => {
  const run = await fragile.run({ environment, output: false })
  const { runs } = environment.repositories
  // As while the run is going: owned by this (live) process.
  await runs.reopen(run.id, currentOwner())
  await expect(client.deleteRun(run.name)).rejects.toMatchObject({
    code: 'RUN_ACTIVE',
    message: expect.stringContaining(
      `stop it first ('strata pipeline runs stop ${run.name}'), or pass --force`,
    ),
  })
  await runs.setRemote(run.id, { orchestrator: 'cluster', handle: { job: 'x' } })
  await expect(client.deleteRun(run.id)).rejects.toThrow("orchestrator 'cluster' carries it")
  expect((await runs.require(run.id)).status).toBe('running')
})

it('deletes a run whose owner is provably gone: it is failed as abandoned, not active', async () => {
  const run = await fragile.run({ environment, output: false })
  const { runs } = environment.repositories
  await runs.reopen(run.id, { ...currentOwner(), pid: 2 ** 22 + 1 })
  await client.deleteRun(run.id)
  await expect(runs.require(run.id)).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' })
})
