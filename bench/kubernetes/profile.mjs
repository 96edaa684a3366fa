#!/usr/bin/env node
// `node bench/kubernetes/profile.mjs [--steps N] [--interval S]` (after `pnpm build`): where the time of a run on the
// Kubernetes test plane goes — a one-step run from `pipeline.run()` to its step running, and each step of an
// N-step chain (default 20) from its Job's creation to the next step's Job. Same plane, moto and stacks as
// `pnpm bench:kubernetes`, and the same run settings (`--interval` changes jobMonitoringInterval from its 0.2 s),
// plus two observers that do not change what runs:
//   - a watch on the namespace's Jobs and pods (this process), stamping when each object appeared, was bound
//     to the node, ended, and when a Job was marked Complete;
//   - bench/kubernetes/trace-hook.mjs in every process of the run (NODE_OPTIONS=--import, handed to the pods
//     through their env setting): process start, first module, the bootstrap's gunzip and runtime write,
//     every S3 and Kubernetes API request, exit and CPU time;
// joined with the step runs' startedAt/endedAt as the store records them (from the journals). Prints the
// breakdown and writes it to bench/results/kubernetes-profile.md; the raw traces stay in
// bench/results/kubernetes-trace/.
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Watch } from '@kubernetes/client-node'
import {
  benchDir,
  fail,
  gitRevision,
  machineInfo,
  measureAsync,
  median,
  requireBuild,
  writeResults,
} from '../lib.mjs'
import { NAMESPACE, PLANE_VERSIONS, startBenchPlane } from './bench-plane.mjs'

const STEP_MS = 10
const stepsFlag = process.argv.indexOf('--steps')
const steps = stepsFlag === -1 ? 20 : Number(process.argv[stepsFlag + 1])
if (!Number.isInteger(steps) || steps < 3) fail('--steps takes a whole number of at least 3')
const intervalFlag = process.argv.indexOf('--interval')
const interval = intervalFlag === -1 ? 0.2 : Number(process.argv[intervalFlag + 1])
if (!(interval > 0)) fail('--interval takes the jobMonitoringInterval in seconds, e.g. 0.2')
requireBuild([
  'plugins/kubernetes/dist/index.js',
  'plugins/s3/dist/index.js',
  'packages/testing/dist/kubernetes.js',
])

const progress = (line) => process.stderr.write(`profile: ${line}\n`)
const traceRoot = join(benchDir, 'results', 'kubernetes-trace')
const hook = pathToFileURL(join(benchDir, 'kubernetes', 'trace-hook.mjs')).href
const now = () => performance.timeOrigin + performance.now()

/** The environment that traces a run: the submitting process directly, the pods through their env setting. */
function tracing(dir) {
  const env = [
    { name: 'NODE_OPTIONS', value: `--import=${hook}` },
    { name: 'STRATA_BENCH_TRACE_DIR', value: dir },
  ]
  return {
    STRATA_BENCH_JOB_MONITORING_INTERVAL: String(interval),
    NODE_OPTIONS: `--import=${hook}`,
    STRATA_BENCH_TRACE_DIR: dir,
    STRATA_BENCH_POD_ENV: JSON.stringify(env),
  }
}

/** Stamps, as this process receives them, when each Job and pod of the namespace reached each state. */
async function watchNamespace(kubeConfig) {
  let jobs = new Map()
  let pods = new Map()
  const watch = new Watch(kubeConfig)
  const record = (map, name, fields) => {
    const entry = map.get(name) ?? { name }
    for (const [key, value] of Object.entries(fields))
      if (value && entry[key] === undefined) entry[key] = value
    map.set(name, entry)
  }
  const failed = (error) => {
    if (error && error.name !== 'AbortError') progress(`watch ended: ${error.message ?? error}`)
  }
  const jobWatch = await watch.watch(
    `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`,
    {},
    (_type, job) => {
      const at = now()
      const condition = (type) =>
        job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ? at : undefined
      record(jobs, job.metadata.name, {
        added: at,
        role: job.metadata.labels?.['strata.dev/role'],
        step: job.metadata.annotations?.['strata.dev/step'],
        complete: condition('Complete'),
        successCriteriaMet: condition('SuccessCriteriaMet'),
      })
    },
    failed,
  )
  const podWatch = await watch.watch(
    `/api/v1/namespaces/${NAMESPACE}/pods`,
    {},
    (_type, pod) => {
      const at = now()
      const phase = pod.status?.phase
      record(pods, pod.metadata.name, {
        added: at,
        job: pod.metadata.labels?.['batch.kubernetes.io/job-name'],
        bound: pod.spec?.nodeName ? at : undefined,
        running: phase === 'Running' ? at : undefined,
        ended: phase === 'Succeeded' || phase === 'Failed' ? at : undefined,
      })
    },
    failed,
  )
  return {
    take() {
      const taken = { jobs, pods }
      jobs = new Map()
      pods = new Map()
      return taken
    },
    stop() {
      jobWatch.abort()
      podWatch.abort()
    },
  }
}

