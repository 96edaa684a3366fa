import { describe, expect, it } from 'vitest'
import { training } from '../../../apps/quickstart/src/pipelines.js'
import { checkPipelineSpec } from './check-pipeline-spec.js'
import { compilePipeline } from './compile-pipeline.js'
import { checkTimeZone, kfpCron } from './cron.js'
import { HANDOVER, RUN_URI, snapshotOf } from './kubeflow.test-helpers.js'
import { kfpName, stepNames } from './names.js'
import type { CompiledKfpPipeline } from './pipeline-spec.js'
import { EVERY_POD_SETTING, wide } from './wide-pipeline.test-fixtures.js'

const compile = (
  snapshot = snapshotOf(training),
  options: Partial<Parameters<typeof compilePipeline>[1]> = {},
) => compilePipeline(snapshot, { start: { run: RUN_URI }, handover: HANDOVER, ...options })

describe('compiling a pipeline to KFP v2 IR', () => {
  it('makes a strata-start task and one task per step, each depending on it and its upstream steps', () => {
    const { pipelineSpec: spec, platformSpec } = compile()
    expect(spec.schemaVersion).toBe('2.1.0')
    expect(spec.pipelineInfo).toEqual({ name: 'training', displayName: 'training' })
    const tasks = spec.root.dag.tasks
    expect(Object.keys(tasks)).toEqual([
      'strata-start',
      'load-data',
      'split-data',
      'train-model',
      'evaluate-model',
    ])
    expect(tasks['evaluate-model']).toEqual({
      taskInfo: { name: 'evaluate_model' },
      componentRef: { name: 'comp-evaluate-model' },
      dependentTasks: ['split-data', 'strata-start', 'train-model'],
      inputs: {
        parameters: {
          run_uri: { taskOutputParameter: { producerTask: 'strata-start', outputParameterKey: 'run_uri' } },
        },
      },
      cachingOptions: { enableCache: false },
    })
    expect(spec.components['comp-strata-start']?.outputDefinitions).toEqual({
      parameters: { run_uri: { parameterType: 'STRING' } },
    })
    expect(spec.deploymentSpec.executors['exec-strata-start']?.container.args).toEqual([
      'start',
      '--run',
      RUN_URI,
      '--output',
      "{{$.outputs.parameters['run_uri'].output_file}}",
    ])
    expect(spec.deploymentSpec.executors['exec-train-model']?.container).toEqual({
      image: 'node:24-slim',
      command: ['node', '/strata/runtime/bootstrap.mjs'],
      args: [
        'step',
        'run',
        '--run',
        "{{$.inputs.parameters['run_uri']}}",
        '--step',
        'train_model',
        '--one-attempt',
        '--prepare',
      ],
    })
    // Every executor gets the run's Secret key by key, and the runtime ConfigMaps, chunk i below chunk 0.
    const executors = platformSpec.platforms.kubernetes.deploymentSpec.executors
    expect(Object.keys(executors).sort()).toEqual(Object.keys(spec.deploymentSpec.executors).sort())
    expect(executors['exec-load-data']).toEqual({
      secretAsEnv: [
        {
          secretName: HANDOVER.secretName,
          secretNameParameter: { runtimeValue: { constant: HANDOVER.secretName } },
          keyToEnv: [
            { secretKey: 'STRATA_ARTIFACT_STORE', envVar: 'STRATA_ARTIFACT_STORE' },
            { secretKey: 'STRATA_SECRET_VALUES', envVar: 'STRATA_SECRET_VALUES' },
          ],
          optional: false,
        },
      ],
      configMapAsVolume: [
        expect.objectContaining({
          configMapName: 'training-9c9ae5e1-runtime-0',
          mountPath: '/strata/runtime',
        }),
        expect.objectContaining({
          configMapName: 'training-9c9ae5e1-runtime-1',
          mountPath: '/strata/runtime/chunk-001',
        }),
      ],
    })
  })

  it('declares the pipeline parameters as the root inputs, with their compiled values', () => {
    const { pipelineSpec } = compile(snapshotOf(training, { params: { epochs: 50 } }))
    expect(pipelineSpec.root.inputDefinitions?.parameters).toEqual({
      epochs: { parameterType: 'NUMBER_INTEGER', defaultValue: 50, isOptional: true },
      learningRate: { parameterType: 'NUMBER_DOUBLE', defaultValue: 0.3, isOptional: true },
      l2: { parameterType: 'NUMBER_DOUBLE', defaultValue: 0.001, isOptional: true },
      seed: { parameterType: 'NUMBER_INTEGER', defaultValue: 7, isOptional: true },
    })
  })

  it('leaves out the steps resolved from the cache, and the dependencies on them', () => {
    const { pipelineSpec } = compile(undefined, { skip: new Set(['load_data', 'split_data']) })
    const tasks = pipelineSpec.root.dag.tasks
    expect(Object.keys(tasks)).toEqual(['strata-start', 'train-model', 'evaluate-model'])
    expect(tasks['evaluate-model']?.dependentTasks).toEqual(['strata-start', 'train-model'])
  })

  it('starts a fresh run from a template, recording the handle KFP fills in', () => {
    const { pipelineSpec } = compile(undefined, {
      start: { template: 's3://bucket/strata/schedules/1234' },
      startHandle: '{"kfpRunId":"{{$.pipeline_job_uuid}}"}',
    })
    expect(pipelineSpec.deploymentSpec.executors['exec-strata-start']?.container.args.slice(0, 5)).toEqual([
      'start',
      '--template',
      's3://bucket/strata/schedules/1234',
      '--handle',
      '{"kfpRunId":"{{$.pipeline_job_uuid}}"}',
    ])
  })

  it('names tasks as the kfp SDK does, duplicates with -2, and maps retries to a retry policy', () => {
    expect(kfpName('Report Step!')).toBe('report-step')
    expect(kfpName('__Wide_DAG__')).toBe('wide-dag')
    expect(
      [...stepNames(['merge', 'merge-2', 'a_b', 'a-b', 'strata_start']).values()].map((name) => name.task),
    ).toEqual(['merge', 'merge-2', 'a-b', 'a-b-2', 'strata-start-2'])
    const { pipelineSpec } = compile(snapshotOf(wide))
    const tasks = pipelineSpec.root.dag.tasks
    expect(Object.keys(tasks)).toHaveLength(1 + 1 + 6 + 2 + 1)
    expect(tasks['shard-3']?.retryPolicy).toEqual({
      maxRetryCount: 2,
      backoffDuration: '0s',
      backoffFactor: 2,
      backoffMaxDuration: '3600s',
    })
    expect(tasks['merge-2']?.dependentTasks).toEqual(['shard-3', 'shard-4', 'shard-5', 'strata-start'])
    expect(pipelineSpec.pipelineInfo.name).toBe('wide-dag')
  })

  it("maps every pod setting to KFP's container resources and kubernetes platform spec", () => {
    const { pipelineSpec, platformSpec } = compile(
      snapshotOf(wide, { settings: { 'orchestrator.kubeflow': EVERY_POD_SETTING } }),
    )
    const container = pipelineSpec.deploymentSpec.executors['exec-merge']?.container
    expect(container?.image).toBe('node:24-bookworm-slim')
    expect(container?.env).toEqual([{ name: 'LOG_LEVEL', value: 'debug' }])
    expect(container?.resources).toEqual({
      resourceCpuRequest: '500m',
      cpuRequest: 0.5,
      resourceMemoryRequest: '1Gi',
      memoryRequest: 1.073741824,
      resourceCpuLimit: '2',
      cpuLimit: 2,
      resourceMemoryLimit: '4Gi',
      memoryLimit: 4.294967296,
      accelerator: { type: 'nvidia.com/gpu', count: '1', resourceType: 'nvidia.com/gpu', resourceCount: '1' },
    })
    const config = platformSpec.platforms.kubernetes.deploymentSpec.executors['exec-merge']!
    expect(config.nodeSelector).toEqual({ labels: { 'cloud.google.com/gke-nodepool': 'training' } })
    expect(config.tolerations).toEqual([
      { key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
      { key: 'spot', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: '60' },
    ])
    expect(config.nodeAffinity).toEqual([
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['eu-1a', 'eu-1b'] }] },
      { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }], weight: 10 },
    ])
    expect(config.podAffinity).toEqual([
      { matchPodLabels: { app: 'strata' }, topologyKey: 'kubernetes.io/hostname', weight: 5, anti: true },
    ])
    expect(config.podMetadata).toEqual({
      labels: { team: 'ml' },
      annotations: { 'example.com/owner': 'data-team' },
    })
    expect(config.pvcMount).toEqual([
      {
        constant: 'training-data',
        pvcNameParameter: { runtimeValue: { constant: 'training-data' } },
        mountPath: '/data',
        subPath: 'v2',
      },
    ])
    expect(config.secretAsVolume?.[0]).toMatchObject({ secretName: 'gcs-key', mountPath: '/var/secrets/gcs' })
    expect(config.configMapAsVolume?.at(-1)).toMatchObject({
      configMapName: 'train-conf',
      mountPath: '/etc/train',
      optional: true,
    })
    expect(config.emptyDirMounts).toEqual([
      { volumeName: 'scratch', mountPath: '/scratch', medium: 'Memory', sizeLimit: '1Gi' },
    ])
    expect(config.secretAsEnv?.at(-1)).toMatchObject({
      secretName: 'api',
      keyToEnv: [{ secretKey: 'key', envVar: 'API_KEY' }],
    })
    expect(config.configMapAsEnv).toMatchObject([
      { configMapName: 'cluster-info', keyToEnv: [{ configMapKey: 'region', envVar: 'REGION' }] },
    ])
    expect(config.fieldPathAsEnv).toEqual([{ name: 'POD_NAME', fieldPath: 'metadata.name' }])
    expect(config.imagePullSecret).toEqual([
      { secretName: 'regcred', secretNameParameter: { runtimeValue: { constant: 'regcred' } } },
    ])
  })

  it('refuses a pod setting KFP cannot express, naming the step and the setting', () => {
    const withSettings = (podSettings: Record<string, unknown>) =>
      compile(
        snapshotOf(training, {
          steps: { train_model: { settings: { 'orchestrator.kubeflow': { podSettings } } } },
        }),
      )
    expect(() => withSettings({ envFrom: [{ secretRef: { name: 'x' } }] })).toThrow(
      /step 'train_model': podSettings.envFrom .* list them in podSettings.env/,
    )
    expect(() =>
      withSettings({
        volumes: [{ name: 'h', hostPath: { path: '/x' } }],
        volumeMounts: [{ name: 'h', mountPath: '/x' }],
      }),
    ).toThrow(
      /volume 'h' is hostPath — Kubeflow Pipelines mounts persistentVolumeClaim, secret, configMap and emptyDir/,
    )
    expect(() => withSettings({ resources: { limits: { 'ephemeral-storage': '1Gi' } } })).toThrow(
      /limits.ephemeral-storage cannot be set/,
    )
    expect(() => withSettings({ additionalPodSpecArgs: { priorityClassName: 'high' } })).toThrow(
      /additionalPodSpecArgs \(priorityClassName\)/,
    )
    expect(() =>
      compile(snapshotOf(training, { settings: { 'orchestrator.kubeflow': { clientPassword: 'x' } } })),
    ).toThrow(
      /clientPassword is a credential, which settings would record in the run's snapshot — set it on the orchestrator component/,
    )
  })
})

