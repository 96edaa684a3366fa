import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ArtifactLeftover, ArtifactStoreHost } from '@strata/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalArtifactStore } from './local-artifact-store.js'
import { hostTag, STARTED_SECONDS } from './process-liveness.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-local-store-'))
})
afterAll(() => rm(root, { recursive: true, force: true }))

const host = (path: string) =>
  new ArtifactStoreHost(new LocalArtifactStore(path), { name: 'disk', flavor: 'local' })

async function leftovers(store: LocalArtifactStore): Promise<ArtifactLeftover[]> {
  const found: ArtifactLeftover[] = []
  for await (const leftover of store.leftovers()) found.push(leftover)
  return found.sort((a, b) => (a.key < b.key ? -1 : 1))
}

/** A pid no process has now: one that just exited. */
function deadPid(): number {
  const pid = Number(execFileSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }))
  expect(() => process.kill(pid, 0)).toThrow()
  return pid
}

describe('verify: a probe is written, read back and removed', () => {
  it('passes on a fresh folder (made on the way) and leaves nothing behind', async () => {
    const path = join(root, 'fresh/store')
    await host(path).verify()
    expect(await readdir(path)).toEqual([])
  })

  it('refuses a path under a regular file, naming the file', async () => {
    await writeFile(join(root, 'a-file'), 'x')
    const error = await host(join(root, 'a-file/store'))
      .verify()
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'ARTIFACT_STORE_UNUSABLE' })
    expect((error as Error).message).toBe(
      `local artifact store at ${join(root, 'a-file/store')} cannot hold artifacts: ${join(root, 'a-file')} is a file, not a folder — choose a folder on a writable disk ('strata artifact-store update NAME --path DIR', or register another store)`,
    )
    // A run's writes there, small (synchronous) and streamed, fail the same way.
    for (const body of ['{}', Buffer.alloc(2 * 1024 * 1024)]) {
      await expect(host(join(root, 'a-file/store')).write('runs/r/x', body)).rejects.toMatchObject({
        code: 'ARTIFACT_STORE_UNUSABLE',
      })
    }
  })

  it.skipIf(!existsSync('/proc/self'))(
    'refuses a path under /proc at once, where a recursive mkdir would never return',
    async () => {
      const error = await host('/proc/strata-store/deeper')
        .verify()
        .catch((caught: unknown) => caught)
      expect(error).toMatchObject({ code: 'ARTIFACT_STORE_UNUSABLE' })
      expect((error as Error).message).toContain('/proc is on a proc filesystem, which holds no files')
      // A run's first write there fails the same way, synchronous small writes included.
      await expect(host('/proc/strata-store').write('runs/r/snapshot.json', '{}')).rejects.toMatchObject({
        code: 'ARTIFACT_STORE_UNUSABLE',
      })
      await expect(
        host('/proc/strata-store').write('big', Buffer.alloc(2 * 1024 * 1024)),
      ).rejects.toMatchObject({ code: 'ARTIFACT_STORE_UNUSABLE' })
    },
  )
})

describe('reads do not wait on what is not a file', () => {
  it.skipIf(process.platform === 'win32')('refuses a FIFO put where an artifact file was', async () => {
    const path = join(root, 'fifo-store')
    const store = host(path)
    await store.write('artifacts/x/1/data.json', '{}')
    await rm(join(path, 'artifacts/x/1/data.json'))
    execFileSync('mkfifo', [join(path, 'artifacts/x/1/data.json')])
    // Opening a FIFO to read blocks until a writer comes; the store opens without waiting.
    await expect(store.read('artifacts/x/1/data.json')).rejects.toMatchObject({ code: 'ARTIFACT_NOT_FOUND' })
  })
})

describe('readWhole: a value into one buffer of its size', () => {
  it('reads a large file in parts that land in order in the one buffer it returns', async () => {
    const store = host(join(root, 'whole-store'))
    // 20 MiB and a bit: three parts of 8 MiB, the last one short.
    const value = Buffer.alloc(20 * 1024 * 1024 + 123)
    for (let index = 0; index < value.length; index += 4096) value.writeUInt32BE(index, index)
    await store.write('artifacts/big/1/data.bin', value)
    const parts: Uint8Array[] = []
    const bytes = await store.readBytes('artifacts/big/1/data.bin', {
      onPart: (part) => parts.push(part),
    })
    expect(Buffer.compare(Buffer.from(bytes), value)).toBe(0)
    expect(parts.map((part) => part.byteLength)).toEqual([8 << 20, 8 << 20, 4 * 1024 * 1024 + 123])
    // Views of the returned buffer, not copies: it owns all its memory, nothing else.
    expect(parts.every((part) => part.buffer === bytes.buffer)).toBe(true)
    expect(bytes.byteLength).toBe(bytes.buffer.byteLength)
  })

  it('reads a small file in one part, an empty one as no bytes', async () => {
    const store = host(join(root, 'whole-store'))
    await store.write('artifacts/small/1/data.txt', 'hello')
    await store.write('artifacts/small/1/empty', '')
    const parts: string[] = []
    const bytes = await store.readBytes('artifacts/small/1/data.txt', {
      onPart: (part) => parts.push(Buffer.from(part).toString()),
    })
    expect(Buffer.from(bytes).toString()).toBe('hello')
    expect(parts).toEqual(['hello'])
    expect((await store.readBytes('artifacts/small/1/empty')).byteLength).toBe(0)
  })

  it('reports a missing key, a folder or a FIFO as ARTIFACT_NOT_FOUND', async () => {
    const path = join(root, 'whole-missing')
    const store = host(path)
    await store.write('artifacts/x/1/data.json', '{}')
    await expect(store.readBytes('artifacts/x/2/data.json')).rejects.toMatchObject({
      code: 'ARTIFACT_NOT_FOUND',
    })
    await expect(store.readBytes('artifacts/x/1')).rejects.toMatchObject({ code: 'ARTIFACT_NOT_FOUND' })
    if (process.platform === 'win32') return
    execFileSync('mkfifo', [join(path, 'artifacts/x/1/fifo')])
    await expect(store.readBytes('artifacts/x/1/fifo')).rejects.toMatchObject({ code: 'ARTIFACT_NOT_FOUND' })
  })

  it('writes a small value into a folder it made before, then removed', async () => {
    const path = join(root, 'whole-refolder')
    const store = host(path)
    await store.write('artifacts/a/1/data.json', '1')
    await rm(join(path, 'artifacts/a/1'), { recursive: true })
    await store.write('artifacts/a/1/data.json', '2')
    expect(await store.readText('artifacts/a/1/data.json')).toBe('2')
  })
})

