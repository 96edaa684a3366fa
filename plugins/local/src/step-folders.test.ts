import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStepFolder, reclaimStepFolders } from './step-folders.js'

// A private temporary directory: the sweep looks at all of it.
let saved: string | undefined
let temp: string
beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'strata-step-folders-test-'))
  saved = process.env.TMPDIR
  process.env.TMPDIR = temp
})
afterAll(async () => {
  if (saved === undefined) delete process.env.TMPDIR
  else process.env.TMPDIR = saved
  await rm(temp, { recursive: true, force: true })
})

function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }))
}

describe.skipIf(!existsSync('/proc/self/cwd'))('step folders left by killed runs', () => {
  it('are removed once their maker is gone and no process works in them; never before', async () => {
    const mine = await createStepFolder()
    expect(mine.startsWith(join(temp, `strata-step-${process.pid}-`))).toBe(true)
    const orphan = join(temp, `strata-step-${deadPid()}-abc123`)
    const busy = join(temp, `strata-step-${deadPid()}-def456`)
    const unrelated = join(temp, 'strata-stepping-stone')
    for (const folder of [orphan, busy, unrelated]) await mkdir(folder)
    await mkdir(join(orphan, 'no-store'))
    // A step process outlives its killed client and still works in its folder.
    const step = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      cwd: busy,
      stdio: 'ignore',
    })
    await new Promise((resolve) => step.once('spawn', resolve))

    expect(await reclaimStepFolders()).toEqual([orphan])
    expect((await readdir(temp)).sort()).toEqual(
      [mine, busy, unrelated].map((path) => path.slice(temp.length + 1)).sort(),
    )

    step.kill('SIGKILL')
    await new Promise((resolve) => step.once('exit', resolve))
    expect(await reclaimStepFolders()).toEqual([busy])
    expect(existsSync(mine)).toBe(true)
  })
})