/** The traces the hook wrote, one per process, with their spans sorted. */
function readTraces(dir) {
  let files = []
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.json'))
  } catch {}
  return files.map((file) => {
    const trace = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    const http = trace.events.filter((e) => e.what === 'http').sort((a, b) => a.begin - b.begin)
    const one = (what, test = () => true) => trace.events.find((e) => e.what === what && test(e))
    return {
      ...trace,
      http,
      s3: http.filter((e) => e.client === 'http'),
      kube: http.filter((e) => e.client === 'undici'),
      hookAt: one('hook').at,
      exitAt: one('exit')?.at,
      gunzip: one('gunzip'),
      runtimeWrite: one('writeFileSync', (e) => /strata-runtime-/.test(e.file)),
      bundleWrite: one('writeFile', (e) => /bundle\.mjs$/.test(e.file)),
    }
  })
}

/** Step runs as the store recorded them (from the journals): startedAt and endedAt in ms. */
async function stepRunTimes(configDir, runId) {
  const { openWorkspace } = await import('@strata/sdk/internal')
  const workspace = openWorkspace({ configDir, cwd: benchDir })
  try {
    const runs = await workspace.store.runs.stepRuns(runId)
    return new Map(
      runs.map((run) => [
        run.name,
        { startedAt: Date.parse(run.startedAt), endedAt: run.endedAt ? Date.parse(run.endedAt) : undefined },
      ]),
    )
  } finally {
    await workspace.close()
  }
}

const ms = (value) => (value === undefined || Number.isNaN(value) ? 'n/a' : `${value.toFixed(0)} ms`)

/** One pod's own phases: from its process starting to its exit. */
function podPhases(trace, startedAt, endedAt) {
  const firstS3 = trace.s3[0]
  const beforeStart = trace.s3.filter((e) => e.end <= startedAt)
  const afterEnd = trace.s3.filter((e) => e.begin >= (endedAt ?? startedAt))
  return {
    nodeStart: trace.hookAt - trace.origin,
    bootstrap: trace.runtimeWrite ? trace.runtimeWrite.end - trace.hookAt : undefined,
    gunzip: trace.gunzip ? trace.gunzip.end - trace.gunzip.begin : undefined,
    runtimeWrite: trace.runtimeWrite ? trace.runtimeWrite.end - trace.runtimeWrite.begin : undefined,
    importRuntime: firstS3 && trace.runtimeWrite ? firstS3.begin - trace.runtimeWrite.end : undefined,
    beforeStep: firstS3 ? startedAt - firstS3.begin : undefined,
    beforeStepS3: union(beforeStart),
    beforeStepRequests: beforeStart.length,
    bundleWrite: trace.bundleWrite ? trace.bundleWrite.end - trace.bundleWrite.begin : undefined,
    bundleBytes: trace.bundleWrite?.bytes,
    runtimeBytes: trace.runtimeWrite?.bytes,
    step: endedAt !== undefined ? endedAt - startedAt : undefined,
    afterStep: trace.s3.length ? trace.s3.at(-1).end - (endedAt ?? startedAt) : undefined,
    afterStepRequests: afterEnd.length,
    exit: trace.exitAt !== undefined && trace.s3.length ? trace.exitAt - trace.s3.at(-1).end : undefined,
    wall: trace.exitAt - trace.origin,
    cpu: trace.cpuMs,
    s3Requests: trace.s3.length,
    s3Time: union(trace.s3),
  }
}

