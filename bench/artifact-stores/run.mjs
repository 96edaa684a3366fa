// `pnpm bench:artifacts [--size-mib N] [--gc-every-mib N] [--rounds N]`: streams a 1 GiB artifact through the local store, S3
// (s3rver on 127.0.0.1) and GCS (fake-gcs-server on 127.0.0.1), each in a child process, and prints throughput as a
// ratio of the local store's in the same run, plus each process's peak RSS growth over its own baseline. Each
// store's value is then read back `--rounds` times (default 3) each way, alternating: a plain read of the
// store's stream and a load through loadArtifact, which hashes every byte and checks the digest; the medians
// are printed side by side with the cost of the check. Last, the value is loaded whole `--rounds` times (readWhole
// where the store has it), against the local store's whole load.
// Needs `pnpm build` (the root script runs it) and, for the GCS row, `bash .ci/setup/gcs.sh`.
// `--gc-every-mib N` (diagnostic) forces a full GC every N MiB moved: the growth then shows what the store
// and its client hold, without the dead chunks V8 has not collected yet.
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { cpus, freemem, platform, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const here = fileURLToPath(new URL('.', import.meta.url))
const root = fileURLToPath(new URL('../../', import.meta.url))
const sizeFlag = process.argv.indexOf('--size-mib')
const sizeMiB = sizeFlag === -1 ? 1024 : Number(process.argv[sizeFlag + 1])
const size = sizeMiB * 1024 * 1024
const gcFlag = process.argv.indexOf('--gc-every-mib')
const gcEveryMiB = gcFlag === -1 ? 0 : Number(process.argv[gcFlag + 1])
const roundsFlag = process.argv.indexOf('--rounds')
const rounds = roundsFlag === -1 ? 3 : Number(process.argv[roundsFlag + 1])
const RSS_BUDGET_MIB = 128

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/** Spawns a server and waits until it answers HTTP; returns a stop function. */
async function startServer(command, args, port, readyPath) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let log = ''
  child.stderr.on('data', (chunk) => {
    log = (log + chunk).slice(-4000)
  })
  const stop = async () => {
    if (child.exitCode !== null) return
    process.kill(-child.pid, 'SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  }
  for (let attempt = 0; attempt < 150; attempt++) {
    if (child.exitCode !== null) throw new Error(`${command} exited: ${log}`)
    try {
      await fetch(`http://127.0.0.1:${port}${readyPath}`, { signal: AbortSignal.timeout(1000) })
      return stop
    } catch {
      await sleep(200)
    }
  }
  await stop()
  throw new Error(`${command} did not start: ${log}`)
}

async function runWorker(kind, config) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--expose-gc',
      join(here, 'worker.mjs'),
      kind,
      JSON.stringify(config),
      String(size),
      String(gcEveryMiB * 1024 * 1024),
      String(rounds),
    ],
    {
      maxBuffer: 1024 * 1024,
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', METADATA_SERVER_DETECTION: 'none' },
    },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1))
}

const work = await mkdtemp(join(tmpdir(), 'strata-bench-artifacts-'))
const stops = []
const rows = []
const notes = []
try {
  // Local store: the reference.
  await mkdir(join(work, 'local'))
  rows.push({ name: 'local (directory)', result: await runWorker('local', { path: join(work, 'local') }) })

  // S3 on s3rver (a devDependency of @strata/testing), started through @strata/testing/servers' launcher.
  const s3Port = await freePort()
  await mkdir(join(work, 's3rver'))
  stops.push(
    await startServer(
      process.execPath,
      [
        '--openssl-legacy-provider',
        join(root, 'packages/testing/src/servers/s3rver-launcher.js'),
        '--directory',
        join(work, 's3rver'),
        '--address',
        '127.0.0.1',
        '--port',
        String(s3Port),
        '--silent',
        '--configure-bucket',
        'bench',
      ],
      s3Port,
      '/',
    ),
  )
  rows.push({
    name: 's3 (s3rver, 8 MiB parts × 2)',
    result: await runWorker('s3', {
      path: 's3://bench/artifacts',
      endpoint: `http://127.0.0.1:${s3Port}`,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    }),
  })

  // GCS on fake-gcs-server, when .ci/setup/gcs.sh installed it.
  const fakeGcs = join(root, '.cache/bin/fake-gcs-server')
  if (existsSync(fakeGcs)) {
    const gcsPort = await freePort()
    const url = `http://127.0.0.1:${gcsPort}`
    stops.push(
      await startServer(
        fakeGcs,
        [
          '-scheme',
          'http',
          '-host',
          '127.0.0.1',
          '-port',
          String(gcsPort),
          '-backend',
          'filesystem',
          '-filesystem-root',
          join(work, 'fake-gcs'),
          '-external-url',
          url,
          '-public-host',
          `127.0.0.1:${gcsPort}`,
          '-log-level',
          'error',
        ],
        gcsPort,
        '/storage/v1/b',
      ),
    )
    await fetch(`${url}/storage/v1/b?project=bench`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench' }),
    })
    rows.push({
      name: 'gcs (fake-gcs-server, one streaming request)',
      result: await runWorker('gcs', { path: 'gs://bench/artifacts', apiEndpoint: url, projectId: 'bench' }),
    })
  } else {
    notes.push(`GCS skipped: ${fakeGcs} is missing — install it with: bash .ci/setup/gcs.sh`)
  }
} finally {
  for (const stop of stops) await stop().catch(() => {})
  await rm(work, { recursive: true, force: true })
}

