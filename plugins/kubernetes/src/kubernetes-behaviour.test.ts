// How runs behave on the Kubernetes orchestrator, against a real control plane: parallelism, retries
// through backoffLimit, a bad image, stops, a killed orchestrator pod, detaching, schedules, what is left
// behind, and where a secret may (not) appear. Runs go through the SDK's Client as the CLI's do.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BatchV1Api, CoreV1Api, type V1Job } from '@kubernetes/client-node'
import type { Pipeline } from '@strata/sdk'
import {
  Client,
  discoverWorkspaceFlavors,
  openRunEnvironment,
  openWorkspace,
  prepareComponent,
  type RunEnvironment,
  setActiveStack,
} from '@strata/sdk/internal'
import {
  eventually,
  type KubernetesTestPlane,
  kubernetesTestPlaneUnavailable,
  startKubernetesTestPlane,
} from '@strata/testing/kubernetes'
import { MOTO_CREDENTIALS, startMoto } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyRbac, createProject } from './kubernetes-project.test-helpers.js'

const CANARY = 'canary-secret-k8s-5c1e9a7d'

const PIPELINES = `import { input, pipeline, step } from '@strata/sdk'
import { z } from 'zod'
export const wait = step({ name: 'wait', params: z.object({ ms: z.number() }) }, async (_inputs, ctx) => {
  await new Promise((resolve) => setTimeout(resolve, ctx.params.ms))
  return ctx.params.ms
})
export const fanOut = pipeline({ name: 'fan_out', cache: false }, () => {
  for (let index = 0; index < 16; index++) wait({ id: 'wait_' + index, params: { ms: 300 } })
})
export const flaky = step({ name: 'flaky', retry: { maxRetries: 2 } }, async (_inputs, ctx) => {
  throw new Error('attempt ' + ctx.attempt + ' failed')
})
export const after = step({ name: 'after', inputs: { value: input<number>() } }, async ({ value }) => value)
export const failing = pipeline({ name: 'failing', cache: false }, () => {
  after({ value: flaky() })
})
export const chain = pipeline({ name: 'chain', cache: false, params: z.object({ ms: z.number().default(1500) }) }, ({ ms }) => {
  const first = wait({ id: 'first', params: { ms } })
  const second = wait({ id: 'second', params: { ms }, after: [first] })
  wait({ id: 'third', params: { ms }, after: [second] })
})
`

const planeSkip = kubernetesTestPlaneUnavailable()
const moto = planeSkip ? { skip: planeSkip } : await startMoto()
const skip = planeSkip ?? moto.skip