/** Total time covered by a set of spans (overlaps counted once). */
function union(spans) {
  let total = 0
  let reach = -Infinity
  for (const span of [...spans].sort((a, b) => a.begin - b.begin)) {
    const begin = Math.max(span.begin, reach)
    if (span.end > begin) total += span.end - begin
    reach = Math.max(reach, span.end)
  }
  return total
}

function chainBreakdown({ jobs, pods }, traces, times) {
  const stepJobs = [...jobs.values()].filter((job) => job.role === 'step').sort((a, b) => a.added - b.added)
  const driver = traces.find((trace) => {
    const pod = pods.get(trace.host)
    return pod && jobs.get(pod.job)?.role === 'orchestrator'
  })
  const posts = driver.kube.filter((e) => e.method === 'POST' && /\/jobs$/.test(e.path))
  const rows = []
  // The first step pays the driver's start; the last has no next Job: the steps between are the steady state.
  for (let index = 1; index < stepJobs.length - 1; index++) {
    const job = stepJobs[index]
    const next = stepJobs[index + 1]
    const pod = [...pods.values()].find((candidate) => candidate.job === job.name)
    const trace = traces.find((candidate) => candidate.host === pod?.name)
    const time = times.get(job.step)
    if (!pod || !trace || !time) throw new Error(`step Job ${job.name}: no pod, trace or step run`)
    const own = podPhases(trace, time.startedAt, time.endedAt)
    const post = posts[index + 1]
    const driverS3 = driver.s3.filter((e) => e.begin >= job.complete && e.end <= post.begin)
    rows.push({
      'Job created → its pod created (Job controller)': pod.added - job.added,
      'pod created → bound to the node (node agent)': pod.bound - pod.added,
      'bound → Node process started (node agent: volumes, env, mount namespace, entrypoint)':
        trace.origin - pod.bound,
      'Node start-up to the first module': own.nodeStart,
      'bootstrap: join the chunks, gunzip, sha256, write the runtime': own.bootstrap,
      'import the runtime, create the S3 client': own.importRuntime,
      'S3 reads before the step (snapshot, journal, inputs, bundle), bundle import → startedAt':
        own.beforeStep,
      'the step (10 ms wait, output saved, journal) → endedAt': own.step,
      'journal and log writes after endedAt': own.afterStep,
      'last request → process exit': own.exit,
      'exit → pod Succeeded (node agent reports)': pod.ended - trace.exitAt,
      'pod Succeeded → Job Complete (Job controller)': job.complete - pod.ended,
      __successCriteriaMet: job.successCriteriaMet - pod.ended,
      'Job Complete → driver notices (its next look: interval + list calls)': driverS3.length
        ? driverS3[0].begin - job.complete
        : undefined,
      "driver's S3 work: the step's outcome from its journal, the next step's inputs staged": driverS3.length
        ? driverS3.at(-1).end - driverS3[0].begin
        : undefined,
      "driver's look before creating the next Job (interval wait + list calls)": driverS3.length
        ? post.begin - driverS3.at(-1).end
        : undefined,
      'create the next Job → seen (API server, watch)': next.added - post.begin,
      __total: next.added - job.added,
      __s3Requests: own.s3Requests,
      __s3Time: own.s3Time,
      __beforeStepS3: own.beforeStepS3,
      __beforeStepRequests: own.beforeStepRequests,
      __cpu: own.cpu,
      __wall: own.wall,
      __runtimeBytes: own.runtimeBytes,
      __bundleBytes: own.bundleBytes,
      __gunzip: own.gunzip,
      __runtimeWrite: own.runtimeWrite,
      __bundleWrite: own.bundleWrite,
      __driverS3Requests: driverS3.length,
    })
  }
  return rows
}

