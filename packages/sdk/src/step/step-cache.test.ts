import { rm, writeFile } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { chain, integrity } from '../../fixtures/integrity-pipeline.js'
import { Client } from '../client/client.js'
import { type TempEnvironment, tempEnvironment } from '../test-support/temp-environment.js'

let environment: TempEnvironment
let client: Client
const runs = integrity.runs

beforeEach(async () => {
  environment = await tempEnvironment()
  client = new Client(environment)
  for (const key of Object.keys(runs)) delete runs[key]
  integrity.breakConsumer = false
})
afterEach(() => environment.dispose())

/** Runs the pipeline, collecting what it prints. */
async function run(): Promise<{
  status: string
  steps: Record<string, string>
  lines: string[]
  name: string
  error?: string
}> {
  const lines: string[] = []
  const result = await chain.run({ environment, output: (line) => lines.push(line) })
  return { ...result, lines, ...(result.error ? { error: result.error } : {}) }
}

/** The local file of `produce`'s newest output. */
async function producedFile(): Promise<{ path: string; id: string; prefix: string }> {
  const version = await client.getArtifactVersion('integrity::produce::output')
  const path = environment.artifactStore.localPath(`${version.prefix}data.txt`)
  if (!path) throw new Error('the local store has local paths')
  return { path, id: version.id, prefix: version.prefix }
}

describe('a cache hit needs its outputs', () => {
  it('runs a step again when its cached output is gone, and says why', async () => {
    expect((await run()).steps).toEqual({ produce: 'completed', consume: 'completed' })
    const lost = await producedFile()
    await rm(lost.path)

    const again = await run()
    expect(again.status).toBe('completed')
    expect(again.steps).toEqual({ produce: 'completed', consume: 'completed' })
    expect(runs).toEqual({ produce: 2, consume: 2 })
    const reason = again.lines.filter((line) => line.includes('not taken from the cache'))
    expect(reason).toEqual([
      `step produce: not taken from the cache: its output 'output' (artifact 'integrity::produce::output' (version ${lost.id}, prefix ${lost.prefix} in ${environment.artifactStore.uri})): its files are gone — running it again`,
    ])
    // The new output is intact: the run after is served from the cache.
    expect((await run()).steps).toEqual({ produce: 'cached', consume: 'completed' })
  })

  it('fails a load of changed bytes, then no longer reuses them: the next run makes them again', async () => {
    await run()
    const damaged = await producedFile()
    await writeFile(damaged.path, 'THE SAVED BYTES')

    const failed = await run()
    expect(failed.steps).toEqual({ produce: 'cached', consume: 'failed' })
    const details = await client.getRun(failed.name)
    expect(details.steps.find((stepRun) => stepRun.name === 'consume')?.error).toMatch(
      new RegExp(
        `^artifact 'integrity::produce::output' \\(version ${damaged.id}, prefix ${damaged.prefix} .*\\) does not match its recorded digest`,
      ),
    )

    const repaired = await run()
    expect(repaired.steps).toEqual({ produce: 'completed', consume: 'completed' })
    expect(repaired.lines.join('\n')).toMatch(
      /step produce: not taken from the cache: .*: a load on .* found that its 15 bytes have the recorded size but other content — running it again/,
    )
  })

  it('re-runs a done step on resume when the step that failed needs its lost output', async () => {
    integrity.breakConsumer = true
    const failed = await run()
    expect(failed.steps).toEqual({ produce: 'completed', consume: 'failed' })
    await rm((await producedFile()).path)

    integrity.breakConsumer = false
    const lines: string[] = []
    const resumed = await client.resumeRun(failed.name, { output: (line) => lines.push(line) })
    expect(resumed.status).toBe('completed')
    expect(resumed.steps).toEqual({ produce: 'completed', consume: 'completed' })
    expect(runs).toEqual({ produce: 2, consume: 2 })
    expect(lines.join('\n')).toContain("step produce: runs again: its output 'output' (artifact")
  })
})

describe('artifact data as describe shows it', () => {
  it('reports present, missing and damaged versions without failing', async () => {
    await run()
    const version = await client.getArtifactVersion('integrity::produce::output')
    expect(await client.artifactData(version)).toMatchObject({ state: 'present', files: 1, size: 15 })
    expect(await client.artifactData(version, { verify: true })).toMatchObject({ state: 'intact' })
    const file = await producedFile()
    await writeFile(file.path, 'THE SAVED BYTES')
    expect(await client.artifactData(version)).toMatchObject({ state: 'present' })
    expect(await client.artifactData(version, { verify: true })).toMatchObject({ state: 'damaged' })
    await rm(file.path)
    expect(await client.artifactData(version)).toMatchObject({ state: 'missing' })
  })
})
