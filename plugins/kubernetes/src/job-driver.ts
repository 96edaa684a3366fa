import { setTimeout as sleep } from 'node:timers/promises'
import {
  executeDag,
  type OrchestratorDriveContext,
  type PipelineSnapshot,
  type StepOutcome,
  type StepRunState,
  StrataError,
} from '@strata/core'
import type { KubeClient } from './kube-client.js'
import { job, type RunIdentity } from './manifests.js'
import { ANNOTATIONS, LABELS, labelValue, runObjectNames } from './names.js'
import { jobEnd, RunMonitor, stuckContainer } from './run-monitor.js'
import { DRIVER_ENV } from './run-objects.js'
import { type RunSettings, runSettings } from './run-settings.js'

function requiredEnv(name: string): string {
  const value = process.env[name]
  if (!value) {
    throw new StrataError(
      'KUBERNETES_DRIVER_ENVIRONMENT',
      `${name} is not set — the orchestrator pod is created by the Kubernetes orchestrator, which sets it`,
    )
  }
  return value
}

/**
 * Drives a run inside the cluster (the orchestrator pod): one Job per step in dependency order, at most
 * `maxParallelism` at once, the run's failure mode honoured; steps record through their journals. A stop
 * asked for on the orchestrator Job (`strata pipeline runs stop`) is honoured: gracefully (start nothing
 * new) or at once. A restarted orchestrator pod resumes: finished steps are not run again, running step
 * Jobs are waited for, not recreated.
 */
export async function driveRun(
  client: KubeClient,
  snapshot: PipelineSnapshot,
  context: OrchestratorDriveContext,
): Promise<void> {
  const settings = runSettings(snapshot)
  const ownJob = requiredEnv(DRIVER_ENV.job)
  const secretName = requiredEnv(DRIVER_ENV.secret)
  const runtimeNames = requiredEnv(DRIVER_ENV.runtime).split(',')
  const intervalMs = settings.pipeline.jobMonitoringInterval * 1000
  const names = runObjectNames(snapshot.runId, settings.pipeline.jobNamePrefix ?? snapshot.pipeline.name)
  const run: RunIdentity = {
    runId: snapshot.runId,
    runName: snapshot.runName,
    pipelineName: snapshot.pipeline.name,
  }
  const monitor = new RunMonitor(
    client,
    `${LABELS.runId}=${labelValue(snapshot.runId)},${LABELS.role}=step`,
    intervalMs,
  )
  await context.recordHandle({ namespace: client.namespace, job: ownJob, runId: snapshot.runId })
  const earlier = await context.earlierOutcomes()
  const done = new Set(context.cached)
  for (const [stepId, outcome] of Object.entries(earlier)) {
    if (outcome.status === 'completed' || outcome.status === 'cached') done.add(stepId)
  }
  if (Object.keys(earlier).length > 0)
    context.logger.info(`resuming: ${Object.keys(earlier).length} steps already ended`)

  const drain = new AbortController()
  const force = new AbortController()
  const watching = watchStopRequest(client, ownJob, intervalMs, drain, force)

  const states = await executeDag({
    nodes: snapshot.steps,
    done,
    concurrency: settings.pipeline.maxParallelism ?? Math.max(1, snapshot.steps.length),
    failureMode: snapshot.failureMode,
    signal: force.signal,
    drain: drain.signal,
    execute: async (stepId, signal) => {
      const before = earlier[stepId]
      if (before) return before
      const cached = await context.prepareStep(stepId)
      if (cached) return cached
      return runStepJob({
        client,
        context,
        snapshot,
        monitor,
        settings,
        run,
        stepId,
        signal,
        secretName,
        runtimeNames,
        name: names.stepJob(stepId),
      })
    },
  })
  watching.stop()
  const steps: Record<string, StepRunState> = { ...states }
  for (const [stepId, outcome] of Object.entries(earlier)) steps[stepId] = outcome.status
  const stopped = drain.signal.aborted || force.signal.aborted
  await context.finish({ steps, ...(stopped ? { stopped } : {}) })
}

interface StepJobOptions {
  client: KubeClient
  context: OrchestratorDriveContext
  snapshot: PipelineSnapshot
  monitor: RunMonitor
  settings: RunSettings
  run: RunIdentity
  stepId: string
  name: string
  signal: AbortSignal
  secretName: string
  runtimeNames: string[]
}

