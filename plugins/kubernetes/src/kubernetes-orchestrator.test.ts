import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BatchV1Api } from '@kubernetes/client-node'
import type { Pipeline } from '@strata/sdk'
import {
  discoverWorkspaceFlavors,
  openRunEnvironment,
  openWorkspace,
  prepareComponent,
  setActiveStack,
} from '@strata/sdk/internal'
import {
  type KubernetesTestPlane,
  kubernetesTestPlaneUnavailable,
  startKubernetesTestPlane,
} from '@strata/testing/kubernetes'
import { MOTO_CREDENTIALS, startMoto } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyRbac, createProject } from './kubernetes-project.test-helpers.js'

const PIPELINE = `import { input, pipeline, step } from '@strata/sdk'
export const produce = step({ name: 'produce' }, async (_inputs, ctx) => {
  ctx.logger.info('producing in a pod')
  return [1, 2, 3]
})
export const double = step({ name: 'double', inputs: { values: input<number[]>() } }, async ({ values }) =>
  values.map((value) => value * 2),
)
export const total = step({ name: 'total', inputs: { values: input<number[]>() } }, async ({ values }) =>
  values.reduce((sum, value) => sum + value, 0),
)
export const flow = pipeline({ name: 'flow' }, () => {
  total({ values: double({ values: produce() }) })
})
`

const planeSkip = kubernetesTestPlaneUnavailable()
const moto = planeSkip ? { skip: planeSkip } : await startMoto()
const skip = planeSkip ?? moto.skip

describe.skipIf(skip)('the kubernetes orchestrator on a real control plane', { timeout: 300_000 }, () => {
  let plane: KubernetesTestPlane
  let configDir: string
  let project: string
  let flow: Pipeline
  const namespace = 'strata'

  beforeAll(async () => {
    const started = await startKubernetesTestPlane()
    if (!started.plane) throw new Error(started.skip)
    plane = started.plane
    await plane.createNamespace(namespace)
    await applyRbac(plane, namespace)
    const kubeconfig = await plane.writeKubeconfig(join(plane.stateDir, 'user.kubeconfig'), {
      context: 'test-plane',
    })
    const server = moto.server!
    await fetch(`${server.url}/flows`, { method: 'PUT' })
    configDir = mkdtempSync(join(tmpdir(), 'strata-k8s-'))
    project = createProject('k8s-project', { 'pipeline.ts': PIPELINE })
    const workspace = openWorkspace({ configDir, cwd: project })
    try {
      await workspace.store.secrets.create('aws', {
        access_key_id: MOTO_CREDENTIALS.accessKeyId,
        secret_access_key: MOTO_CREDENTIALS.secretAccessKey,
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
        path: 's3://flows/artifacts',
        endpoint: server.url,
        region: 'us-east-1',
        forcePathStyle: true,
        accessKeyId: '{{aws.access_key_id}}',
        secretAccessKey: '{{aws.secret_access_key}}',
      })
      const cluster = await register('orchestrator', 'cluster', 'kubernetes', {
        kubeconfig,
        kubernetesContext: 'test-plane',
        kubernetesNamespace: namespace,
      })
      await workspace.store.stacks.create({
        name: 'k8s',
        components: { orchestrator: cluster.id, artifact_store: bucket.id },
      })
      // The plane is a cluster on this machine whose pods see its filesystem (its node runs them as local
      // processes): local: true with the local artifact store, the folder "mounted" as skipLocalValidations says.
      // A pod's /tmp is its own (as on a kubelet), so the folder is not under /tmp.
      const disk = await register('artifact_store', 'disk', 'local', { path: join(project, 'disk-store') })
      const here = await register('orchestrator', 'here', 'kubernetes', {
        kubeconfig,
        kubernetesContext: 'test-plane',
        kubernetesNamespace: namespace,
        local: true,
        skipLocalValidations: true,
      })
      await workspace.store.stacks.create({
        name: 'k8s-local',
        components: { orchestrator: here.id, artifact_store: disk.id },
      })
      await setActiveStack(workspace, 'k8s', { scope: 'user' })
    } finally {
      await workspace.close()
    }
    const module = (await import(pathToFileURL(join(project, 'pipeline.ts')).href)) as { flow: Pipeline }
    flow = module.flow
  }, 300_000)

  afterAll(async () => {
    await plane?.stop()
    await moto.server?.stop()
    if (project) rmSync(project, { recursive: true, force: true })
    if (configDir) rmSync(configDir, { recursive: true, force: true })
  })

  const settings = {
    'orchestrator.kubernetes': {
      serviceAccountName: 'strata-orchestrator',
      stepPodServiceAccountName: 'strata-step',
      jobMonitoringInterval: 0.5,
    },
  }

  it('runs each step as a Job driven by an orchestrator Job, then finds the whole run cached', async () => {
    const environment = await openRunEnvironment({ configDir, projectRoot: project })
    const lines: string[] = []
    try {
      const first = await flow.run({ environment, settings, output: (line) => lines.push(line) })
      expect({ status: first.status, error: first.error }).toEqual({ status: 'completed', error: undefined })
      expect(first.steps).toEqual({ produce: 'completed', double: 'completed', total: 'completed' })
      expect(lines).toContain('[produce] producing in a pod')
      const stepRuns = await environment.repositories.runs.stepRuns(first.id)
      expect(stepRuns.map((step) => [step.name, step.status])).toEqual([
        ['produce', 'completed'],
        ['double', 'completed'],
        ['total', 'completed'],
      ])
      const batch = plane.kubeConfig().makeApiClient(BatchV1Api)
      const jobs = await batch.listNamespacedJob({ namespace })
      expect(jobs.items.map((job) => job.metadata?.labels?.['strata.dev/role']).sort()).toEqual([
        'orchestrator',
        'step',
        'step',
        'step',
      ])

      const second = await flow.run({ environment, settings, output: (line) => lines.push(line) })
      expect(second.status).toBe('completed')
      expect(second.steps).toEqual({ produce: 'cached', double: 'cached', total: 'cached' })
      expect((await batch.listNamespacedJob({ namespace })).items).toHaveLength(4)
    } finally {
      await environment.close()
    }
  })

  it('runs on a cluster on this machine (local: true) with the local artifact store', async () => {
    const environment = await openRunEnvironment({ configDir, projectRoot: project, stack: 'k8s-local' })
    try {
      const run = await flow.run({ environment, settings, output: false })
      expect({ status: run.status, error: run.error }).toEqual({ status: 'completed', error: undefined })
      expect(run.steps).toEqual({ produce: 'completed', double: 'completed', total: 'completed' })
    } finally {
      await environment.close()
    }
  })
})