function firstStepTimeline({ jobs, pods }, traces, started, startedAt) {
  const client = traces.find((trace) => trace.argv.some((arg) => arg.endsWith('driver.ts')))
  const byRole = (role) => [...jobs.values()].find((job) => job.role === role)
  const orchestrator = byRole('orchestrator')
  const step = byRole('step')
  const podOf = (job) => [...pods.values()].find((pod) => pod.job === job?.name)
  const traceOf = (pod) => traces.find((trace) => trace.host === pod?.name)
  const orchestratorPod = podOf(orchestrator)
  const stepPod = podOf(step)
  const driver = traceOf(orchestratorPod)
  const stepTrace = traceOf(stepPod)
  const firstKube = client.kube[0]
  const clientS3 = client.s3.filter((e) => e.end <= (firstKube?.begin ?? Infinity))
  const post = driver?.kube.find((e) => e.method === 'POST' && /\/jobs$/.test(e.path))
  const marks = [
    ['client: its first S3 request (staging the run: snapshot, code bundle, plan)', clientS3[0]?.begin],
    ['client: staging done (last S3 request before the first Kubernetes call)', clientS3.at(-1)?.end],
    [
      'client: first Kubernetes call (the run Secret; the runtime bundle is built before it)',
      firstKube?.begin,
    ],
    ['orchestrator Job created (seen by the watch)', orchestrator?.added],
    ['orchestrator pod created', orchestratorPod?.added],
    ['orchestrator pod bound', orchestratorPod?.bound],
    ['orchestrator pod: Node process started', driver?.origin],
    ['orchestrator pod: bootstrap done (runtime written)', driver?.runtimeWrite?.end],
    ['orchestrator pod: first S3 request (runtime imported)', driver?.s3[0]?.begin],
    ["driver: creates the step's Job", post?.begin],
    ['step Job created (seen by the watch)', step?.added],
    ['step pod created', stepPod?.added],
    ['step pod bound', stepPod?.bound],
    ['step pod: Node process started', stepTrace?.origin],
    ['step pod: bootstrap done (runtime written)', stepTrace?.runtimeWrite?.end],
    ['step pod: first S3 request (runtime imported)', stepTrace?.s3[0]?.begin],
    ["the step's startedAt (the store, from its journal)", startedAt],
  ]
  return marks.map(([label, at]) => [label, at === undefined ? undefined : at - started])
}

function localTimeline(traces, started, startedAt) {
  const client = traces.find((trace) => trace.argv.some((arg) => arg.endsWith('driver.ts')))
  const step = traces.find((trace) => trace.argv.includes('step') && trace !== client)
  return [
    ['client: its first S3 request (staging the run)', client?.s3[0]?.begin],
    ['step process: Node process started', step?.origin],
    ['step process: first module', step?.hookAt],
    ['step process: first S3 request', step?.s3[0]?.begin],
    ["the step's startedAt (the store, from its journal)", startedAt],
  ].map(([label, at]) => [label, at === undefined ? undefined : at - started])
}