describe('temporary files of killed writes', () => {
  it('names the writer in each temporary file, so leftovers say who is alive', async () => {
    const path = join(root, 'leftovers')
    const store = new LocalArtifactStore(path)
    await mkdir(join(path, 'artifacts/big/v1'), { recursive: true })
    await mkdir(join(path, 'runs/r1'), { recursive: true })
    const dead = deadPid()
    const gone = `artifacts/big/v1/.strata-tmp-${dead}.${STARTED_SECONDS.toString(36)}.${hostTag()}-abc123`
    const mine = `runs/r1/.strata-tmp-${process.pid}.${STARTED_SECONDS.toString(36)}.${hostTag()}-def456`
    const elsewhere = `runs/r1/.strata-tmp-${process.pid}.${STARTED_SECONDS.toString(36)}.00000000-aaa111`
    const reused = `runs/r1/.strata-tmp-${process.pid}.${(STARTED_SECONDS - 3600).toString(36)}.${hostTag()}-bbb222`
    const old = 'runs/r1/.strata-tmp-0123456789ab'
    for (const key of [gone, mine, elsewhere, reused, old]) await writeFile(join(path, key), 'partial')
    await writeFile(join(path, 'runs/r1/done.json'), '{}')

    expect((await leftovers(store)).map(({ key, writer, size }) => ({ key, writer, size }))).toEqual(
      [
        { key: gone, writer: 'gone', size: 7 },
        { key: mine, writer: 'alive', size: 7 },
        { key: elsewhere, writer: 'unknown', size: 7 },
        { key: reused, writer: 'gone', size: 7 },
        { key: old, writer: 'unknown', size: 7 },
      ].sort((a, b) => (a.key < b.key ? -1 : 1)),
    )
    // Listings never show them.
    const page = await store.list('')
    expect(page.entries.map((entry) => entry.key)).toEqual(['runs/r1/done.json'])

    await store.removeLeftover(gone)
    // The version's folder it leaves empty goes with it; the artifact's folder stays.
    expect(existsSync(join(path, 'artifacts/big/v1'))).toBe(false)
    expect(existsSync(join(path, 'artifacts/big'))).toBe(true)
    await expect(store.removeLeftover('runs/r1/done.json')).rejects.toMatchObject({
      code: 'ARTIFACT_NOT_FOUND',
    })
    expect(existsSync(join(path, 'runs/r1/done.json'))).toBe(true)
  })

  it('is what a writer killed mid-write leaves, and its writer is then gone', async () => {
    const path = join(root, 'killed')
    const store = new LocalArtifactStore(path)
    // The built plugin (`pnpm build`): a plain Node process cannot import this package's TypeScript.
    const built = new URL('../dist/index.js', import.meta.url).pathname
    expect(existsSync(built), 'run `pnpm build` first').toBe(true)
    // A writer in its own process streams a value that never ends, and is killed once it started.
    const writer = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { localArtifactStore } = await import(${JSON.stringify(built)})
         const quiet = { debug() {}, info() {}, warn() {}, error() {} }
         const store = await localArtifactStore.create({ path: ${JSON.stringify(path)} }, { componentName: 'w', componentId: 'w', dataDir: ${JSON.stringify(path)}, logger: quiet })
         async function* forever() { for (;;) { yield Buffer.alloc(65536); await new Promise((r) => setImmediate(r)) } }
         store.write('artifacts/huge/v1/data.bin', forever())
         setInterval(() => {}, 1000)`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    )
    for (;;) {
      const found = await leftovers(store)
      if (found.some((leftover) => leftover.size > 0)) {
        expect(found).toEqual([expect.objectContaining({ writer: 'alive' })])
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    writer.kill('SIGKILL')
    await new Promise((resolve) => writer.once('exit', resolve))
    const [left] = await leftovers(store)
    expect(left).toMatchObject({ writer: 'gone' })
    expect(left?.key).toMatch(/^artifacts\/huge\/v1\/\.strata-tmp-/)
  })

  it('carry their time, for the caller to judge one whose writer is unknown', async () => {
    const path = join(root, 'aged')
    await mkdir(join(path, 'x'), { recursive: true })
    const key = 'x/.strata-tmp-feedfacecafe'
    await writeFile(join(path, key), '')
    const then = new Date(Date.now() - 3_600_000)
    await utimes(join(path, key), then, then)
    const [found] = await leftovers(new LocalArtifactStore(path))
    expect(Math.abs((found?.modifiedAt.getTime() ?? 0) - then.getTime())).toBeLessThan(1000)
  })
})
