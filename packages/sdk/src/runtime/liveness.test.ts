import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '../client/client.js'

// The run happens in another process, built code, as `pnpm test` builds first.
const scriptDirectory = resolve(import.meta.dirname, '../../.tmp')
const script = join(scriptDirectory, `liveness-${process.pid}.mjs`)
let configDir: string

beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'strata-liveness-'))
  await mkdir(scriptDirectory, { recursive: true })
  await writeFile(
    script,
    `import { writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { openRunEnvironment, pipeline, step } from '@strata/sdk'
export const quick = step({ name: 'quick' }, async () => ({ rows: [1, 2, 3] }))
export const slow = step({ name: 'slow', inputs: ['data'] }, async ({ data }) => {
  writeFileSync(process.env.MARKER, String(process.pid))
  await sleep(60_000)
  return data
})
export const victim = pipeline({ name: 'victim' }, () => { slow({ data: quick() }) })
const environment = await openRunEnvironment({ configDir: process.env.STRATA_CONFIG_DIR, projectRoot: ${JSON.stringify(scriptDirectory)} })
await victim.run({ environment, output: false })
`,
  )
})
afterAll(async () => {
  await rm(configDir, { recursive: true, force: true })
  await rm(script, { force: true })
})

describe('run liveness', () => {
  it('leaves a healthy run alone and fails a run whose process was killed, keeping the store sound', async () => {
    const marker = join(configDir, 'marker')
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, STRATA_CONFIG_DIR: configDir, MARKER: marker },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    for (let waited = 0; !existsSync(marker); waited += 50) {
      if (waited > 30_000 || child.exitCode !== null)
        throw new Error(`the run never reached its slow step: ${stderr}`)
      await sleep(50)
    }

    // Another terminal lists runs while the healthy run goes on: nothing changes.
    const client = await Client.open({ configDir })
    const during = client.listRuns().items
    expect(during).toHaveLength(1)
    expect(during[0]).toMatchObject({ status: 'running', error: null })
    expect(client.getRun(during[0]!.id).steps.map((step) => [step.name, step.status])).toEqual([
      ['quick', 'completed'],
      ['slow', 'running'],
    ])

    child.kill('SIGKILL')
    await new Promise((resolveExit) => child.once('exit', resolveExit))

    const after = client.getRun(during[0]!.id)
    expect(after.status).toBe('failed')
    expect(after.error).toMatch(
      /^run abandoned: the process that ran it \(pid \d+ on .*\) is gone — resume it with 'strata pipeline runs resume /,
    )
    expect(after.steps.map((step) => [step.name, step.status])).toEqual([
      ['quick', 'completed'],
      ['slow', 'failed'],
    ])
    // Every version row has its bytes; the store file is sound.
    const store = (await client.environment()).artifactStore.host
    for (const summary of client.listArtifacts().items) {
      for (const version of client.artifactVersions(summary.name).items) {
        expect((await store.list(version.prefix)).entries.length).toBeGreaterThan(0)
      }
    }
    expect(client.repositories.store.integrityCheck()).toBe('ok')
    await client.close()
  }, 60_000)
})