async function runStepJob(options: StepJobOptions): Promise<StepOutcome> {
  const { client, context, monitor, stepId, name } = options
  const settings = options.settings.step(stepId)
  const step = options.snapshot.steps.find((candidate) => candidate.id === stepId)
  // Created at once; a Job that exists already is this step's, started by an earlier driver of the run
  // (a restarted orchestrator pod): it is waited for, not started again.
  await client.callOrExisting(`create the Job of step '${stepId}'`, () =>
    client.batch.createNamespacedJob({
      namespace: client.namespace,
      body: job({
        name,
        run: options.run,
        role: 'step',
        step: stepId,
        backoffLimit: (step?.retry.maxRetries ?? 0) + settings.backoffLimitMargin,
        ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
        activeDeadlineSeconds: settings.activeDeadlineSeconds,
        pod: {
          image: settings.image,
          args: context.stepArgs(stepId),
          secretName: options.secretName,
          runtimeConfigMaps: options.runtimeNames,
          serviceAccountName: settings.stepPodServiceAccountName ?? settings.serviceAccountName,
          settings: settings.podSettings,
          terminationGracePeriodSeconds: settings.podStopGracePeriod,
        },
      }),
    }),
  )
  for (;;) {
    if (options.signal.aborted) return stopStepJob(options, settings.podStopGracePeriod)
    await monitor.look(options.signal)
    const end = jobEnd(monitor.job(name))
    if (end) {
      const recorded = await context.stepOutcome(stepId)
      if (recorded) return recorded
      const outcome: StepOutcome = {
        status: 'failed',
        error:
          end.state === 'complete'
            ? `step '${stepId}': its pod ended without recording an outcome`
            : `step '${stepId}': its Job failed (${end.reason}${end.message ? `: ${end.message}` : ''})${end.reason === 'DeadlineExceeded' ? ' — raise activeDeadlineSeconds, or make the step faster' : ''}`,
      }
      await context.failStep(stepId, outcome)
      return outcome
    }
    for (const pod of monitor.podsOf(name)) {
      const stuck = stuckContainer(pod, settings.failOnContainerWaitingReasons)
      if (!stuck) continue
      await deleteJob(client, name, 0)
      const outcome: StepOutcome = {
        status: 'failed',
        error: `step '${stepId}': pod ${pod.metadata?.name} cannot start: ${stuck.reason}${stuck.message ? ` (${stuck.message})` : ''} — ${fixFor(stuck.reason, settings.image)}`,
      }
      await context.failStep(stepId, outcome)
      return outcome
    }
  }
}

function fixFor(reason: string, image: string): string {
  if (reason === 'ErrImagePull' || reason === 'ImagePullBackOff' || reason === 'InvalidImageName')
    return `check the image '${image}' (the image setting) and its pull secrets (podSettings.imagePullSecrets)`
  if (reason === 'CreateContainerConfigError')
    return 'check the Secrets and ConfigMaps the pod settings refer to (env, envFrom, volumes)'
  return 'see kubectl describe pod for details'
}

async function deleteJob(client: KubeClient, name: string, graceSeconds: number): Promise<void> {
  await client.callOrMissing(`delete Job ${name}`, () =>
    client.batch.deleteNamespacedJob({
      name,
      namespace: client.namespace,
      propagationPolicy: 'Background',
      gracePeriodSeconds: graceSeconds,
    }),
  )
}

/** Stops a running step at once: its pod gets SIGTERM (the step journals that it stopped), then SIGKILL. */
async function stopStepJob(options: StepJobOptions, graceSeconds: number): Promise<StepOutcome> {
  const { client, context, monitor, stepId, name } = options
  await deleteJob(client, name, graceSeconds)
  // The pod's process journals its stop on SIGTERM; wait until its pods are gone (or the grace is over).
  const deadline = Date.now() + (graceSeconds + 10) * 1000
  while (Date.now() < deadline) {
    await monitor.look()
    if (monitor.podsOf(name).length === 0) break
  }
  const recorded = await context.stepOutcome(stepId)
  if (recorded) return recorded
  const outcome: StepOutcome = { status: 'stopped', error: `step '${stepId}' was stopped` }
  await context.failStep(stepId, outcome)
  return outcome
}

/**
 * Looks at the orchestrator Job's `strata.dev/stop` annotation once per interval: `graceful` drains the
 * run (start nothing new), `force` stops running steps too.
 */
function watchStopRequest(
  client: KubeClient,
  jobName: string,
  intervalMs: number,
  drain: AbortController,
  force: AbortController,
): { stop(): void } {
  let running = true
  void (async () => {
    while (running && !force.signal.aborted) {
      await sleep(intervalMs)
      const own = await client
        .callOrMissing('read the orchestrator Job', () =>
          client.batch.readNamespacedJob({ name: jobName, namespace: client.namespace }),
        )
        .catch(() => undefined)
      const request = own?.metadata?.annotations?.[ANNOTATIONS.stop]
      if (request === 'graceful' && !drain.signal.aborted) drain.abort(new Error('stopped (graceful)'))
      if (request === 'force') force.abort(new Error('stopped'))
    }
  })()
  return {
    stop() {
      running = false
    },
  }
}