const bench = await startBenchPlane(progress).catch((error) => fail(error.message))
const loadAtStart = loadavg()
try {
  rmSync(traceRoot, { recursive: true, force: true })
  progress('warm-up: one one-step run on each stack (not traced)')
  for (const stack of ['kubernetes', 'process']) await bench.driver(['first-step', stack, STEP_MS])
  await bench.clean()
  const watcher = await watchNamespace(bench.plane.kubeConfig())
  const nodes = []
  for (let sample = 0; sample < 5; sample++)
    nodes.push((await measureAsync(process.execPath, ['-e', '0'])).wallMs)

  progress('traced: a one-step run on Kubernetes')
  const firstDir = join(traceRoot, 'first-step-kubernetes')
  const firstRun = await bench.driver(['first-step', 'kubernetes', STEP_MS], tracing(firstDir))
  await new Promise((resolve) => setTimeout(resolve, 500))
  const firstObjects = watcher.take()
  const firstTimes = await stepRunTimes(bench.configDir, firstRun.runId)
  await bench.clean()
  watcher.take()

  progress('traced: a one-step run with local step processes')
  const localDir = join(traceRoot, 'first-step-process')
  const localRun = await bench.driver(['first-step', 'process', STEP_MS], tracing(localDir))
  const localTimes = await stepRunTimes(bench.configDir, localRun.runId)

  progress(`traced: a chain of ${steps} steps on Kubernetes`)
  const chainDir = join(traceRoot, 'chain-kubernetes')
  const chainRun = await bench.driver(['chain', 'kubernetes', steps, STEP_MS], tracing(chainDir))
  await new Promise((resolve) => setTimeout(resolve, 500))
  const chainObjects = watcher.take()
  watcher.stop()
  const chainTimes = await stepRunTimes(bench.configDir, chainRun.runId)
  await bench.clean()
  const loadAtEnd = loadavg()

  const firstMarks = firstStepTimeline(
    firstObjects,
    readTraces(firstDir),
    firstRun.started,
    [...firstTimes.values()][0]?.startedAt,
  )
  const localMarks = localTimeline(
    readTraces(localDir),
    localRun.started,
    [...localTimes.values()][0]?.startedAt,
  )
  const rows = chainBreakdown(chainObjects, readTraces(chainDir), chainTimes)
  const phases = Object.keys(rows[0]).filter((key) => !key.startsWith('__'))
  const med = (key) => median(rows.map((row) => row[key]).filter((value) => value !== undefined))
  const total = med('__total')
  const node = median(nodes)

  const lines = [
    `# Where the time of a Kubernetes run goes (test plane)`,
    '',
    `${new Date().toISOString().slice(0, 10)}, commit ${gitRevision()}; \`node bench/kubernetes/profile.mjs --steps ${steps} --interval ${interval}\`. Load average ${loadAtStart.map((v) => v.toFixed(2)).join(', ')} at the start, ${loadAtEnd.map((v) => v.toFixed(2)).join(', ')} at the end.`,
    '',
    ...Object.entries(machineInfo()).map(([key, value]) => `- ${key}: ${value}`),
    `- the test plane: ${PLANE_VERSIONS}; \`jobMonitoringInterval: ${interval}\`; S3 on moto; a bare \`node -e 0\` in this run: ${ms(node)}`,
    '- every process of the traced runs loads bench/kubernetes/trace-hook.mjs (NODE_OPTIONS=--import), a few ms each',
    '',
    `## From \`pipeline.run()\` to the first step running (one-step pipeline, ms after the call)`,
    '',
    '| Kubernetes | ms |',
    '| --- | ---: |',
    ...firstMarks.map(([label, at]) => `| ${label} | ${ms(at)} |`),
    '',
    "| local, `isolation: 'process'` | ms |",
    '| --- | ---: |',
    ...localMarks.map(([label, at]) => `| ${label} | ${ms(at)} |`),
    '',
    `## One step of a ${steps}-step chain (steps 2 to ${steps - 1}; median over ${rows.length} steps)`,
    '',
    '| phase | median | share |',
    '| --- | ---: | ---: |',
    ...phases.map((key) => `| ${key} | ${ms(med(key))} | ${((100 * med(key)) / total).toFixed(0)}% |`),
    `| **Job created → the next step's Job created** | **${ms(total)}** | (sum of medians: ${ms(phases.reduce((sum, key) => sum + med(key), 0))}) |`,
    '',
    `- in each step pod: ${med('__s3Requests')} S3 requests taking ${ms(med('__s3Time'))} in all, ${med('__beforeStepRequests')} of them (${ms(med('__beforeStepS3'))}) before the step starts; CPU ${ms(med('__cpu'))} over a process wall time of ${ms(med('__wall'))}`,
    `- the runtime the bootstrap writes: ${(med('__runtimeBytes') / 2 ** 20).toFixed(1)} MiB (gunzip ${ms(med('__gunzip'))}, write ${ms(med('__runtimeWrite'))}); the code bundle: ${(med('__bundleBytes') / 2 ** 10).toFixed(0)} KiB (write ${ms(med('__bundleWrite'))})`,
    `- the driver between two steps: ${med('__driverS3Requests')} S3 requests`,
    `- the Job controller: SuccessCriteriaMet ${ms(med('__successCriteriaMet'))} after the pod Succeeded, Complete ${ms(med('pod Succeeded → Job Complete (Job controller)'))} after`,
    '',
    'Stamps: Jobs and pods as this process’s watch received them; process start, first module, requests and exit from the trace hook in each process (wall clock, one machine); startedAt/endedAt from the store.',
  ]
  const markdown = `${lines.join('\n')}\n`
  process.stdout.write(markdown)
  writeResults(
    join(benchDir, 'results', `kubernetes-profile${interval === 0.2 ? '' : `-interval-${interval}`}.md`),
    markdown,
  )
} catch (error) {
  process.stderr.write(
    `profile: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exitCode = 1
} finally {
  await bench.stop()
}
