import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { SqliteStore } from '@strata/store'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StoreRecorder } from './store-recorder.js'

let configDir: string
let store: SqliteStore
let holder: DatabaseSync
beforeEach(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'strata-recorder-'))
  // A small busy timeout: each write below waits this long for the holder before it gives up.
  store = SqliteStore.open({ configDir, busyTimeoutMs: 50, secretsKey: Buffer.alloc(32, 1) })
  holder = new DatabaseSync(store.path)
})
afterEach(async () => {
  if (holder.isTransaction) holder.exec('ROLLBACK')
  holder.close()
  await store.close()
  await rm(configDir, { recursive: true, force: true })
})

async function newRun(): Promise<string> {
  const run = await store.runs.create({
    name: 'r1',
    pipelineName: 'p',
    stackName: 'default',
    artifactStoreUri: 'file:///store',
    snapshot: {},
    parameters: {},
    owner: { host: 'here', pid: 1, startedAt: '2026-01-01T00:00:00.000Z' },
    leaseMs: 60_000,
  })
  return run.id
}

const started = {
  type: 'step_started',
  id: 'e1',
  step: 'fit',
  stepName: 'fit',
  attempt: 1,
  at: 'now',
} as const
const completed = { type: 'step_completed', id: 'e2', step: 'fit', attempts: 1, at: 'now' } as const

describe('StoreRecorder', () => {
  it('does not fail the step when the store refuses its record: it keeps the events for the last commit', async () => {
    const runId = await newRun()
    const recorder = new StoreRecorder(store, runId)
    const failures: unknown[] = []
    recorder.onFailure = (error) => failures.push(error)

    holder.exec('BEGIN IMMEDIATE')
    recorder.record(started)
    await recorder.flush()
    expect(failures).toEqual([expect.objectContaining({ code: 'STORE_BUSY' })])
    expect(recorder.failure?.error).toBe(failures[0])
    // Later flushes only queue: the run is ending, and each try would wait out the busy timeout again.
    recorder.record(completed)
    await recorder.flush()
    expect(failures).toHaveLength(1)
    await expect(recorder.commit()).rejects.toMatchObject({ code: 'STORE_BUSY' })
    expect(await store.runs.stepRun(runId, 'fit')).toBeUndefined()

    holder.exec('ROLLBACK')
    await recorder.commit()
    expect(await store.runs.stepRun(runId, 'fit')).toMatchObject({ status: 'completed', attempts: 1 })
  })

  it('waits for a store locked for less than the busy timeout, and records', async () => {
    await store.close()
    // The subject is the wait: the busy timeout (2 s) is set, and another process holds the lock for a
    // tenth of it, from before the flush starts; the margin covers the message telling this process so.
    const busyTimeoutMs = 2000
    store = SqliteStore.open({ configDir, busyTimeoutMs, secretsKey: Buffer.alloc(32, 1) })
    const runId = await newRun()
    const recorder = new StoreRecorder(store, runId)
    const script = `
      const { DatabaseSync } = require('node:sqlite')
      const db = new DatabaseSync(process.argv[1])
      db.exec('BEGIN IMMEDIATE')
      console.log('locked')
      setTimeout(() => { db.exec('ROLLBACK'); db.close() }, ${busyTimeoutMs / 10})
    `
    const child = spawn(process.execPath, ['-e', script, store.path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    await new Promise((resolve) => child.stdout.once('data', resolve))
    recorder.record(started)
    recorder.record(completed)
    await recorder.flush()
    expect(recorder.failure).toBeUndefined()
    expect(await store.runs.stepRun(runId, 'fit')).toMatchObject({ status: 'completed' })
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve))
  })
})