describe('the reference checks the kfp SDK does not make', () => {
  const broken = (change: (pipeline: CompiledKfpPipeline) => void): string[] => {
    const pipeline = structuredClone(compile())
    change(pipeline)
    return checkPipelineSpec(pipeline)
  }
  it('finds no problem in a compiled pipeline', () => {
    expect(checkPipelineSpec(compile(snapshotOf(wide)))).toEqual([])
  })
  it('finds a componentRef to a missing component, a dependency on a missing task, and a cycle', () => {
    expect(
      broken((p) => {
        p.pipelineSpec.root.dag.tasks['load-data']!.componentRef.name = 'comp-nope'
      }),
    ).toEqual(['task load-data refers to component comp-nope, which does not exist'])
    expect(broken((p) => p.pipelineSpec.root.dag.tasks['train-model']!.dependentTasks!.push('nope'))).toEqual(
      ['task train-model depends on task nope, which does not exist'],
    )
    expect(
      broken((p) => p.pipelineSpec.root.dag.tasks['load-data']!.dependentTasks!.push('evaluate-model')),
    ).toEqual(['tasks depend on each other in a cycle: load-data → evaluate-model → split-data → load-data'])
    expect(broken((p) => void delete p.pipelineSpec.deploymentSpec.executors['exec-load-data'])).toContain(
      'component comp-load-data names executor exec-load-data, which does not exist',
    )
    expect(
      broken((p) => {
        p.pipelineSpec.root.dag.tasks['train-model']!.dependentTasks = ['split-data']
      }),
    ).toEqual(['task train-model takes run_uri from task strata-start without depending on it'])
  })
})

describe('schedules', () => {
  it("converts a 5-field cron to KFP's 6 fields, seconds first, never shifting a field", () => {
    expect(kfpCron('30 2 * * 1-5')).toBe('0 30 2 * * 1-5')
    expect(kfpCron('*/15 * 1,15 1-6 *')).toBe('0 */15 * 1,15 1-6 *')
    expect(kfpCron('0 0 * * 7')).toBe('0 0 0 * * 0')
    expect(kfpCron('0 0 * * 5-7')).toBe('0 0 0 * * 5-0')
    expect(kfpCron('@daily')).toBe('@daily')
    expect(() => kfpCron('0 0 0 * * *')).toThrow(/has 6 fields — write a standard cron of 5/)
    expect(() => checkTimeZone('Europe/Berlin')).toThrow(/no time zone — write the cron in UTC/)
    expect(() => checkTimeZone('UTC')).not.toThrow()
  })
})
