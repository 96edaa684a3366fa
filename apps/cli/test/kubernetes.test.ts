// The quickstart's training pipeline on Kubernetes, through the built `strata` binary, as a user would:
// a real control plane (@strata/testing/kubernetes), the S3 store on moto, an identity bound only to the
// documented Role, settings spelled ZenML's way in a run configuration, a schedule.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node'
import {
  type KubernetesTestPlane,
  kubernetesTestPlaneUnavailable,
  startKubernetesTestPlane,
} from '@strata/testing/kubernetes'
import { MOTO_CREDENTIALS, startMoto } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyRbac } from '../../../plugins/kubernetes/src/kubernetes-project.test-helpers.js'
import { createSandbox, link, ok, type Result, type Sandbox } from './helpers.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const CANARY = 'canary-cli-k8s-8e3f2a91'
const namespace = 'strata'

const planeSkip = kubernetesTestPlaneUnavailable()
const moto = planeSkip ? { skip: planeSkip } : await startMoto()
const skip = planeSkip ?? moto.skip

describe.skipIf(skip)('strata on a Kubernetes stack', { timeout: 300_000 }, () => {
  let plane: KubernetesTestPlane
  let sandbox: Sandbox
  let batch: BatchV1Api
  const outputs: Result[] = []
  const strata = async (args: string[]): Promise<Result> => {
    const result = await ok(sandbox, args)
    outputs.push(result)
    return result
  }

  beforeAll(async () => {
    const started = await startKubernetesTestPlane()
    if (!started.plane) throw new Error(started.skip)
    plane = started.plane
    batch = plane.kubeConfig().makeApiClient(BatchV1Api)
    await plane.createNamespace(namespace)
    await applyRbac(plane, namespace, 'strata-user')
    await fetch(`${moto.server!.url}/quickstart`, { method: 'PUT' })

    sandbox = createSandbox({ plugins: ['s3', 'kubernetes'] })
    link(join(repo, 'packages/sdk'), join(sandbox.project, 'node_modules/@strata/sdk'))
    mkdirSync(join(sandbox.project, 'src'))
    for (const file of ['pipelines.ts', 'data.ts', 'logistic-regression.ts'])
      copyFileSync(join(repo, 'apps/quickstart/src', file), join(sandbox.project, 'src', file))
    const settings = `settings:
  orchestrator.kubernetes:
    service_account_name: strata-orchestrator
    step_pod_service_account_name: strata-step
    job_monitoring_interval: 0.5
    pod_settings:
      labels:
        team_name: ml
`
    writeFileSync(join(sandbox.project, 'run.yaml'), settings)
    writeFileSync(
      join(sandbox.project, 'nightly.yaml'),
      `${settings}schedule:\n  cron: '0 6 * * *'\n  timeZone: Europe/Berlin\n  name: nightly\n`,
    )
    const kubeconfig = await plane.kubeconfigFor('strata-user', namespace, { context: 'user' })
    const nobody = join(plane.stateDir, 'nobody.kubeconfig')
    await plane.writeKubeconfig(nobody, { context: 'admin' })

    await strata(['secret', 'create', 'aws', `--access_key_id=${MOTO_CREDENTIALS.accessKeyId}`])
    await strata(['secret', 'update', 'aws', `--secret_access_key=${CANARY}`])
    await strata([
      'artifact-store',
      'register',
      'bucket',
      '--flavor',
      's3',
      '--path',
      's3://quickstart/strata',
      '--endpoint',
      moto.server!.url,
      '--region',
      'us-east-1',
      '--force-path-style',
      'true',
      '--access-key-id',
      '{{aws.access_key_id}}',
      '--secret-access-key',
      '{{aws.secret_access_key}}',
    ])
    await strata([
      'orchestrator',
      'register',
      'cluster',
      '--flavor',
      'kubernetes',
      `--kubeconfig=${kubeconfig}`,
      '--kubernetes_namespace',
      namespace,
    ])
    await strata(['stack', 'register', 'k8s', '-o', 'cluster', '-a', 'bucket', '--set'])
  }, 300_000)

  afterAll(async () => {
    await plane?.stop()
    await moto.server?.stop()
    sandbox?.cleanup()
  })

  const jobs = async () => (await batch.listNamespacedJob({ namespace })).items

  it('validates the stack: the cluster answers and the identity may do what a run needs', async () => {
    const result = await strata(['stack', 'validate'])
    expect(result.stderr).toContain("✔ orchestrator 'cluster': reachable")
    expect(result.stderr).toContain("✔ artifact store 'bucket': reachable")
  })

  it('runs the quickstart’s training pipeline as Jobs, then finds its second run cached without a Job', async () => {
    const first = await strata([
      'pipeline',
      'run',
      'src/pipelines.ts',
      '--name',
      'training',
      '--config',
      'run.yaml',
      '--plain',
    ])
    expect(first.stdout).toMatch(
      /kubernetes: run submitted as Job training-[0-9a-f]{8}-orchestrator in namespace strata/,
    )
    expect(first.stdout).toContain('step train_model: completed')
    expect(first.stdout).toMatch(/\[train_model\] trained on \d+ rows/)
    expect(first.stdout).toMatch(/run training-\S+: completed/)
    const created = await jobs()
    expect(created).toHaveLength(5)
    const runName = /run (training-\S+): completed/.exec(first.stdout)?.[1] ?? ''
    const described = await strata(['pipeline', 'runs', 'describe', runName])
    expect(described.stdout).toMatch(
      /^Owner\s+orchestrator 'cluster' \(namespace strata, Job training-[0-9a-f]{8}-orchestrator\)$/m,
    )
    // The step pods carry the run config's labels (ZenML's spelling in YAML).
    expect(created.filter((job) => job.spec?.template.metadata?.labels?.team_name === 'ml')).toHaveLength(4)

    const second = await strata([
      'pipeline',
      'run',
      'src/pipelines.ts',
      '--name',
      'training',
      '--config',
      'run.yaml',
      '--plain',
    ])
    expect(second.stdout).toContain('all 4 steps cached — the orchestrator was not called')
    expect(await jobs()).toHaveLength(5)
    const runs = JSON.parse((await strata(['pipeline', 'runs', 'list', '--output', 'json'])).stdout)
    expect(runs.items.map((run: { status: string }) => run.status)).toEqual(['completed', 'completed'])
    const model = JSON.parse((await strata(['model', 'version', 'list', 'churn', '--output', 'json'])).stdout)
    expect(model.items).toHaveLength(2)
  })

  it('creates a schedule as a CronJob, lists it, and deletes it', async () => {
    // The inference pipeline serves the production version, resolved when the schedule is created.
    await strata(['model', 'version', 'update', 'churn', '1', '--stage', 'production'])
    const created = await strata([
      'pipeline',
      'run',
      'src/pipelines.ts',
      '--name',
      'inference',
      '--config',
      'nightly.yaml',
    ])
    expect(created.stdout).toContain(
      "schedule nightly: pipeline 'inference' runs on '0 6 * * *' (Europe/Berlin)",
    )
    const [cron] = (await batch.listNamespacedCronJob({ namespace })).items
    expect(cron?.spec?.schedule).toBe('0 6 * * *')
    const list = await strata(['pipeline', 'schedule', 'list'])
    expect(list.stdout).toMatch(/^nightly\s+inference\s+0 6 \* \* \*\s+Europe\/Berlin\s+k8s\s+yes/m)
    await strata(['pipeline', 'schedule', 'delete', 'nightly'])
    expect((await batch.listNamespacedCronJob({ namespace })).items).toEqual([])
    expect((await strata(['pipeline', 'schedule', 'list'])).stderr).toContain('No schedules')
  })

  it('refuses a stack whose identity lacks the Role, naming what is missing', async () => {
    const core = plane.kubeConfig().makeApiClient(CoreV1Api)
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'nobody' } } })
    const kubeconfig = await plane.kubeconfigFor('nobody', namespace, { context: 'nobody' })
    await strata([
      'orchestrator',
      'register',
      'bare',
      '--flavor',
      'kubernetes',
      `--kubeconfig=${kubeconfig}`,
      `--kubernetes-namespace=${namespace}`,
    ])
    await strata(['stack', 'register', 'bare', '-o', 'bare', '-a', 'bucket'])
    const result = await sandbox.strata(['stack', 'validate', 'bare'])
    outputs.push(result)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /the identity of context 'nobody' may not create secrets, patch secrets, .* in namespace 'strata' — bind it to the strata-client Role of node_modules\/@strata\/kubernetes\/manifests\/rbac\.yaml/,
    )
  })

  it('shows the secret nowhere: not in any output, Job, Pod, ConfigMap or event', async () => {
    for (const result of outputs) expect(`${result.stdout}${result.stderr}`).not.toContain(CANARY)
    const core = plane.kubeConfig().makeApiClient(CoreV1Api)
    const everything = JSON.stringify([
      await batch.listNamespacedJob({ namespace }),
      await core.listNamespacedPod({ namespace }),
      await core.listNamespacedConfigMap({ namespace }),
      await core.listNamespacedEvent({ namespace }),
    ])
    expect(everything).not.toContain(CANARY)
    expect(
      (await core.listNamespacedSecret({ namespace, labelSelector: 'app.kubernetes.io/managed-by=strata' }))
        .items,
    ).toEqual([])
  })
})
