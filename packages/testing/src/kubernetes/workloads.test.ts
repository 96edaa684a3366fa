import { readFileSync } from 'node:fs'
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  type V1Job,
  type V1JobSpec,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from './eventually.js'
import {
  type KubernetesTestPlane,
  kubernetesTestPlaneUnavailable,
  startKubernetesTestPlane,
} from './index.js'

const skip = kubernetesTestPlaneUnavailable()
let plane: KubernetesTestPlane | undefined
let core: CoreV1Api
let batch: BatchV1Api

// One plane for the file; each test has its own namespace and they run concurrently, so the one real
// cron tick (up to a minute away) overlaps the rest.
beforeAll(async () => {
  if (skip) return
  ;({ plane } = await startKubernetesTestPlane())
  core = plane!.kubeConfig().makeApiClient(CoreV1Api)
  batch = plane!.kubeConfig().makeApiClient(BatchV1Api)
}, 240_000)
afterAll(() => plane?.stop())

function template(script: string, restartPolicy = 'Never'): V1PodTemplateSpec {
  return {
    spec: {
      restartPolicy,
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'main', image: 'node:24-slim', command: ['node', '-e', script] }],
    },
  }
}

function createJob(
  namespace: string,
  name: string,
  spec: Partial<V1JobSpec> & { template: V1PodTemplateSpec },
) {
  return batch.createNamespacedJob({ namespace, body: { metadata: { name }, spec } })
}

function explain(namespace: string) {
  return async () => {
    const jobs = await batch.listNamespacedJob({ namespace }).catch(() => ({ items: [] }))
    const pods = await core.listNamespacedPod({ namespace }).catch(() => ({ items: [] }))
    return [
      ...jobs.items.map((job) => `job ${job.metadata?.name}: ${JSON.stringify(job.status)}`),
      ...pods.items.map(
        (pod) =>
          `pod ${pod.metadata?.name}: ${pod.status?.phase} ${JSON.stringify(pod.status?.containerStatuses?.[0]?.state)}`,
      ),
      `agent:\n${plane!.output('node-agent').slice(-2000)}`,
      `controller manager:\n${plane!.output('kube-controller-manager').slice(-2000)}`,
    ].join('\n')
  }
}

