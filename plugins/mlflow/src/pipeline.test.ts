// MLflow through real pipelines: a stack registered with the CLI, tracked steps in-process and in step
// processes, read back through MLflow's REST API and its Python client.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { Client, openRunEnvironment, type Pipeline } from '@strata/sdk'
import { downloadArtifact, mlflowApi, runMlflowPython, startMlflowServer } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const repo = resolve(import.meta.dirname, '../../..')
const CLI = join(repo, 'apps/cli/bin/strata.mjs')
// A user's project inside the package, so that @strata/sdk and zod resolve from its node_modules.
const project = join(import.meta.dirname, '..', '.tmp', `pipeline-project-${process.pid}`)
const configDir = join(project, '.config')

const PIPELINE = `
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { input, pipeline, step } from '@strata/sdk'
import { z } from 'zod'

export const train = step(
  { name: 'train', experimentTracker: true, params: z.object({ lr: z.number().default(0.1), fail: z.boolean().default(false) }) },
  async (_inputs, ctx) => {
    const tracker = ctx.experimentTracker
    tracker.logParams({ lr: ctx.params.lr, epochs: 3 })
    for (let epoch = 0; epoch < 3; epoch++) tracker.logMetric('loss', 1 / (epoch + 1), epoch)
    tracker.setTags({ phase: 'train' })
    await tracker.logArtifact(new TextEncoder().encode('weights v1'), 'model/weights.txt')
    if (ctx.params.fail) throw new Error('training diverged')
    return { lr: ctx.params.lr }
  },
)

export const evaluate = step({ name: 'evaluate', inputs: { model: input<{ lr: number }>() }, experimentTracker: true }, async ({ model }, ctx) => {
  ctx.experimentTracker.logMetrics({ accuracy: 0.9, f1: 0.8 })
  const path = join(tmpdir(), \`report-\${process.pid}.txt\`)
  await writeFile(path, \`lr \${model.lr}\`)
  await ctx.experimentTracker.logArtifact(path, 'reports/report.txt')
  return { accuracy: 0.9 }
})

export const tracked = pipeline({ name: 'tracked', params: z.object({ fail: z.boolean().default(false) }), cache: false }, ({ fail }) => {
  evaluate({ model: train({ params: { fail } }) })
})

// Opts in by the tracker component's name, as ZenML's experiment_tracker="name" does.
export const named = step({ name: 'named', experimentTracker: 'tracker' }, async (_inputs, ctx) => {
  ctx.experimentTracker.logMetric('named_metric', 7)
  return 7
})
export const byName = pipeline({ name: 'by-name', cache: false }, () => {
  named()
})
export const misnamed = step({ name: 'misnamed', experimentTracker: 'no-such-tracker' }, async () => 1)
export const wrongName = pipeline({ name: 'wrong-name', cache: false }, () => {
  misnamed()
})

// Logs, tells the test it runs, and waits for the test to say go; its own code never fails.
export const patient = step(
  { name: 'patient', experimentTracker: true, params: z.object({ signals: z.string() }) },
  async (_inputs, ctx) => {
    ctx.experimentTracker.logParams({ phase: 'before' })
    await writeFile(join(ctx.params.signals, 'started'), ctx.experimentTracker.runId)
    while (!existsSync(join(ctx.params.signals, 'go'))) await sleep(50)
    ctx.experimentTracker.logMetric('after', 1)
    return 1
  },
)
export const fragile = pipeline({ name: 'fragile', params: z.object({ signals: z.string() }), cache: false }, ({ signals }) => {
  patient({ params: { signals } })
})
`

const { server, skip } = await startMlflowServer()

async function strata(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, ...args], {
    cwd: project,
    env: { ...process.env, STRATA_CONFIG_DIR: configDir, NO_COLOR: '1' },
  })
  return stdout
}

let tracked: Pipeline
let byName: Pipeline
let wrongName: Pipeline
let fragile: Pipeline

