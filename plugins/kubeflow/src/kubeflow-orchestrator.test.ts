// The Kubeflow orchestrator end to end, as far as this machine can go: runs go through the SDK to the KFP
// API contract server (the real client, requests parsed with kfp-server-api's models), and a test
// stand-in for KFP's backend runs the compiled containers, exactly as the IR and its platform spec write
// them, on the real Kubernetes test plane, with the artifact store on moto (S3). Not a real Kubeflow:
// docs/kubeflow.md says what that leaves unproven.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CoreV1Api, KubernetesObjectApi, loadAllYaml } from '@kubernetes/client-node'
import type { Pipeline } from '@strata/sdk'
import {
  Client,
  discoverWorkspaceFlavors,
  type ExportedPipeline,
  exportPipelineDefinition,
  openRunEnvironment,
  openWorkspace,
  prepareComponent,
  type RunEnvironment,
  setActiveStack,
} from '@strata/sdk/internal'
import type { TestServer } from '@strata/testing'
import {
  judgeKfpPipeline,
  type KfpContractServer,
  type KfpTestBackend,
  kfpUnavailable,
  serveKfpRunsOnPlane,
  startKfpContractServer,
} from '@strata/testing/kubeflow'
import {
  eventually,
  type KubernetesTestPlane,
  kubernetesTestPlaneUnavailable,
  startKubernetesTestPlane,
} from '@strata/testing/kubernetes'
import { MOTO_CREDENTIALS, startMoto } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { snapshotOf } from './kubeflow.test-helpers.js'
import { kubeflowOrchestratorConfig } from './kubeflow-orchestrator-flavor.js'

const PLUGIN_DIR = resolve(import.meta.dirname, '..')
const QUICKSTART = resolve(PLUGIN_DIR, '../../apps/quickstart/src')
const CANARY = 'canary-secret-kfp-7e3b1c9a'

const SMALL = `import { input, pipeline, step } from '@strata/sdk'
export const produce = step({ name: 'produce' }, async () => [1, 2, 3])
export const total = step({ name: 'total', inputs: { values: input<number[]>() } }, async ({ values }) =>
  values.reduce((sum, value) => sum + value, 0),
)
export const small = pipeline({ name: 'small', cache: false }, () => {
  total({ values: produce() })
})
export const flaky = step({ name: 'flaky', retry: { maxRetries: 2 } }, async (_inputs, ctx) => {
  throw new Error('attempt ' + ctx.attempt + ' failed')
})
export const after = step({ name: 'after', inputs: { value: input<number>() } }, async ({ value }) => value)
export const failing = pipeline({ name: 'failing', cache: false }, () => {
  after({ value: flaky() })
})
`

/** A user's project: the quickstart's pipelines, with @strata/kubeflow and @strata/s3 installed (linked). */
function createProject(): string {
  const project = join(PLUGIN_DIR, '.tmp', `kfp-project-${process.pid}`)
  rmSync(project, { recursive: true, force: true })
  mkdirSync(join(project, 'node_modules', '@strata'), { recursive: true })
  symlinkSync(PLUGIN_DIR, join(project, 'node_modules', '@strata', 'kubeflow'))
  symlinkSync(resolve(PLUGIN_DIR, '../s3'), join(project, 'node_modules', '@strata', 's3'))
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'kfp-project',
      type: 'module',
      dependencies: { '@strata/kubeflow': '*', '@strata/s3': '*' },
    }),
  )
  for (const file of ['pipelines.ts', 'data.ts', 'logistic-regression.ts'])
    cpSync(join(QUICKSTART, file), join(project, file))
  writeFileSync(join(project, 'small.ts'), SMALL)
  return project
}

const planeSkip = kubernetesTestPlaneUnavailable()
const kfpSkip = planeSkip ? undefined : kfpUnavailable()
const moto: { server?: TestServer; skip?: string } =
  planeSkip || kfpSkip ? { skip: planeSkip ?? kfpSkip } : await startMoto()
