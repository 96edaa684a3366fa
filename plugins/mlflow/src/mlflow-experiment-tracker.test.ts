import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JsonObject, JsonValue, StepTracking } from '@strata/core'
import { recordingLogger } from '@strata/testing'
import { downloadArtifact, mlflowApi, runMlflowPython, startMlflowServer } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testContext, trackerConfig } from './mlflow.test-helpers.js'
import { mlflowExperimentTracker } from './mlflow-experiment-tracker-flavor.js'

const { server, skip } = await startMlflowServer()

interface RunData {
  info: { run_id: string; run_name: string; status: string; experiment_id: string; end_time?: number }
  data: { params?: Array<{ key: string; value: string }>; tags?: Array<{ key: string; value: string }> }
}

async function getRun(runId: string): Promise<RunData> {
  const { run } = await mlflowApi<{ run: RunData }>(server!, 'runs/get', { query: { run_id: runId } })
  return run
}

function entries(list: Array<{ key: string; value: string }> | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, value]))
}

async function metricHistory(runId: string, key: string): Promise<Array<{ step: number; value: unknown }>> {
  const { metrics = [] } = await mlflowApi<{ metrics?: Array<{ step?: number; value: unknown }> }>(
    server!,
    'metrics/get-history',
    { query: { run_id: runId, metric_key: key } },
  )
  return metrics.map(({ step, value }) => ({ step: step ?? 0, value })).sort((a, b) => a.step - b.step)
}

/** A tracker as a fresh process would build it from the stack's config. */
function newTracker(raw: Record<string, unknown> = {}) {
  return mlflowExperimentTracker.create(trackerConfig({ trackingUri: server!.url, ...raw }), testContext())
}

/** What the step runner hands a step process: the pipeline state after a trip through JSON. */
function acrossProcesses(state: JsonValue): JsonValue {
  return JSON.parse(JSON.stringify(state)) as JsonValue
}

afterAll(async () => {
  await server?.stop()
})

