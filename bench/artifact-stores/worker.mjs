// One store's 1 GiB round trip, in its own process so that its peak RSS is its own.
// Usage: node --expose-gc worker.mjs <local|s3|gcs> <config JSON> <bytes> [gc every N bytes]. Prints one JSON line.
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'

const [kind, configJson, bytesArg, gcEveryArg] = process.argv.slice(2)
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

const received = createHash('sha256')
let readBytes = 0
const readStarted = performance.now()
for await (const chunk of await store.read('bench/blob')) {
  received.update(chunk)
  readBytes += chunk.byteLength
  collectNow(chunk.byteLength)
}
const readMs = performance.now() - readStarted
await store.delete('bench/blob')
await store.close?.()

const intact = stat.size === size && readBytes === size && sent.digest('hex') === received.digest('hex')
console.log(
  JSON.stringify({ kind, writeMs, readMs, intact, baselineKiB, peakKiB: process.resourceUsage().maxRSS }),
)
