// One measurement of `pnpm bench:kubernetes` in a fresh process, printed as one JSON line. The runner
// (bench/kubernetes/run.mjs) starts the test plane and moto, points STRATA_CONFIG_DIR at the benchmark's
// store and runs this with the bench folder as the project. Usage:
//   node driver.ts setup '<json>'            registers the S3 store on moto and the two stacks
//   node driver.ts first-step STACK          a one-step pipeline: pipeline.run() to its step's startedAt
//   node driver.ts chain STACK N MS          a chain of N steps of MS ms: how long pipeline.run() takes
// STACK is `kubernetes` or `process` (the local orchestrator with `isolation: 'process'`).
import {
  discoverWorkspaceFlavors,
  openWorkspace,
  prepareComponent,
  setActiveStack,
} from '@strata/sdk/internal'

/** What the runner hands `setup`. */
export interface SetupOptions {
  s3: { url: string; path: string; accessKeyId: string; secretAccessKey: string }
  kubernetes: { kubeconfig: string; context: string; namespace: string }
}

/** The stacks the runner measures: their names in the store, by the key the runner passes. */
const STACKS = { kubernetes: 'bench-kubernetes', process: 'bench-local-process' } as const

/**
 * How often the driver and the client look at the run's Jobs, in seconds (the flavor's default is 3);
 * the profiler changes it with STRATA_BENCH_JOB_MONITORING_INTERVAL to show what depends on it.
 */
const JOB_MONITORING_INTERVAL = Number(process.env.STRATA_BENCH_JOB_MONITORING_INTERVAL ?? 0.2)

/**
 * The Kubernetes settings of every measured run: the service accounts of manifests/rbac.yaml, a short
 * monitoring interval, and what `STRATA_BENCH_POD_ENV` (JSON, set by the profiler) adds to every pod.
 */
function runSettings(stack: string): Record<string, Record<string, unknown>> {
  if (stack !== STACKS.kubernetes) return {}
  const env = JSON.parse(process.env.STRATA_BENCH_POD_ENV ?? '[]') as Array<{ name: string; value: string }>
  return {
    'orchestrator.kubernetes': {
      serviceAccountName: 'strata-orchestrator',
      stepPodServiceAccountName: 'strata-step',
      jobMonitoringInterval: JOB_MONITORING_INTERVAL,
      ...(env.length > 0 ? { podSettings: { env }, orchestratorPodSettings: { env } } : {}),
    },
  }
}

function emit(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(fields)}\n`)
}

async function setup(options: SetupOptions): Promise<void> {
  const workspace = openWorkspace()
  try {
    await workspace.store.secrets.create('moto', {
      access_key_id: options.s3.accessKeyId,
      secret_access_key: options.s3.secretAccessKey,
    })
    const { registry } = await discoverWorkspaceFlavors(workspace)
    const register = async (
      type: 'orchestrator' | 'artifact_store',
      name: string,
      flavor: string,
      config: Record<string, unknown>,
    ) => {
      const { missingSecrets: _missing, ...component } = await prepareComponent(
        { type, name, flavor, config },
        { registry, secrets: workspace.store.secrets },
      )
      return workspace.store.components.create(component)
    }
    const bucket = await register('artifact_store', 'moto', 's3', {
      path: options.s3.path,
      endpoint: options.s3.url,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: '{{moto.access_key_id}}',
      secretAccessKey: '{{moto.secret_access_key}}',
    })
    const cluster = await register('orchestrator', 'test-plane', 'kubernetes', {
      kubeconfig: options.kubernetes.kubeconfig,
      kubernetesContext: options.kubernetes.context,
      kubernetesNamespace: options.kubernetes.namespace,
    })
    const processes = await register('orchestrator', 'processes', 'local', { isolation: 'process' })
    for (const [name, orchestrator] of [
      [STACKS.kubernetes, cluster],
      [STACKS.process, processes],
    ] as const) {
      await workspace.store.stacks.create({
        name,
        components: { orchestrator: orchestrator.id, artifact_store: bucket.id },
      })
    }
  } finally {
    await workspace.close()
  }
}

/** Makes `stack` the active one (before the clock starts), so the measured call is a plain `run()`. */
async function activate(stack: string): Promise<void> {
  const workspace = openWorkspace()
  try {
    await setActiveStack(workspace, stack, { scope: 'user' })
  } finally {
    await workspace.close()
  }
}

async function stepRuns(runId: string) {
  const workspace = openWorkspace()
  try {
    return await workspace.store.runs.stepRuns(runId)
  } finally {
    await workspace.close()
  }
}

async function main(): Promise<void> {
  const [workload = '', ...args] = process.argv.slice(2)
  if (workload === 'setup') return setup(JSON.parse(args[0] ?? '{}') as SetupOptions)
  const [key = '', n = '1', ms = '10'] = args
  if (key !== 'kubernetes' && key !== 'process')
    throw new Error(`unknown stack '${key}' (kubernetes or process)`)
  const stack = STACKS[key]
  await activate(stack)
  const { chain } = await import('../strata/pipelines.ts')
  const options = { output: false, cache: false, settings: runSettings(stack) } as const
  if (workload === 'first-step') {
    // Wall clock (ms since the epoch): the step's startedAt is written by another process (a pod).
    const started = Date.now()
    const begin = performance.now()
    const run = await chain.run({ params: { n: 1, ms: Number(ms) }, ...options })
    const runMs = performance.now() - begin
    if (run.status !== 'completed') throw new Error(`the run ended ${run.status}: ${run.error ?? ''}`)
    const [first] = await stepRuns(run.id)
    if (!first?.startedAt) throw new Error(`run ${run.name}: its step has no startedAt`)
    return emit({ firstStepMs: Date.parse(first.startedAt) - started, runMs, started, runId: run.id })
  }
  if (workload === 'chain') {
    const started = Date.now()
    const begin = performance.now()
    const run = await chain.run({ params: { n: Number(n), ms: Number(ms) }, ...options })
    const runMs = performance.now() - begin
    if (run.status !== 'completed') throw new Error(`the run ended ${run.status}: ${run.error ?? ''}`)
    return emit({ runMs, started, runId: run.id })
  }
  throw new Error(`unknown workload '${workload}'`)
}

await main()