const skip = planeSkip ?? kfpSkip ?? moto.skip

describe.skipIf(skip)(
  'the kubeflow orchestrator, its containers on a real control plane',
  { timeout: 300_000 },
  () => {
    let plane: KubernetesTestPlane
    let kfp: KfpContractServer
    let backend: KfpTestBackend
    let configDir: string
    let project: string
    let core: CoreV1Api
    const namespace = 'kubeflow'
    const settings = { 'orchestrator.kubeflow': { pollingInterval: 0.3 } }

    beforeAll(async () => {
      const started = await startKubernetesTestPlane()
      if (!started.plane) throw new Error(started.skip)
      plane = started.plane
      core = plane.kubeConfig().makeApiClient(CoreV1Api)
      const server = await startKfpContractServer()
      if (!server.server) throw new Error(server.skip)
      kfp = server.server
      backend = serveKfpRunsOnPlane(kfp, plane, { defaultNamespace: namespace })
      await plane.createNamespace(namespace)
      // The user: a service account bound only to the Role docs/kubeflow.md ships.
      const api = KubernetesObjectApi.makeApiClient(plane.kubeConfig())
      for (const document of loadAllYaml(
        readFileSync(join(PLUGIN_DIR, 'manifests', 'rbac.yaml'), 'utf8'),
      ) as Array<{ metadata: { namespace?: string } }>) {
        document.metadata.namespace = namespace
        await api.create(document as never)
      }
      await api.create({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'strata-user', namespace },
      } as never)
      await api.create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'strata-user', namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'strata-kubeflow-client' },
        subjects: [{ kind: 'ServiceAccount', name: 'strata-user', namespace }],
      } as never)
      const kubeconfig = await plane.kubeconfigFor('strata-user', namespace, { context: 'kubeflow-cluster' })
      await fetch(`${moto.server!.url}/pipelines`, { method: 'PUT' })
      configDir = mkdtempSync(join(tmpdir(), 'strata-kfp-'))
      project = createProject()
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
          path: 's3://pipelines/strata',
          endpoint: moto.server!.url,
          region: 'us-east-1',
          forcePathStyle: true,
          accessKeyId: '{{aws.access_key_id}}',
          secretAccessKey: '{{aws.secret_access_key}}',
        })
        const orchestrator = await register('orchestrator', 'kubeflow', 'kubeflow', {
          kubeflowHostname: kfp.url,
          kubeconfig,
          kubernetesContext: 'kubeflow-cluster',
        })
        await workspace.store.stacks.create({
          name: 'kfp',
          components: { orchestrator: orchestrator.id, artifact_store: bucket.id },
        })
        await setActiveStack(workspace, 'kfp', { scope: 'user' })
      } finally {
        await workspace.close()
      }
    }, 300_000)

    afterAll(async () => {
      await backend?.stop()
      await kfp?.stop()
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
    const load = async <T>(file: string): Promise<T> =>
      (await import(pathToFileURL(join(project, file)).href)) as T

    it("runs the quickstart's training pipeline as a KFP run, then finds the whole run cached and submits nothing", async () => {
      const { training } = await load<{ training: Pipeline }>('pipelines.ts')
      const lines: string[] = []
      const first = await withEnvironment((environment) =>
        training.run({ environment, settings, output: (line) => lines.push(line) }),
      )
      expect({ status: first.status, error: first.error }).toEqual({ status: 'completed', error: undefined })
      expect(first.steps).toEqual({
        load_data: 'completed',
        split_data: 'completed',
        train_model: 'completed',
        evaluate_model: 'completed',
      })
      // The steps' logs come through their journals, as on every orchestrator.
      expect(lines).toContain('[load_data] generated 1000 customers (seed 7)')
      const submitted = lines.find((line) => line.startsWith('kubeflow: run submitted as KFP run'))
      const [held] = await kfp.runs()
      expect(submitted).toBe(
        `kubeflow: run submitted as KFP run ${held?.run.run_id} in experiment 'training' — ${kfp.url}/#/runs/details/${held?.run.run_id}`,
      )
      // What the stand-in backend ran: strata-start, then each step's container, one pod each.
      const result = backend.results.get(held!.run.run_id)!
      expect(
        Object.fromEntries(
          Object.entries(result.tasks).map(([key, task]) => [key, [task.state, task.attempts]]),
        ),
      ).toEqual({
        'strata-start': ['SUCCEEDED', 1],
        'load-data': ['SUCCEEDED', 1],
        'split-data': ['SUCCEEDED', 1],
        'train-model': ['SUCCEEDED', 1],
        'evaluate-model': ['SUCCEEDED', 1],
      })
      const client = await Client.open({ configDir, projectRoot: project })
      try {
        const run = await client.getRun(first.id)
        expect(run.status).toBe('completed')
        const record = await withEnvironment((environment) => environment.repositories.runs.find(first.id))
        expect(record?.remote?.handle).toMatchObject({
          kfpRunId: held!.run.run_id,
          url: `${kfp.url}/#/runs/details/${held!.run.run_id}`,
          namespace,
        })
      } finally {
        await client.close()
      }
      // The run's Secret and runtime ConfigMaps went with the run.
      const left = [
        ...(
          await core.listNamespacedSecret({ namespace, labelSelector: 'app.kubernetes.io/managed-by=strata' })
        ).items,
        ...(
          await core.listNamespacedConfigMap({
            namespace,
            labelSelector: 'app.kubernetes.io/managed-by=strata',
          })
        ).items,
      ]
      expect(left).toEqual([])

      const second = await withEnvironment((environment) =>
        training.run({ environment, settings, output: (line) => lines.push(line) }),
      )
      expect(second.status).toBe('completed')
      expect(second.steps).toEqual({
        load_data: 'cached',
        split_data: 'cached',
        train_model: 'cached',
        evaluate_model: 'cached',
      })
      expect(await kfp.runs()).toHaveLength(1)
    })

    it('leaves the run to Kubeflow when not synchronous; runs sync follows it to its end', async () => {
      const { small } = await load<{ small: Pipeline }>('small.ts')
      const detached = await withEnvironment((environment) =>
        small.run({
          environment,
          settings: { 'orchestrator.kubeflow': { synchronous: false } },
          output: false,
        }),
      )
      expect(detached.status).toBe('running')
      const client = await Client.open({ configDir, projectRoot: project })
      try {
        await client.syncRun(detached.id, { follow: true, intervalMs: 300 })
        const run = await client.getRun(detached.id)
        expect(run.status).toBe('completed')
        expect(run.steps.map((step) => [step.name, step.status])).toEqual([
          ['produce', 'completed'],
          ['total', 'completed'],
        ])
      } finally {
        await client.close()
      }
    })

    it("uses a failing step's retries through the task's retryPolicy, fails the run and skips what depends on it", async () => {
      const { failing } = await load<{ failing: Pipeline }>('small.ts')
      const lines: string[] = []
      const run = await withEnvironment((environment) =>
        failing.run({ environment, settings, output: (line) => lines.push(line) }),
      )
      expect(run.status).toBe('failed')
      expect(run.steps).toEqual({ flaky: 'failed', after: 'skipped' })
      expect(lines.filter((line) => line.startsWith('step flaky: retrying'))).toHaveLength(2)
      const kfpRun = (await kfp.runs()).find((held) => held.run.display_name === run.name)!
      expect(backend.results.get(kfpRun.run.run_id)?.tasks).toMatchObject({
        flaky: { state: 'FAILED', attempts: 3 },
        after: { state: 'SKIPPED', attempts: 0 },
      })
      const client = await Client.open({ configDir, projectRoot: project })
      try {
        const flaky = (await client.getRun(run.id)).steps.find((step) => step.name === 'flaky')
        expect(flaky).toMatchObject({ status: 'failed', attempts: 3, error: 'attempt 3 failed' })
      } finally {
        await client.close()
      }
    })

    it('fails a run whose pod cannot start with what KFP says, and the run’s page', async () => {
      const { small } = await load<{ small: Pipeline }>('small.ts')
      const run = await withEnvironment((environment) =>
        small.run({
          environment,
          settings,
          steps: {
            total: { settings: { 'orchestrator.kubeflow': { image: 'registry.invalid/no-such:1' } } },
          },
          output: false,
        }),
      )
      expect(run.status).toBe('failed')
      expect(run.steps).toEqual({ produce: 'completed', total: 'not_started' })
      expect(run.error).toMatch(
        /^the KFP run \S+ failed: task total: pod \S+ cannot start: ErrImagePull .*registry\.invalid\/no-such:1.* — see its pods in the KFP UI: http:\/\/127\.0\.0\.1:\d+\/#\/runs\/details\/\S+$/,
      )
    })

    it('runs on a schedule: a recurring run whose ticks start fresh runs that runs sync records; schedule delete removes it', async () => {
      const { small } = await load<{ small: Pipeline }>('small.ts')
      const scheduled = await withEnvironment((environment) =>
        small.run({
          environment,
          settings,
          schedule: { cron: '30 2 * * 1-5', name: 'weekdays' },
          output: false,
        }),
      )
      expect(scheduled).toMatchObject({ status: 'scheduled', name: 'weekdays' })
      const [recurring] = (await kfp.recurringRuns()) as Array<{
        recurring_run_id: string
        trigger: unknown
        mode: string
      }>
      expect(recurring).toMatchObject({
        trigger: { cron_schedule: { cron: '0 30 2 * * 1-5' } },
        mode: 'ENABLE',
      })
      const tick = await kfp.triggerRecurringRun(recurring!.recurring_run_id)
      await eventually('the tick ran', () => backend.results.get(tick)?.state, { timeoutMs: 180_000 })
      expect(backend.results.get(tick)?.state).toBe('SUCCEEDED')
      const client = await Client.open({ configDir, projectRoot: project })
      try {
        const { discovered } = await client.syncRuns()
        expect(discovered).toHaveLength(1)
        const run = await client.getRun(discovered[0]!)
        expect(run).toMatchObject({ status: 'completed', pipelineName: 'small', scheduleId: scheduled.id })
        expect(await client.listSchedules()).toMatchObject([
          { name: 'weekdays', cron: '30 2 * * 1-5', active: true },
        ])
        await client.deleteSchedule('weekdays')
        expect(await kfp.recurringRuns()).toEqual([])
        const left = await core.listNamespacedConfigMap({
          namespace,
          labelSelector: `strata.dev/schedule=${scheduled.id}`,
        })
        expect(left.items).toEqual([])
      } finally {
        await client.close()
      }
    })

    it('terminates a run on runs stop', async () => {
      const { training } = await load<{ training: Pipeline }>('pipelines.ts')
      const run = await withEnvironment((environment) =>
        training.run({
          environment,
          params: { epochs: 50_000 },
          settings: { 'orchestrator.kubeflow': { synchronous: false } },
          output: false,
        }),
      )
      const kfpRunId = async () => {
        const record = await withEnvironment((environment) => environment.repositories.runs.find(run.id))
        return (record?.remote?.handle as { kfpRunId?: string } | undefined)?.kfpRunId
      }
      const id = (await kfpRunId())!
      const podsOf = async (selector: string) =>
        (await core.listNamespacedPod({ namespace, labelSelector: `strata.test/kfp-run=${id}${selector}` }))
          .items
      await eventually(
        'train_model runs',
        async () => (await podsOf(',strata.test/kfp-task=train-model')).length > 0,
        {
          timeoutMs: 180_000,
        },
      )
      const client = await Client.open({ configDir, projectRoot: project })
      try {
        await client.stopRun(run.id, { force: true })
        expect((await client.getRun(run.id)).status).toBe('stopped')
      } finally {
        await client.close()
      }
      await eventually(
        'the KFP run is cancelled and its pods are gone',
        async () =>
          (await kfp.runs()).find((held) => held.run.run_id === id)?.run.state === 'CANCELED' &&
          (await podsOf('')).every(
            (pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed',
          ),
        { timeoutMs: 120_000 },
      )
      expect(backend.results.get(id)?.tasks['evaluate-model']?.state).toBe('CANCELED')
      const left = await core.listNamespacedSecret({
        namespace,
        labelSelector: `strata.dev/run-id=${run.id}`,
      })
      expect(left.items).toEqual([])
    })

    it("without a hostname, goes to the ml-pipeline service through the API server's proxy, with the kubeconfig's credentials", async () => {
      // As far as the plane goes: the API server proxies only to pod endpoints, and the plane's pods share
      // the host's loopback address, to which it does not proxy. So the service answers "no endpoints":
      // the path, the TLS and the credentials were right (a wrong path is a 404, wrong credentials a 401).
      const api = KubernetesObjectApi.makeApiClient(plane.kubeConfig())
      await api.create({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'ml-pipeline', namespace },
        spec: { ports: [{ name: 'http', port: 8888, targetPort: 8888 }] },
      } as never)
      // An address that is no pod's: the API server proxies only to pods.
      await api.create({
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'ml-pipeline', namespace },
        subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ name: 'http', port: 8888 }] }],
      } as never)
      await api.create({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'ml-pipeline-0',
          namespace,
          labels: { 'kubernetes.io/service-name': 'ml-pipeline' },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['192.0.2.10'] }],
        ports: [{ name: 'http', port: 8888, protocol: 'TCP' }],
      } as never)
      const kubeconfig = await plane.writeKubeconfig(join(plane.stateDir, 'admin.kubeconfig'), {
        context: 'admin',
      })
      const { KubeflowOrchestrator } = await import('./kubeflow-orchestrator.js')
      const orchestrator = new KubeflowOrchestrator(
        kubeflowOrchestratorConfig.parse({
          kubeconfig,
          kubernetesContext: 'admin',
          kubeflowNamespace: namespace,
        }),
      )
      // The API server's proxy finds the Service through its informers: a moment after it was created.
      const failure = await eventually('the proxy knows the service', async () => {
        const error = await orchestrator.verify().then(
          () => undefined,
          (caught: Error) => caught,
        )
        return error && !/not found/.test(error.message) ? error : undefined
      })
      expect(() => {
        throw failure
      }).toThrow(
        /check the KFP API: the KFP API at https:\/\/127\.0\.0\.1:\d+ answered HTTP 503: no endpoints available for service "ml-pipeline:http"/,
      )
    })

    it('checks for stack validate that the API answers and the identity may make a run’s objects, naming what is missing', async () => {
      const { KubeflowOrchestrator } = await import('./kubeflow-orchestrator.js')
      const orchestrator = (context: string, kubeconfig: string) =>
        new KubeflowOrchestrator(
          kubeflowOrchestratorConfig.parse({
            kubeflowHostname: kfp.url,
            kubeconfig,
            kubernetesContext: context,
          }),
        )
      const allowed = await plane.kubeconfigFor('strata-user', namespace, { context: 'allowed' })
      await orchestrator('allowed', allowed).verify()
      await KubernetesObjectApi.makeApiClient(plane.kubeConfig()).create({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'nobody', namespace },
      } as never)
      const nobody = await plane.kubeconfigFor('nobody', namespace, { context: 'nobody' })
      await expect(orchestrator('nobody', nobody).verify()).rejects.toThrow(
        "the identity of context 'nobody' may not create secrets, delete secrets, create configmaps, delete configmaps, list configmaps in namespace 'kubeflow' — bind it to the strata-kubeflow-client Role of node_modules/@strata/kubeflow/manifests/rbac.yaml there",
      )
    })

    it('exports a pipeline for upload by hand: a template, its Secret and runtime in the cluster, the YAML the kfp SDK accepts', async () => {
      const { small } = await load<{ small: Pipeline }>('small.ts')
      const scheduleId = '5f1e0c4a-8c1b-4b7e-9d2a-0e6a2b9c1d3f'
      const template = `s3://pipelines/strata/schedules/${scheduleId}`
      const { KubeflowOrchestrator } = await import('./kubeflow-orchestrator.js')
      const kubeconfig = await plane.kubeconfigFor('strata-user', namespace, { context: 'export' })
      const orchestrator = new KubeflowOrchestrator(
        kubeflowOrchestratorConfig.parse({
          kubeflowHostname: kfp.url,
          kubeconfig,
          kubernetesContext: 'export',
        }),
      )
      const exported = await orchestrator.exportPipeline(snapshotOf(small), {
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        scheduleId,
        name: 'small-export',
        cron: '',
        stage: async () => ({
          runUri: template,
          env: { STRATA_EXAMPLE: CANARY },
          runtime: async () => ({
            digest: 'd',
            bootstrap: '// bootstrap',
            chunks: [new Uint8Array([1, 2, 3])],
          }),
          stepArgs: (stepId) => [
            'step',
            'run',
            '--run',
            `${template}-run`,
            '--step',
            stepId,
            '--one-attempt',
          ],
          driverArgs: () => [],
        }),
      })
      expect((await judgeKfpPipeline(exported.yaml)).problems).toEqual([])
      expect(
        exported.pipeline.pipelineSpec.deploymentSpec.executors['exec-strata-start']?.container.args,
      ).toEqual([
        'start',
        '--template',
        template,
        '--handle',
        `{"kfpRunId":"{{$.pipeline_job_uuid}}","url":"${kfp.url}/#/runs/details/{{$.pipeline_job_uuid}}"}`,
        '--output',
        "{{$.outputs.parameters['run_uri'].output_file}}",
      ])
      expect(exported.namespace).toBe(namespace)
      const secret = await core.readNamespacedSecret({ namespace, name: exported.objects[0]! })
      expect(secret.metadata?.labels?.['strata.dev/schedule']).toBe(scheduleId)
      expect(exported.yaml).not.toContain(CANARY)
      await core.deleteNamespacedSecret({ namespace, name: exported.objects[0]! })
      for (const name of exported.objects.slice(1)) await core.deleteNamespacedConfigMap({ namespace, name })
    })

    it('exports through the SDK (strata pipeline export): recorded, listed, and removed with schedule delete', async () => {
      const { small } = await load<{ small: Pipeline }>('small.ts')
      const environment = await openRunEnvironment({ configDir, projectRoot: project })
      let exported: ExportedPipeline
      try {
        exported = await exportPipelineDefinition(small.definition, {
          environment,
          format: 'kfp',
          name: 'small-by-hand',
          output: false,
        })
      } finally {
        await environment.close()
      }
      expect((await judgeKfpPipeline(exported.content)).problems).toEqual([])
      const selector = { namespace, labelSelector: `strata.dev/schedule=${exported.id}` }
      expect((await core.listNamespacedSecret(selector)).items).toHaveLength(1)
      const client = await Client.open({ configDir, projectRoot: project })
      try {
        const listed = (await client.listSchedules()).find((schedule) => schedule.name === 'small-by-hand')
        expect(listed).toMatchObject({ cron: null, pipelineName: 'small' })
        await client.deleteSchedule('small-by-hand')
        expect((await client.listSchedules()).map((schedule) => schedule.name)).not.toContain('small-by-hand')
      } finally {
        await client.close()
      }
      expect((await core.listNamespacedSecret(selector)).items).toEqual([])
      expect((await core.listNamespacedConfigMap(selector)).items).toEqual([])
    })

    it('shows the secret in no pod, ConfigMap, event or request the KFP API received', async () => {
      const everything = JSON.stringify([
        await core.listNamespacedPod({ namespace }),
        await core.listNamespacedConfigMap({ namespace }),
        await core.listNamespacedEvent({ namespace }),
        await kfp.runs(),
      ])
      expect(everything).not.toContain(CANARY)
      expect(everything).toContain('secretAsEnv')
    })
  },
)