beforeAll(async () => {
  if (skip) return
  rmSync(project, { recursive: true, force: true })
  mkdirSync(join(project, 'node_modules', '@strata'), { recursive: true })
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'tracked-project', type: 'module', dependencies: { '@strata/mlflow': '*' } }),
  )
  // As after `pnpm add @strata/mlflow`.
  symlinkSync(resolve(import.meta.dirname, '..'), join(project, 'node_modules/@strata/mlflow'))
  writeFileSync(join(project, 'tracked.ts'), PIPELINE)
  await strata([
    'experiment-tracker',
    'register',
    'tracker',
    '--flavor',
    'mlflow',
    `--tracking-uri=${server!.url}`,
    '--experiment-name',
    'strata-e2e',
  ])
  await strata(['stack', 'register', 'tracked', '-o', 'default', '-a', 'default', '-e', 'tracker', '--set'])
  // A second tracker with its own experiment, for the test that deletes it mid-run.
  await strata([
    'experiment-tracker',
    'register',
    'fragile-tracker',
    '--flavor',
    'mlflow',
    `--tracking-uri=${server!.url}`,
    '--experiment-name',
    'strata-fragile',
    '--max-retries',
    '1',
  ])
  await strata(['stack', 'register', 'fragile', '-o', 'default', '-a', 'default', '-e', 'fragile-tracker'])
  ;({ tracked, byName, wrongName, fragile } = (await import(join(project, 'tracked.ts'))) as {
    [name in 'tracked' | 'byName' | 'wrongName' | 'fragile']: Pipeline
  })
}, 120_000)

afterAll(async () => {
  await server?.stop()
  rmSync(project, { recursive: true, force: true })
})

interface MlflowRun {
  info: { run_id: string; run_name: string; status: string; experiment_id: string }
  data: {
    params?: Array<{ key: string; value: string }>
    tags?: Array<{ key: string; value: string }>
    metrics?: Array<{ key: string; value: number }>
  }
}

async function mlflowRuns(strataRunId: string, experimentName = 'strata-e2e'): Promise<MlflowRun[]> {
  const experiment = await mlflowApi<{ experiment: { experiment_id: string } }>(
    server!,
    'experiments/get-by-name',
    {
      query: { experiment_name: experimentName },
    },
  )
  const found = await mlflowApi<{ runs: MlflowRun[] }>(server!, 'runs/search', {
    body: {
      experiment_ids: [experiment.experiment.experiment_id],
      filter: `tags.\`strata.run_id\` = '${strataRunId}'`,
    },
  })
  return found.runs
}

const tag = (run: MlflowRun, key: string) => run.data.tags?.find((entry) => entry.key === key)?.value

async function runTracked(settings?: Record<string, Record<string, unknown>>, fail = false) {
  const environment = await openRunEnvironment({ configDir, projectRoot: project })
  try {
    const run = await tracked.run({
      environment,
      output: false,
      params: { fail },
      ...(settings ? { settings } : {}),
    })
    const client = new Client(environment)
    return { run, details: await client.getRun(run.id) }
  } finally {
    await environment.close()
  }
}