const reference = rows[0].result
const mib = (kib) => (kib / 1024).toFixed(0)
const mibPerSecond = (ms) => (sizeMiB / (ms / 1000)).toFixed(0)
const lines = [
  `Artifact store streaming: ${sizeMiB} MiB written then read back, each store in its own Node process.`,
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free), ${platform()} ${release()}, Node ${process.version}; servers on 127.0.0.1, same machine.`,
  'Throughput is relative to the local store in this run (higher is faster); RSS growth is the peak RSS during the transfer minus the process peak before it.',
  ...(gcEveryMiB > 0
    ? [
        `Diagnostic run: a full GC was forced every ${gcEveryMiB} MiB moved, so the growth is what the store holds, not garbage awaiting collection (throughput suffers).`,
      ]
    : []),
  '',
  '| store | write throughput vs local | read throughput vs local | peak RSS growth | bytes intact |',
  '| --- | ---: | ---: | ---: | :---: |',
  ...rows.map(({ name, result }) =>
    [
      '',
      name,
      `${(reference.writeMs / result.writeMs).toFixed(2)}×`,
      `${(reference.readMs / result.readMs).toFixed(2)}×`,
      `${mib(result.peakKiB - result.baselineKiB)} MiB (of ${mib(result.peakKiB)} MiB)`,
      result.intact ? 'yes' : '**NO**',
      '',
    ]
      .join(' | ')
      .trim(),
  ),
  '',
  `Digest verification on load (median of ${rounds} alternating rounds each, same process, same value): a plain read of the store's stream next to loadArtifact, which hashes every byte (sha256) as it streams and checks the version's digest.`,
  '',
  '| store | plain read | verified load | verification cost |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map(({ name, result }) =>
    [
      '',
      name,
      `${mibPerSecond(result.readMs)} MiB/s (${(result.readMs / 1000).toFixed(2)} s)`,
      `${mibPerSecond(result.verifiedMs)} MiB/s (${(result.verifiedMs / 1000).toFixed(2)} s)`,
      `${result.verifiedMs >= result.readMs ? '+' : ''}${((result.verifiedMs / result.readMs - 1) * 100).toFixed(0)}% time`,
      '',
    ]
      .join(' | ')
      .trim(),
  ),
  '',
  `Whole loads (median of ${rounds} rounds each, after the streaming ones, readWhole's first): loadArtifact through a materializer that asks for the value in one buffer, as the bytes materializer does — through the store's readWhole (read into one buffer of the value's size, hashed part by part as it lands), and through the same store without it (the stream's chunks joined). Peak RSS growth is the first readWhole round's peak over the streaming rounds' peak, as a multiple of the value's size.`,
  '',
  '| store | readWhole | whole load | ÷ local whole load | chunks joined instead | peak RSS growth ÷ value |',
  '| --- | :---: | ---: | ---: | ---: | ---: |',
  ...rows.map(({ name, result }) =>
    [
      '',
      name,
      result.readWhole ? 'yes' : 'no',
      `${mibPerSecond(result.wholeMs)} MiB/s (${(result.wholeMs / 1000).toFixed(2)} s)`,
      `${(result.wholeMs / reference.wholeMs).toFixed(2)}×`,
      `${(result.joinedMs / 1000).toFixed(2)} s (${(result.joinedMs / result.wholeMs).toFixed(2)}× readWhole's)`,
      `${((result.wholePeakKiB - result.peakKiB) / 1024 / sizeMiB).toFixed(2)}×`,
      '',
    ]
      .join(' | ')
      .trim(),
  ),
  ...notes.map((note) => `\n${note}`),
]
const report = lines.join('\n')
console.log(report)
await mkdir(join(root, 'bench/results'), { recursive: true })
await writeFile(join(root, 'bench/results/artifact-stores.md'), `${report}\n`)

const over = rows.filter(
  ({ result }) => (result.peakKiB - result.baselineKiB) / 1024 > RSS_BUDGET_MIB || !result.intact,
)
if (over.length > 0) {
  console.error(
    `\nover budget (RSS growth > ${RSS_BUDGET_MIB} MiB) or corrupted: ${over.map((row) => row.name).join(', ')}`,
  )
  process.exitCode = 1
}