describe.skipIf(skip)('runs on the kubernetes orchestrator', { timeout: 300_000 }, () => {
  let plane: KubernetesTestPlane
  let configDir: string
  let project: string
  let pipelines: Record<'fanOut' | 'failing' | 'chain', Pipeline>
  let batch: BatchV1Api
  let core: CoreV1Api
  const namespace = 'strata'
  const settings = (extra: Record<string, unknown> = {}) => ({
    'orchestrator.kubernetes': {
      serviceAccountName: 'strata-orchestrator',
      stepPodServiceAccountName: 'strata-step',
      jobMonitoringInterval: 0.3,
      ...extra,
    },
  })

  beforeAll(async () => {
    const started = await startKubernetesTestPlane()
    if (!started.plane) throw new Error(started.skip)
    plane = started.plane
    batch = plane.kubeConfig().makeApiClient(BatchV1Api)
    core = plane.kubeConfig().makeApiClient(CoreV1Api)
    await plane.createNamespace(namespace)
    await applyRbac(plane, namespace, 'strata-user')
    const server = moto.server!
    await fetch(`${server.url}/runs`, { method: 'PUT' })
    configDir = mkdtempSync(join(tmpdir(), 'strata-k8s-'))
    project = createProject('k8s-behaviour', { 'pipelines.ts': PIPELINES })
    // The user's identity: a service account bound only to the documented strata-client Role.
    const kubeconfig = await plane.kubeconfigFor('strata-user', namespace, { context: 'user' })
    const workspace = openWorkspace({ configDir, cwd: project })
    try {
      await workspace.store.secrets.create('aws', {
        access_key_id: MOTO_CREDENTIALS.accessKeyId,
        secret_access_key: CANARY,
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
      const bucket = await register('artifact_store', 'bucket', 's3', {
        path: 's3://runs/strata',
        endpoint: server.url,
        region: 'us-east-1',
        forcePathStyle: true,
        accessKeyId: '{{aws.access_key_id}}',
        secretAccessKey: '{{aws.secret_access_key}}',
      })
      const cluster = await register('orchestrator', 'cluster', 'kubernetes', {
        kubeconfig,
        kubernetesNamespace: namespace,
      })
      await workspace.store.stacks.create({
        name: 'k8s',
        components: { orchestrator: cluster.id, artifact_store: bucket.id },
      })
      await setActiveStack(workspace, 'k8s', { scope: 'user' })
    } finally {
      await workspace.close()
    }
    pipelines = (await import(pathToFileURL(join(project, 'pipelines.ts')).href)) as typeof pipelines
  }, 300_000)

  afterAll(async () => {
    await plane?.stop()
    await moto.server?.stop()
    if (project) rmSync(project, { recursive: true, force: true })
    if (configDir) rmSync(configDir, { recursive: true, force: true })
  })

  const withEnvironment = async <T>(work: (environment: RunEnvironment) => Promise<T>): Promise<T> => {
    const environment = await openRunEnvironment({ configDir, projectRoot: project })
    try {
      return await work(environment)
    } finally {
      await environment.close()
    }
  }
  const stepJobs = async (runId: string): Promise<V1Job[]> =>
    (
      await batch.listNamespacedJob({
        namespace,
        labelSelector: `strata.dev/run-id=${runId},strata.dev/role=step`,
      })
    ).items
  const activeJobs = (jobs: V1Job[]) =>
    jobs.filter((job) => !job.status?.conditions?.some((condition) => condition.status === 'True')).length

  it('never has more than maxParallelism step Jobs at once, and runs them in parallel', async () => {
    let peak = 0
    let watching = true
    // What the API server shows, polled while the run goes on.
    const watcher = (async () => {
      while (watching) {
        const jobs = await batch.listNamespacedJob({
          namespace,
          labelSelector: 'strata.dev/pipeline=fan_out,strata.dev/role=step',
        })
        peak = Math.max(peak, activeJobs(jobs.items))
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    })()
    const run = await withEnvironment((environment) =>
      pipelines.fanOut.run({ environment, settings: settings({ maxParallelism: 4 }), output: false }),
    )
    watching = false
    await watcher
    expect(run.status).toBe('completed')
    expect(Object.values(run.steps).every((state) => state === 'completed')).toBe(true)
    expect((await stepJobs(run.id)).length).toBe(16)
    expect(peak).toBeLessThanOrEqual(4)
    expect(peak).toBeGreaterThan(1)
  })

  it('uses a failing step’s retries through backoffLimit, fails the run and skips what depends on it', async () => {
    const lines: string[] = []
    const run = await withEnvironment((environment) =>
      pipelines.failing.run({ environment, settings: settings(), output: (line) => lines.push(line) }),
    )
    expect(run.status).toBe('failed')
    expect(run.steps).toEqual({ flaky: 'failed', after: 'skipped' })
    const [flakyJob] = (await stepJobs(run.id)).filter(
      (job) => job.metadata?.labels?.['strata.dev/step'] === 'flaky',
    )
    expect(flakyJob?.spec?.backoffLimit).toBe(2)
    expect(flakyJob?.status?.failed).toBe(3)
    expect(lines.filter((line) => line.startsWith('step flaky: retrying'))).toHaveLength(2)
    const client = await Client.open({ configDir, projectRoot: project })
    try {
      const details = await client.getRun(run.id)
      const flaky = details.steps.find((step) => step.name === 'flaky')
      expect(flaky).toMatchObject({ status: 'failed', attempts: 3, error: 'attempt 3 failed' })
    } finally {
      await client.close()
    }
  })

  it('fails a step whose image cannot be pulled at once, naming the image', async () => {
    const run = await withEnvironment((environment) =>
      pipelines.chain.run({
        environment,
        params: { ms: 10 },
        settings: settings(),
        steps: {
          second: { settings: { 'orchestrator.kubernetes': { image: 'registry.invalid/no-such:1' } } },
        },
        output: false,
      }),
    )
    expect(run.status).toBe('failed')
    expect(run.steps).toMatchObject({ first: 'completed', second: 'failed', third: 'skipped' })
    const client = await Client.open({ configDir, projectRoot: project })
    try {
      const second = (await client.getRun(run.id)).steps.find((step) => step.name === 'second')
      // At once, not after the Job's backoff: the pod's waiting reason failed the step (a Job that ran out of
      // retries would fail it as "its Job failed (BackoffLimitExceeded)").
      expect(second?.error).toMatch(/cannot start: ErrImagePull.*registry\.invalid\/no-such:1/)
    } finally {
      await client.close()
    }
  })

  it('says why an orchestrator pod died while its Job starts another', async () => {
    const controller = new AbortController()
    const lines: string[] = []
    const run = await withEnvironment((environment) =>
      pipelines.chain.run({
        environment,
        params: { ms: 10 },
        // A driver that cannot read what the client handed over: its pod fails at start, every time.
        settings: settings({
          orchestratorPodSettings: { env: [{ name: 'STRATA_STEP_ARTIFACT_STORE', value: 'not json' }] },
        }),
        signal: controller.signal,
        output: (line) => {
          lines.push(line)
          if (line.includes('failed (exit')) controller.abort()
        },
      }),
    )
    expect(run.status).toBe('running')
    expect(lines.find((line) => line.includes('failed (exit'))).toMatch(
      /^kubernetes: the orchestrator pod chain-[0-9a-f]{8}-orchestrator-\S+ failed \(exit 1\): .*not valid JSON.* — its Job starts another/,
    )
    const client = await Client.open({ configDir, projectRoot: project })
    try {
      await client.stopRun(run.id, { force: true })
    } finally {
      await client.close()
    }
  })

  it('detaches on abort and lets runs sync follow the run to its end', async () => {
    const controller = new AbortController()
    const lines: string[] = []
    const detached = await withEnvironment((environment) =>
      pipelines.chain.run({
        environment,
        params: { ms: 800 },
        settings: settings(),
        signal: controller.signal,
        output: (line) => {
          lines.push(line)
          if (line.startsWith('kubernetes: run submitted')) controller.abort()
        },
      }),
    )
    expect(detached.status).toBe('running')
    expect(lines.at(-1)).toMatch(
      /^detached: the run goes on in the cluster — follow it with 'strata pipeline runs sync/,
    )
    const client = await Client.open({ configDir, projectRoot: project })
    try {
      await client.syncRun(detached.id, { follow: true, intervalMs: 300 })
      const run = await client.getRun(detached.id)
      expect(run.status).toBe('completed')
      expect(run.steps.map((step) => step.status)).toEqual(['completed', 'completed', 'completed'])
    } finally {
      await client.close()
    }
  })

  it('stops gracefully (running steps finish, nothing new starts) and at once (--force)', async () => {
    const client = await Client.open({ configDir, projectRoot: project })
    try {
      const graceful = await withEnvironment((environment) =>
        pipelines.chain.run({
          environment,
          params: { ms: 2500 },
          settings: settings({ synchronous: false }),
          output: false,
        }),
      )
      await eventually('the first step runs', async () => (await stepJobs(graceful.id)).length === 1)
      await client.stopRun(graceful.id)
      await client.syncRun(graceful.id, { follow: true, intervalMs: 300 })
      const stopped = await client.getRun(graceful.id)
      expect(stopped.status).toBe('stopped')
      expect(stopped.steps.map((step) => [step.name, step.status])).toEqual([['first', 'completed']])
      expect(stopped.notStarted).toEqual(['second', 'third'])

      const forced = await withEnvironment((environment) =>
        pipelines.chain.run({
          environment,
          params: { ms: 60_000 },
          settings: settings({ synchronous: false }),
          output: false,
        }),
      )
      await eventually('the first step runs', async () => (await stepJobs(forced.id)).length === 1)
      await client.stopRun(forced.id, { force: true })
      expect((await client.getRun(forced.id)).status).toBe('stopped')
      await eventually(
        'its Jobs are gone',
        async () =>
          (await batch.listNamespacedJob({ namespace, labelSelector: `strata.dev/run-id=${forced.id}` }))
            .items.length === 0,
      )
    } finally {
      await client.close()
    }
  })

  it('resumes when its orchestrator pod is killed, without running a finished step again', async () => {
    const run = await withEnvironment((environment) =>
      pipelines.chain.run({
        environment,
        params: { ms: 2000 },
        settings: settings({ synchronous: false }),
        output: false,
      }),
    )
    const client = await Client.open({ configDir, projectRoot: project })
    try {
      await eventually('the second step runs', async () => (await stepJobs(run.id)).length === 2)
      const [pod] = (
        await core.listNamespacedPod({
          namespace,
          labelSelector: `strata.dev/run-id=${run.id},strata.dev/role=orchestrator`,
        })
      ).items
      await core.deleteNamespacedPod({ namespace, name: pod?.metadata?.name ?? '', gracePeriodSeconds: 0 })
      await client.syncRun(run.id, { follow: true, intervalMs: 300 })
      expect((await client.getRun(run.id)).status).toBe('completed')
      const jobs = await stepJobs(run.id)
      expect(jobs).toHaveLength(3)
      // One pod per step: the restarted driver waited for the running step's Job instead of starting it again.
      for (const job of jobs) expect((job.status?.succeeded ?? 0) + (job.status?.failed ?? 0)).toBe(1)
      const orchestratorPods = await core.listNamespacedPod({
        namespace,
        labelSelector: `strata.dev/run-id=${run.id},strata.dev/role=orchestrator`,
      })
      expect(orchestratorPods.items.length).toBe(1)
    } finally {
      await client.close()
    }
  })

  it('runs on a schedule: a CronJob whose runs runs sync records, and schedule delete removes it', async () => {
    const scheduled = await withEnvironment((environment) =>
      pipelines.chain.run({
        environment,
        params: { ms: 10 },
        settings: settings(),
        schedule: { cron: '*/30 * * * *', timeZone: 'Europe/Berlin', name: 'nightly' },
        output: false,
      }),
    )
    expect(scheduled).toMatchObject({ status: 'scheduled', name: 'nightly', pipelineName: 'chain' })
    const [cron] = (await batch.listNamespacedCronJob({ namespace })).items
    expect(cron?.spec).toMatchObject({ schedule: '*/30 * * * *', timeZone: 'Europe/Berlin' })
    // A tick, as the CronJob controller makes one (kubectl create job --from=cronjob/...).
    const template = cron?.spec?.jobTemplate
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'nightly-tick', labels: template?.metadata?.labels ?? {} },
        spec: template?.spec ?? { template: {} },
      },
    })
    await eventually('the tick’s run ended', async () => {
      const tick = await batch.readNamespacedJob({ namespace, name: 'nightly-tick' })
      return (
        tick.status?.conditions?.some(
          (condition) => condition.type === 'Complete' && condition.status === 'True',
        ) === true
      )
    })
    const client = await Client.open({ configDir, projectRoot: project })
    try {
      const { discovered } = await client.syncRuns()
      expect(discovered).toHaveLength(1)
      const run = await client.getRun(discovered[0] ?? '')
      expect(run).toMatchObject({ status: 'completed', pipelineName: 'chain', scheduleId: scheduled.id })
      expect((await client.syncRuns()).discovered).toEqual([])
      expect(await client.listSchedules()).toMatchObject([
        { name: 'nightly', cron: '*/30 * * * *', timeZone: 'Europe/Berlin', active: true },
      ])
      await client.deleteSchedule('nightly')
      expect(await client.listSchedules()).toEqual([])
      expect((await batch.listNamespacedCronJob({ namespace })).items).toEqual([])
    } finally {
      await client.close()
    }
  })

  it('leaves nothing with a secret behind, and shows the secret in no Job, Pod, ConfigMap or event', async () => {
    // Every run so far has ended: their Secrets and runtime ConfigMaps went with them (a force-stopped
    // run's with its deleted Jobs, through the garbage collector).
    const selector = { namespace, labelSelector: 'app.kubernetes.io/managed-by=strata' }
    await eventually('no run Secret or runtime ConfigMap is left', async () => {
      const left = [
        ...(await core.listNamespacedSecret(selector)).items,
        ...(await core.listNamespacedConfigMap(selector)).items,
      ]
      return left.length === 0
    })
    const everything = JSON.stringify([
      await batch.listNamespacedJob({ namespace }),
      await batch.listNamespacedCronJob({ namespace }),
      await core.listNamespacedPod({ namespace }),
      await core.listNamespacedConfigMap({ namespace }),
      await core.listNamespacedEvent({ namespace }),
    ])
    expect(everything).not.toContain(CANARY)
    expect(everything).toContain('strata.dev/run-id')
  })
})