describe.skipIf(skip)('MLflow through pipelines', { timeout: 120_000 }, () => {
  it('logs two tracked steps as nested runs, linked both ways, read back through MLflow', async () => {
    const { run, details } = await runTracked()
    expect(run.status).toBe('completed')
    const runs = await mlflowRuns(run.id)
    const parent = runs.find((candidate) => tag(candidate, 'mlflow.parentRunId') === undefined)!
    const trainRun = runs.find((candidate) => tag(candidate, 'strata.step_name') === 'train')!
    const evaluateRun = runs.find((candidate) => tag(candidate, 'strata.step_name') === 'evaluate')!
    expect(parent.info).toMatchObject({ run_name: run.name, status: 'FINISHED' })
    for (const child of [trainRun, evaluateRun]) {
      expect(child.info.status).toBe('FINISHED')
      expect(tag(child, 'mlflow.parentRunId')).toBe(parent.info.run_id)
      expect(tag(child, 'strata.pipeline_name')).toBe('tracked')
      expect(tag(child, 'strata.run_id')).toBe(run.id)
      // The Strata step run, by the id of its row in the metadata store.
      const stepRun = details.steps.find((step) => step.name === tag(child, 'strata.step_name'))!
      expect(tag(child, 'strata.step_run_id')).toBe(stepRun.id)
    }
    expect(tag(parent, 'strata.step_run_id')).toBeUndefined()
    expect(Object.fromEntries(trainRun.data.params!.map((param) => [param.key, param.value]))).toEqual({
      lr: '0.1',
      epochs: '3',
    })
    expect(tag(trainRun, 'phase')).toBe('train')
    const history = await mlflowApi<{ metrics: Array<{ step: number; value: number }> }>(
      server!,
      'metrics/get-history',
      {
        query: { run_id: trainRun.info.run_id, metric_key: 'loss' },
      },
    )
    expect(history.metrics.map((point) => [point.step, point.value])).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
    ])
    const root = (child: MlflowRun) => `${child.info.experiment_id}/${child.info.run_id}/artifacts`
    expect((await downloadArtifact(server!, `${root(trainRun)}/model/weights.txt`)).toString()).toBe(
      'weights v1',
    )
    expect((await downloadArtifact(server!, `${root(evaluateRun)}/reports/report.txt`)).toString()).toBe(
      'lr 0.1',
    )

    // The other direction: the Strata step runs carry the MLflow run id and URL.
    const trainStep = details.steps.find((step) => step.name === 'train')!
    expect(trainStep.metadata.experiment_tracker).toMatchObject({
      mlflow_run_id: trainRun.info.run_id,
      experiment_tracker_url: expect.stringContaining(trainRun.info.run_id),
    })
    const described = await strata(['pipeline', 'runs', 'describe', run.name])
    expect(described).toContain(`mlflow_run_id=${trainRun.info.run_id}`)

    // And MLflow's own Python client sees the same runs.
    const seen = (await runMlflowPython(
      server!,
      `import json, mlflow
runs = mlflow.search_runs(experiment_names=['strata-e2e'], filter_string="tags.\`strata.run_id\` = '${run.id}'", output_format='list')
print(json.dumps(sorted([[r.info.run_name, r.info.status, r.data.metrics.get('accuracy')] for r in runs], key=str)))`,
    )) as unknown[]
    expect(seen).toEqual(
      [
        ['evaluate', 'FINISHED', 0.9],
        [run.name, 'FINISHED', null],
        ['train', 'FINISHED', null],
      ].sort((a, b) => String(a).localeCompare(String(b))),
    )
  })

  it('ends the tracker run FAILED when its step fails', async () => {
    const { run } = await runTracked(undefined, true)
    expect(run.status).toBe('failed')
    const runs = await mlflowRuns(run.id)
    expect(runs.find((candidate) => tag(candidate, 'strata.step_name') === 'train')?.info.status).toBe(
      'FAILED',
    )
    expect(runs.find((candidate) => tag(candidate, 'mlflow.parentRunId') === undefined)?.info.status).toBe(
      'FAILED',
    )
  })

  it('tracks from step processes, which reach MLflow but not the store; the ids come back through the journal', async () => {
    const { run, details } = await runTracked({ 'orchestrator.local': { isolation: 'process' } })
    expect(run.status).toBe('completed')
    const runs = await mlflowRuns(run.id)
    expect(runs).toHaveLength(3)
    const evaluateRun = runs.find((candidate) => tag(candidate, 'strata.step_name') === 'evaluate')!
    const evaluateStep = details.steps.find((step) => step.name === 'evaluate')!
    expect(evaluateStep.metadata.experiment_tracker).toMatchObject({ mlflow_run_id: evaluateRun.info.run_id })
    // The step process never saw the store, yet tagged its MLflow run with the id its row got from the journal.
    expect(tag(evaluateRun, 'strata.step_run_id')).toBe(evaluateStep.id)
    expect(evaluateRun.data.metrics?.find((metric) => metric.key === 'accuracy')?.value).toBe(0.9)
  })

  it("opts a step in by the tracker component's name, and refuses a name the stack does not have", async () => {
    const { run, details } = await (async () => {
      const environment = await openRunEnvironment({ configDir, projectRoot: project })
      try {
        const result = await byName.run({ environment, output: false })
        return { run: result, details: await new Client(environment).getRun(result.id) }
      } finally {
        await environment.close()
      }
    })()
    expect(run.status).toBe('completed')
    const [mlflowRun] = await mlflowRuns(run.id).then((runs) =>
      runs.filter((candidate) => tag(candidate, 'strata.step_name') === 'named'),
    )
    expect(mlflowRun?.data.metrics?.find((metric) => metric.key === 'named_metric')?.value).toBe(7)
    expect(details.steps[0]?.metadata.experiment_tracker).toMatchObject({
      mlflow_run_id: mlflowRun!.info.run_id,
    })

    const environment = await openRunEnvironment({ configDir, projectRoot: project })
    try {
      await expect(wrongName.run({ environment, output: false })).rejects.toThrow(
        "step 'misnamed' asks for experiment tracker 'no-such-tracker', but stack 'tracked' has 'tracker' — switch stacks or change the step's experimentTracker",
      )
      // Refused before anything ran: no Strata run, no MLflow run.
      expect((await new Client(environment).listRuns({ pipeline: 'wrong-name' })).items).toEqual([])
    } finally {
      await environment.close()
    }
    const everything = await mlflowApi<{ runs?: MlflowRun[] }>(server!, 'runs/search', {
      body: {
        experiment_ids: [mlflowRun!.info.experiment_id],
        filter: "tags.`strata.pipeline_name` = 'wrong-name'",
      },
    })
    expect(everything.runs ?? []).toEqual([])
  })

  it('fails the step when the tracker fails, not its code: the experiment deleted mid-run', async () => {
    const signals = await mkdtemp(join(tmpdir(), 'strata-mlflow-signals-'))
    const environment = await openRunEnvironment({ configDir, projectRoot: project, stack: 'fragile' })
    try {
      const running = fragile.run({ environment, output: false, params: { signals } })
      const started = join(signals, 'started')
      while (!existsSync(started)) await sleep(50)
      const mlflowRunId = readFileSync(started, 'utf8')
      const { experiment } = await mlflowApi<{ experiment: { experiment_id: string } }>(
        server!,
        'experiments/get-by-name',
        { query: { experiment_name: 'strata-fragile' } },
      )
      // Someone deletes the experiment while the step runs; the step's own code goes on untroubled.
      await mlflowApi(server!, 'experiments/delete', { body: { experiment_id: experiment.experiment_id } })
      writeFileSync(join(signals, 'go'), '')
      const run = await running

      expect(run.status).toBe('failed')
      const details = await new Client(environment).getRun(run.id)
      const step = details.steps.find((candidate) => candidate.name === 'patient')!
      expect(step.status).toBe('failed')
      expect(step.error).toMatch(
        new RegExp(
          `^experiment tracker failed: experiment_tracker 'fragile-tracker' \\(MLflow at http://127\\.0\\.0\\.1:\\d+\\): MLflow run ${mlflowRunId} of step 'patient' was deleted while the step ran \\(with experiment ${experiment.experiment_id}, or on its own\\), so what the step logged since its last flush is lost — restore the experiment \\(MLflow UI, or 'mlflow experiments restore --experiment-id ${experiment.experiment_id}'\\) or the run, then run the step again$`,
        ),
      )
      // Nothing was silently dropped: the metadata that would link the step to MLflow is not there either.
      expect(step.metadata.experiment_tracker).toBeUndefined()
    } finally {
      await environment.close()
      rmSync(signals, { recursive: true, force: true })
    }
  })
})