/** Waits for the Job's Complete or Failed condition, as the Job controller sets it. */
function finished(namespace: string, name: string, timeoutMs?: number): Promise<V1Job> {
  return eventually(
    `job ${namespace}/${name} finished`,
    async () => {
      const job = await batch.readNamespacedJob({ namespace, name })
      const done = job.status?.conditions?.some(
        (condition) =>
          (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True',
      )
      return done ? job : undefined
    },
    { explain: explain(namespace), ...(timeoutMs ? { timeoutMs } : {}) },
  )
}

const condition = (job: V1Job, type: string) => job.status?.conditions?.find((each) => each.type === type)

async function jobPods(namespace: string, job: string) {
  return (await core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${job}` }))
    .items
}

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

describe.skipIf(skip).concurrent('workloads on the test plane', { timeout: 180_000 }, () => {
  it('completes a Job', async () => {
    const namespace = await plane!.createNamespace('job-ok')
    await createJob(namespace, 'ok', { backoffLimit: 0, template: template('console.log("done")') })
    const job = await finished(namespace, 'ok')
    expect(condition(job, 'Complete')?.status).toBe('True')
    expect(job.status?.succeeded).toBe(1)
    const [pod] = await jobPods(namespace, 'ok')
    expect(pod?.status?.phase).toBe('Succeeded')
    expect(await plane!.agent.logs(namespace, pod!.metadata!.name!)).toBe('done\n')
  })

  it('retries a failing Job up to backoffLimit, then fails it with BackoffLimitExceeded', async () => {
    const namespace = await plane!.createNamespace('job-backoff')
    await createJob(namespace, 'flaky', { backoffLimit: 1, template: template('process.exit(2)') })
    const job = await finished(namespace, 'flaky')
    expect(condition(job, 'Failed')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded' })
    expect(job.status?.failed).toBe(2)
    const pods = await jobPods(namespace, 'flaky')
    expect(pods.map((pod) => pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode)).toEqual([2, 2])
  })

  it('fails a Job at once through its podFailurePolicy (restartPolicy Never)', async () => {
    const namespace = await plane!.createNamespace('job-policy')
    await createJob(namespace, 'fatal', {
      backoffLimit: 6,
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: template('process.exit(42)'),
    })
    const job = await finished(namespace, 'fatal')
    expect(condition(job, 'Failed')).toMatchObject({ status: 'True', reason: 'PodFailurePolicy' })
    expect(condition(job, 'Failed')?.message).toContain('exit code 42')
    expect(await jobPods(namespace, 'fatal')).toHaveLength(1)
  })

  it("kills a Job's process when its activeDeadlineSeconds passes", async () => {
    const namespace = await plane!.createNamespace('job-deadline')
    await createJob(namespace, 'slow', {
      activeDeadlineSeconds: 3,
      backoffLimit: 0,
      template: template('console.log("started"); setInterval(() => {}, 1000)'),
    })
    const running = await eventually('the job is running', async () =>
      (await plane!.agent.list()).find((each) => each.namespace === namespace),
    )
    expect(isRunning(running.pid)).toBe(true)
    const job = await finished(namespace, 'slow')
    expect(condition(job, 'Failed')).toMatchObject({ status: 'True', reason: 'DeadlineExceeded' })
    await eventually('the process is gone', () => !isRunning(running.pid), { explain: explain(namespace) })
    await eventually('no container of the job runs', async () =>
      (await plane!.agent.list()).every((each) => each.namespace !== namespace),
    )
  })

  it("runs a Job made from a CronJob's template (kubectl create job --from=cronjob/...)", async () => {
    const namespace = await plane!.createNamespace('cron-manual')
    const cronJob = await batch.createNamespacedCronJob({
      namespace,
      body: {
        metadata: { name: 'nightly' },
        spec: {
          schedule: '0 3 * * *',
          suspend: true,
          jobTemplate: { spec: { backoffLimit: 0, template: template('console.log("nightly")') } },
        },
      },
    })
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: {
          name: 'nightly-manual',
          annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'CronJob',
              name: 'nightly',
              uid: cronJob.metadata!.uid!,
              controller: true,
            },
          ],
        },
        spec: cronJob.spec!.jobTemplate.spec!,
      },
    })
    expect(condition(await finished(namespace, 'nightly-manual'), 'Complete')?.status).toBe('True')
    // Owned by the CronJob: deleting it (background propagation) takes the Job with it.
    await batch.deleteNamespacedCronJob({ namespace, name: 'nightly', propagationPolicy: 'Background' })
    await eventually(
      'the garbage collector deletes the Job',
      async () => {
        try {
          await batch.readNamespacedJob({ namespace, name: 'nightly-manual' })
          return false
        } catch (error) {
          return error instanceof ApiException && error.code === 404
        }
      },
      { explain: explain(namespace) },
    )
  })

  it('starts a Job on a real cron tick', async () => {
    const namespace = await plane!.createNamespace('cron-tick')
    await batch.createNamespacedCronJob({
      namespace,
      body: {
        metadata: { name: 'every-minute' },
        spec: {
          schedule: '* * * * *',
          jobTemplate: { spec: { backoffLimit: 0, template: template('console.log("tick")') } },
        },
      },
    })
    // The next tick is at the next minute boundary; the backstop adds a minute for a loaded machine.
    const untilTick = 60_000 - (Date.now() % 60_000)
    const job = await eventually(
      'a Job of the CronJob completes',
      async () => {
        const jobs = await batch.listNamespacedJob({ namespace })
        return jobs.items.find((each) => condition(each, 'Complete')?.status === 'True')
      },
      { timeoutMs: untilTick + 60_000, intervalMs: 500, explain: explain(namespace) },
    )
    expect(job.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'every-minute' })
    const cron = await batch.readNamespacedCronJob({ namespace, name: 'every-minute' })
    expect(cron.status?.lastScheduleTime).toBeDefined()
  })

  it('garbage-collects a finished Job with ttlSecondsAfterFinished, pods included', async () => {
    const namespace = await plane!.createNamespace('job-ttl')
    await createJob(namespace, 'short-lived', {
      ttlSecondsAfterFinished: 0,
      template: template('console.log("bye")'),
    })
    await eventually('a pod of the job succeeded', async () =>
      (await jobPods(namespace, 'short-lived')).some((pod) => pod.status?.phase === 'Succeeded'),
    )
    await eventually(
      'the Job and its pods are gone',
      async () => {
        const jobs = await batch.listNamespacedJob({ namespace })
        const pods = await core.listNamespacedPod({ namespace })
        return jobs.items.length === 0 && pods.items.length === 0
      },
      { explain: explain(namespace) },
    )
  })

  it('deletes a namespace with a running pod in it', async () => {
    const namespace = await plane!.createNamespace('doomed')
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'runner' },
        spec: {
          containers: [
            { name: 'main', image: 'node:24-slim', command: ['node', '-e', 'setInterval(() => {}, 1000)'] },
          ],
        },
      },
    })
    const running = await eventually('the pod runs', async () =>
      (await plane!.agent.list()).find((each) => each.namespace === namespace),
    )
    await core.deleteNamespace({ name: namespace })
    await eventually(
      'the namespace is gone',
      async () => {
        try {
          await core.readNamespace({ name: namespace })
          return false
        } catch (error) {
          return error instanceof ApiException && error.code === 404
        }
      },
      { explain: explain(namespace) },
    )
    expect(isRunning(running.pid)).toBe(false)
  })
})
