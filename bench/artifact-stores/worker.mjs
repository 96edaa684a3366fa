// One store's 1 GiB round trip, in its own process so that its peak RSS is its own.
// Usage: node --expose-gc worker.mjs <local|s3|gcs> <config JSON> <bytes> [gc every N bytes] [rounds].
// Prints one JSON line. After the write, the value is read back `rounds` times each way, alternating: a
// plain read of the store's stream, and a load through the host and the SDK's loadArtifact, which hashes
// every byte as it streams and checks the version's digest (what a step's input costs).

import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { ArtifactStoreHost } from '../../packages/core/dist/index.js'
import { loadArtifact } from '../../packages/sdk/dist/internal.js'

const [kind, configJson, bytesArg, gcEveryArg, roundsArg] = process.argv.slice(2)
const rounds = Math.max(1, Number(roundsArg ?? 3))
const size = Number(bytesArg)
const CHUNK = 1024 * 1024
// Diagnostic mode: a full GC every this many bytes moved, so that peak RSS shows what is held rather than
// garbage (every chunk is a fresh buffer) that V8 has not collected yet.
const gcEvery = Number(gcEveryArg ?? 0)
let sinceGc = 0
function collectNow(bytes) {
  if (gcEvery <= 0) return
  sinceGc += bytes
  if (sinceGc >= gcEvery) {
    sinceGc = 0
    globalThis.gc()
  }
}

/** `size` bytes in 1 MiB chunks, each stamped with its index (as the conformance suite's pattern). */
async function* pattern(total) {
  const base = Buffer.alloc(CHUNK)
  for (let index = 0; index < CHUNK; index++) base[index] = (index * 31 + 7) & 0xff
  for (let offset = 0, index = 0; offset < total; offset += CHUNK, index++) {
    const chunk = Buffer.from(base.subarray(0, Math.min(CHUNK, total - offset)))
    chunk.writeUInt32BE(index >>> 0, 0)
    collectNow(chunk.byteLength)
    yield chunk
  }
}

const modules = {
  local: ['../../plugins/local/dist/index.js', 'localArtifactStore'],
  s3: ['../../plugins/s3/dist/index.js', 's3ArtifactStore'],
  gcs: ['../../plugins/gcs/dist/index.js', 'gcsArtifactStore'],
}
const [modulePath, exportName] = modules[kind]
const flavor = (await import(modulePath))[exportName]
const logger = { debug() {}, info() {}, warn() {}, error() {} }
const store = await flavor.create(flavor.config.parse(JSON.parse(configJson)), {
  componentName: `bench-${kind}`,
  componentId: 'bench',
  dataDir: tmpdir(),
  logger,
})

// Warm up (loads the SDK, opens connections) so the baseline includes everything but the transfer.
await store.write('bench/warmup', 'warm')
for await (const _ of await store.read('bench/warmup'));
await store.delete('bench/warmup')
globalThis.gc?.()
const baselineKiB = process.resourceUsage().maxRSS

const sent = createHash('sha256')
const writeStarted = performance.now()
const stat = await store.write(
  'bench/blob',
  (async function* () {
    for await (const chunk of pattern(size)) {
      sent.update(chunk)
      yield chunk
    }
  })(),
)
const writeMs = performance.now() - writeStarted

const sentDigest = sent.digest('hex')

/** A plain read of the store's stream: bytes counted, nothing hashed (what a load cost before digests). */
async function plainRead() {
  let bytes = 0
  const started = performance.now()
  for await (const chunk of await store.read('bench/blob')) {
    bytes += chunk.byteLength
    collectNow(chunk.byteLength)
  }
  return { ms: performance.now() - started, intact: bytes === size }
}

// The version as saveArtifact would record it: one file, `blob`, under the prefix `bench/`.
const version = {
  id: 'bench',
  name: 'bench',
  kind: 'data',
  artifactStoreUri: store.uri,
  prefix: 'bench/',
  materializer: 'bench.stream',
  materializerVersion: 1,
  dataType: 'bytes',
  digest: createHash('sha256').update(`blob\0${sentDigest}\n`).digest('hex'),
  size,
}
// Streams the file through, as a materializer that hands its bytes on would.
const streaming = {
  id: 'bench.stream',
  version: 1,
  canSave: () => false,
  dataType: () => 'bytes',
  save: async () => {},
  load: async (source) => {
    let bytes = 0
    for await (const chunk of await source.read('blob')) {
      bytes += chunk.byteLength
      collectNow(chunk.byteLength)
    }
    return bytes
  },
}
const host = new ArtifactStoreHost(store, { name: `bench-${kind}`, flavor: kind })

/**
 * A load through the host: every byte hashed on its way, the digest checked before it returns. A load that
 * resolves proves the bytes are the ones written (it throws ARTIFACT_CORRUPT otherwise).
 */
async function verifiedLoad() {
  const started = performance.now()
  try {
    const bytes = await loadArtifact(host, version, streaming)
    return { ms: performance.now() - started, intact: bytes === size }
  } catch (error) {
    console.error(error)
    return { ms: performance.now() - started, intact: false }
  }
}

const plain = []
const verified = []
for (let round = 0; round < rounds; round++) {
  plain.push(await plainRead())
  verified.push(await verifiedLoad())
}
// The streaming figures' peak, before the whole loads below hold the value in memory.
const peakKiB = process.resourceUsage().maxRSS

// Loads the file whole, as the bytes materializer does: the store's readWhole when it has one (one buffer of
// the value's size, hashed part by part as it lands), else the stream's chunks joined.
const wholeMaterializer = {
  ...streaming,
  id: 'bench.whole',
  load: async (source) => (await source.readBytes('blob')).byteLength,
}
// The same store without readWhole, for the side-by-side (after the readWhole rounds, so that their peak RSS is
// their own): the host then joins the stream's chunks.
const joinedHost = new ArtifactStoreHost(
  {
    apiVersion: 1,
    uri: store.uri,
    write: (...args) => store.write(...args),
    read: (...args) => store.read(...args),
    stat: (...args) => store.stat(...args),
    list: (...args) => store.list(...args),
    delete: (...args) => store.delete(...args),
    deletePrefix: (...args) => store.deletePrefix(...args),
  },
  { name: `bench-${kind}-joined`, flavor: kind },
)
async function wholeLoad(through) {
  globalThis.gc?.()
  const started = performance.now()
  try {
    const bytes = await loadArtifact(through, { ...version, materializer: 'bench.whole' }, wholeMaterializer)
    return { ms: performance.now() - started, intact: bytes === size }
  } catch (error) {
    console.error(error)
    return { ms: performance.now() - started, intact: false }
  }
}
// Peak RSS after the first whole load: later rounds allocate their buffer before the last one's is released.
const whole = [await wholeLoad(host)]
const wholePeakKiB = process.resourceUsage().maxRSS
for (let round = 1; round < rounds; round++) whole.push(await wholeLoad(host))
const joined = []
for (let round = 0; round < rounds; round++) joined.push(await wholeLoad(joinedHost))
await store.delete('bench/blob')
await store.close?.()

const median = (runs) => runs.map((run) => run.ms).sort((a, b) => a - b)[Math.floor(runs.length / 2)]
const intact = stat.size === size && [...plain, ...verified, ...whole, ...joined].every((run) => run.intact)
console.log(
  JSON.stringify({
    kind,
    writeMs,
    readMs: median(plain),
    verifiedMs: median(verified),
    rounds,
    intact,
    wholeMs: median(whole),
    joinedMs: median(joined),
    readWhole: typeof store.readWhole === 'function',
    baselineKiB,
    peakKiB,
    wholePeakKiB,
  }),
)