describe.skipIf(skip)('mlflow experiment tracker on a real mlflow server', () => {
  const pipelineRun = { pipelineName: 'training', runId: 'run-7f3a', runName: 'training-2026_01_01-00_00_00' }
  let workDir: string
  let parentRunId: string
  let trainer: JsonObject
  let evaluator: JsonObject

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'strata-mlflow-files-'))
  })
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true })
  })

  it('logs a pipeline run with two tracked steps, one of them failing', async () => {
    const client = await newTracker({ experimentName: 'strata-e2e' })
    const pipeline = await client.startPipelineRun!(pipelineRun)
    parentRunId = (pipeline.state as { parentRunId: string }).parentRunId
    const state = acrossProcesses(pipeline.state)

    // Each step in "another process": its own tracker, only the JSON state in common.
    const trainStep: StepTracking = await (await newTracker({ experimentName: 'strata-e2e' })).startStep({
      ...pipelineRun,
      stepName: 'trainer',
      stepRunId: 'step-run-5e6f',
      pipelineState: state,
      settings: { tags: { team: 'forecasting' } },
    })
    trainStep.logParams({ learning_rate: 0.01, epochs: 3, optimizer: 'adam', shuffle: true })
    for (let epoch = 0; epoch < 3; epoch++) {
      trainStep.logMetric('loss', 1 / (epoch + 1), epoch)
      trainStep.logMetrics({ accuracy: 0.5 + epoch / 10, 'val/accuracy': 0.4 + epoch / 10 }, epoch)
    }
    trainStep.setTags({ framework: 'none', stage: 'draft' })
    trainStep.setTags({ stage: 'final' })
    await trainStep.logArtifact(new TextEncoder().encode('{"weights":[1,2,3]}'), 'model/weights.json')
    const reportPath = join(workDir, 'report.txt')
    await writeFile(reportPath, 'accuracy went up\n')
    await trainStep.logArtifact(reportPath, 'reports/report.txt')
    trainer = await trainStep.end('completed')

    const evaluateStep = await (await newTracker({ experimentName: 'strata-e2e' })).startStep({
      ...pipelineRun,
      stepName: 'evaluator',
      pipelineState: acrossProcesses(pipeline.state),
    })
    evaluateStep.logMetric('test_loss', 0.42)
    evaluator = await evaluateStep.end('failed')
    await pipeline.end('failed')

    expect(trainer).toMatchObject({
      mlflow_run_id: trainStep.runId,
      mlflow_parent_run_id: parentRunId,
      mlflow_tracking_uri: server!.url,
      experiment_tracker_url: `${server!.url}/#/experiments/${trainer['mlflow_experiment_id']}/runs/${trainStep.runId}`,
    })
    expect(trainStep.runUrl).toBe(trainer['experiment_tracker_url'])
    expect(evaluator['mlflow_experiment_id']).toBe(trainer['mlflow_experiment_id'])
  })

  it('reads back through the REST API: experiment, runs, params, metric history, tags, artifacts, statuses', async () => {
    const { experiment } = await mlflowApi<{
      experiment: { experiment_id: string; lifecycle_stage: string }
    }>(server!, 'experiments/get-by-name', { query: { experiment_name: 'strata-e2e' } })
    expect(experiment).toMatchObject({
      experiment_id: trainer['mlflow_experiment_id'],
      lifecycle_stage: 'active',
    })
    const { runs } = await mlflowApi<{ runs: RunData[] }>(server!, 'runs/search', {
      body: { experiment_ids: [experiment.experiment_id], max_results: 100 },
    })
    expect(runs.map((run) => run.info.run_name).sort()).toEqual(
      ['evaluator', 'trainer', pipelineRun.runName].sort(),
    )

    const parent = await getRun(parentRunId)
    expect(parent.info.status).toBe('FAILED')
    expect(entries(parent.data.tags)).toMatchObject({
      'strata.pipeline_name': 'training',
      'strata.run_id': 'run-7f3a',
      'strata.run_name': pipelineRun.runName,
    })

    const train = await getRun(String(trainer['mlflow_run_id']))
    expect(train.info.status).toBe('FINISHED')
    expect(train.info.end_time).toBeGreaterThan(0)
    expect(entries(train.data.params)).toEqual({
      learning_rate: '0.01',
      epochs: '3',
      optimizer: 'adam',
      shuffle: 'true',
    })
    expect(entries(train.data.tags)).toMatchObject({
      'mlflow.parentRunId': parentRunId,
      'mlflow.runName': 'trainer',
      'strata.pipeline_name': 'training',
      'strata.run_id': 'run-7f3a',
      'strata.step_name': 'trainer',
      'strata.step_run_id': 'step-run-5e6f',
      team: 'forecasting',
      framework: 'none',
      stage: 'final',
    })
    expect(await metricHistory(train.info.run_id, 'loss')).toEqual([
      { step: 0, value: 1 },
      { step: 1, value: 0.5 },
      { step: 2, value: 1 / 3 },
    ])
    expect((await metricHistory(train.info.run_id, 'val/accuracy')).map((point) => point.step)).toEqual([
      0, 1, 2,
    ])

    const root = `${experiment.experiment_id}/${train.info.run_id}/artifacts`
    expect((await downloadArtifact(server!, `${root}/model/weights.json`)).toString()).toBe(
      '{"weights":[1,2,3]}',
    )
    expect((await downloadArtifact(server!, `${root}/reports/report.txt`)).toString()).toBe(
      'accuracy went up\n',
    )

    const evaluate = await getRun(String(evaluator['mlflow_run_id']))
    expect(evaluate.info.status).toBe('FAILED')
    expect(entries(evaluate.data.tags)).toMatchObject({
      'mlflow.parentRunId': parentRunId,
      'strata.step_name': 'evaluator',
    })
    // Started without a step run id (as by a runtime older than TrackedStepRun.stepRunId): no tag for it.
    expect(entries(evaluate.data.tags)['strata.step_run_id']).toBeUndefined()
    expect(await metricHistory(evaluate.info.run_id, 'test_loss')).toEqual([{ step: 0, value: 0.42 }])
  })

  it("reads back through MLflow's own Python client", async () => {
    const script = `
import json, mlflow
from mlflow import MlflowClient
client = MlflowClient()
experiment = client.get_experiment_by_name("strata-e2e")
runs = client.search_runs([experiment.experiment_id])
train = next(r for r in runs if r.info.run_name == "trainer")
local = mlflow.artifacts.download_artifacts(run_id=train.info.run_id, artifact_path="model/weights.json")
print(json.dumps({
  "experiment_id": experiment.experiment_id,
  "runs": sorted([[r.info.run_name, r.info.status, r.data.tags.get("mlflow.parentRunId")] for r in runs]),
  "params": train.data.params,
  "tags": {k: v for k, v in train.data.tags.items() if k.startswith("strata.")},
  "loss": [[m.step, m.value] for m in sorted(client.get_metric_history(train.info.run_id, "loss"), key=lambda m: m.step)],
  "weights": open(local).read(),
}))
`
    const result = (await runMlflowPython(server!, script)) as Record<string, unknown>
    expect(result).toEqual({
      experiment_id: trainer['mlflow_experiment_id'],
      runs: [
        ['evaluator', 'FAILED', parentRunId],
        ['trainer', 'FINISHED', parentRunId],
        [pipelineRun.runName, 'FAILED', null],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      params: { learning_rate: '0.01', epochs: '3', optimizer: 'adam', shuffle: 'true' },
      tags: {
        'strata.pipeline_name': 'training',
        'strata.run_id': 'run-7f3a',
        'strata.run_name': pipelineRun.runName,
        'strata.step_name': 'trainer',
        'strata.step_run_id': 'step-run-5e6f',
      },
      loss: [
        [0, 1],
        [1, 0.5],
        [2, 1 / 3],
      ],
      weights: '{"weights":[1,2,3]}',
    })
  })

  it('makes one top-level run per step when nested is false (in the config or in the step settings)', async () => {
    const flat = await newTracker({ experimentName: 'strata-flat', nested: false })
    const run = { pipelineName: 'flat', runId: 'run-flat', runName: 'flat-1' }
    const pipeline = await flat.startPipelineRun!(run)
    expect(pipeline.state).not.toHaveProperty('parentRunId')
    const step = await flat.startStep({
      ...run,
      stepName: 'load',
      pipelineState: acrossProcesses(pipeline.state),
    })
    await step.end('completed')
    await pipeline.end('completed')

    const nested = await newTracker({ experimentName: 'strata-flat' })
    const nestedPipeline = await nested.startPipelineRun!({ ...run, runId: 'run-flat-2', runName: 'flat-2' })
    const optedOut = await nested.startStep({
      ...run,
      runId: 'run-flat-2',
      runName: 'flat-2',
      stepName: 'export',
      pipelineState: acrossProcesses(nestedPipeline.state),
      settings: { nested: false },
    })
    await optedOut.end('completed')
    await nestedPipeline.end('completed')

    for (const [tracking, name] of [
      [step, 'flat-1/load'],
      [optedOut, 'flat-2/export'],
    ] as const) {
      const stored = await getRun(tracking.runId)
      expect(stored.info.run_name).toBe(name)
      expect(stored.info.status).toBe('FINISHED')
      expect(entries(stored.data.tags)).not.toHaveProperty('mlflow.parentRunId')
      expect(entries(stored.data.tags)['strata.step_name']).toBe(name.split('/')[1])
    }
  })

  it('splits large logs into requests within MLflow limits and accepts values at the limits', async () => {
    const tracker = await newTracker({ experimentName: 'strata-limits' })
    const step = await tracker.startStep({
      pipelineName: 'limits',
      runId: 'r',
      runName: 'limits-1',
      stepName: 'big',
    })
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, index) => [`p${index}`, index]))
    step.logParams(params)
    step.logParams({ long_value: 'x'.repeat(6000), [`k${'e'.repeat(249)}`]: 'max key length' })
    step.setTags(
      Object.fromEntries(Array.from({ length: 150 }, (_, index) => [`t${index}`, 'y'.repeat(5000)])),
    )
    step.setTags({ long_tag: 'z'.repeat(8000) })
    for (let index = 0; index < 2500; index++) step.logMetric('curve', index / 2500, index)
    step.logMetric('not_a_number', Number.NaN)
    await step.end('completed')

    const run = await getRun(step.runId)
    const storedParams = entries(run.data.params)
    expect(Object.keys(storedParams)).toHaveLength(252)
    expect(storedParams['long_value']).toHaveLength(6000)
    expect(storedParams[`k${'e'.repeat(249)}`]).toBe('max key length')
    const storedTags = entries(run.data.tags)
    expect(Object.keys(storedTags).filter((key) => /^t\d+$/.test(key))).toHaveLength(150)
    expect(storedTags['long_tag']).toHaveLength(8000)
    const curve = await metricHistory(step.runId, 'curve')
    expect(curve).toHaveLength(2500)
    expect(curve[2499]).toEqual({ step: 2499, value: 2499 / 2500 })
    expect(await metricHistory(step.runId, 'not_a_number')).toEqual([{ step: 0, value: 'NaN' }])
  })

  it('refuses values over MLflow limits at the call, with the limit and the fix', async () => {
    const tracker = await newTracker({ experimentName: 'strata-limits' })
    const step = await tracker.startStep({
      pipelineName: 'limits',
      runId: 'r2',
      runName: 'limits-2',
      stepName: 'bad',
    })
    expect(() => step.logParams({ notes: 'x'.repeat(6001) })).toThrowError(
      expect.objectContaining({
        code: 'MLFLOW_LIMIT_EXCEEDED',
        message: expect.stringMatching(
          /param 'notes' has a value of 6001 characters, over MLflow's limit of 6000 — .*logArtifact/,
        ),
      }),
    )
    expect(() => step.setTags({ note: 'x'.repeat(8001) })).toThrowError(
      expect.objectContaining({ code: 'MLFLOW_LIMIT_EXCEEDED' }),
    )
    expect(() => step.logMetric('k'.repeat(251), 1)).toThrowError(
      expect.objectContaining({
        code: 'MLFLOW_LIMIT_EXCEEDED',
        message: expect.stringContaining('limit of 250'),
      }),
    )
    expect(() => step.logMetric('loss?', 1)).toThrowError(
      expect.objectContaining({ code: 'MLFLOW_INVALID_VALUE' }),
    )
    expect(() => step.logMetric('../escape', 1)).toThrowError(
      expect.objectContaining({ code: 'MLFLOW_INVALID_VALUE' }),
    )
    expect(() => step.logMetric('loss', 1, 1.5)).toThrowError(
      expect.objectContaining({ code: 'MLFLOW_INVALID_VALUE' }),
    )
    step.logParams({ seed: 1 })
    step.logParams({ seed: 1 })
    expect(() => step.logParams({ seed: 2 })).toThrowError(
      expect.objectContaining({ code: 'MLFLOW_PARAM_CHANGED' }),
    )
    await expect(step.logArtifact(new Uint8Array(1), '../outside.bin')).rejects.toMatchObject({
      code: 'MLFLOW_INVALID_VALUE',
    })
    await expect(
      step.logArtifact(join(tmpdir(), 'strata-missing-file'), 'missing.bin'),
    ).rejects.toMatchObject({
      code: 'MLFLOW_ARTIFACT_READ_FAILED',
    })
    await step.end('completed')
    expect(() => step.logMetric('late', 1)).toThrowError(
      expect.objectContaining({ code: 'MLFLOW_RUN_ENDED' }),
    )

    // Nothing of the refused calls reached MLflow; the valid param did.
    const run = await getRun(step.runId)
    expect(entries(run.data.params)).toEqual({ seed: '1' })
    expect(run.info.status).toBe('FINISHED')
  })

  it('names a deleted experiment and how to restore it', async () => {
    const { experiment_id: id } = await mlflowApi<{ experiment_id: string }>(server!, 'experiments/create', {
      body: { name: 'strata-deleted' },
    })
    await mlflowApi(server!, 'experiments/delete', { body: { experiment_id: id } })
    const tracker = await newTracker({ experimentName: 'strata-deleted' })
    const error = await tracker.startPipelineRun!({ pipelineName: 'p', runId: 'r', runName: 'p-1' }).catch(
      (e) => e,
    )
    expect(error).toMatchObject({ code: 'MLFLOW_EXPERIMENT_DELETED' })
    expect(error.message).toContain(`MLflow experiment 'strata-deleted' (id ${id}) is deleted`)
    expect(error.message).toContain(`mlflow experiments restore --experiment-id ${id}`)
    await expect(tracker.verify!()).rejects.toMatchObject({ code: 'MLFLOW_EXPERIMENT_DELETED' })

    // Deleted while the pipeline runs: the next step says so too.
    const live = await newTracker({ experimentName: 'strata-deleted-later' })
    const pipeline = await live.startPipelineRun!({ pipelineName: 'p', runId: 'r2', runName: 'p-2' })
    const laterId = (pipeline.state as { experimentId: string }).experimentId
    await mlflowApi(server!, 'experiments/delete', { body: { experiment_id: laterId } })
    await expect(
      live.startStep({
        pipelineName: 'p',
        runId: 'r2',
        runName: 'p-2',
        stepName: 's',
        pipelineState: pipeline.state,
      }),
    ).rejects.toMatchObject({
      code: 'MLFLOW_EXPERIMENT_DELETED',
      message: expect.stringContaining(`(id ${laterId})`),
    })
  })

  it('fails end() when logged values could not be delivered, and marks the run FAILED', async () => {
    const logger = recordingLogger()
    const tracker = await mlflowExperimentTracker.create(
      trackerConfig({ trackingUri: server!.url, experimentName: 'strata-delivery', maxRetries: 0 }),
      testContext(logger),
    )
    const step = await tracker.startStep({ pipelineName: 'p', runId: 'r', runName: 'p-1', stepName: 's' })
    step.logParams({ seed: 1 })
    // MLflow refuses writes to a run that is no longer active.
    await mlflowApi(server!, 'runs/delete', { body: { run_id: step.runId } })
    const error = await step.end('completed').catch((e) => e)
    expect(error).toMatchObject({ code: 'MLFLOW_RUN_DELETED' })
    expect(error.message).toMatch(
      /MLflow run \w+ of step 's' was deleted while the step ran .* — restore the experiment .* or the run, then run the step again$/,
    )
    // What MLflow refused is the cause.
    expect(error.cause.message).toMatch(/logging 1 params\/metrics\/tags of step 's' to run \w+ .*failed/)
    expect(logger.lines.join('\n')).toContain('MLflow did not accept logged values')
  })

  it('verifies reachability and rejects a pipeline state that is not its own', async () => {
    const tracker = await newTracker()
    await expect(tracker.verify!()).resolves.toBeUndefined()
    await expect(
      tracker.startStep({
        pipelineName: 'p',
        runId: 'r',
        runName: 'p-1',
        stepName: 's',
        pipelineState: { parent: 'x' },
      }),
    ).rejects.toMatchObject({ code: 'MLFLOW_INVALID_STATE' })
  })
})
