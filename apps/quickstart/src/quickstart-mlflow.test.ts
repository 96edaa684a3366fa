// The quickstart on a stack with an MLflow experiment tracker (docs/mlflow.md), against a real server.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { mlflowApi, startMlflowServer } from '@strata/testing/servers'
import { afterAll, describe, expect, it } from 'vitest'
import { quickstart } from './main.js'

const root = resolve(import.meta.dirname, '..')
const { server, skip } = await startMlflowServer()
afterAll(() => server?.stop())

describe.skipIf(skip)('the quickstart with MLflow', () => {
  it('tracks both training runs in MLflow: parameters, loss history and held-out accuracy', async () => {
    const configDir = await mkdtemp(join(tmpdir(), 'strata-quickstart-mlflow-'))
    process.env.STRATA_CONFIG_DIR = configDir
    try {
      const strata = (args: string[]) =>
        promisify(execFile)(process.execPath, [join(root, '../cli/bin/strata.mjs'), ...args], {
          cwd: root,
          env: { ...process.env, STRATA_CONFIG_DIR: configDir },
        })
      // What docs/mlflow.md tells a user to do.
      await strata([
        'experiment-tracker',
        'register',
        'mlflow',
        '--flavor',
        'mlflow',
        `--tracking-uri=${server!.url}`,
      ])
      await strata([
        'stack',
        'register',
        'quickstart-mlflow',
        '-o',
        'default',
        '-a',
        'default',
        '-e',
        'mlflow',
        '--set',
      ])
      const result = await quickstart({ config: join(root, 'mlflow.yaml'), say: () => {} })
      expect(result.production.version).toBe(1)

      const experiment = await mlflowApi<{ experiment: { experiment_id: string } }>(
        server!,
        'experiments/get-by-name',
        {
          query: { experiment_name: 'training' },
        },
      )
      const { runs } = await mlflowApi<{
        runs: Array<{
          info: { run_id: string; status: string }
          data: {
            params?: Array<{ key: string; value: string }>
            metrics?: Array<{ key: string; value: number }>
            tags: Array<{ key: string; value: string }>
          }
        }>
      }>(server!, 'runs/search', {
        body: {
          experiment_ids: [experiment.experiment.experiment_id],
          filter: "tags.`strata.step_name` = 'evaluate_model'",
        },
      })
      const accuracies = runs
        .map((run) => run.data.metrics?.find((metric) => metric.key === 'accuracy')?.value)
        .sort()
      expect(accuracies).toEqual([result.trained[1]!.accuracy, result.trained[0]!.accuracy].sort())
      const trainRuns = await mlflowApi<{
        runs: Array<{ info: { run_id: string }; data: { params: Array<{ key: string; value: string }> } }>
      }>(server!, 'runs/search', {
        body: {
          experiment_ids: [experiment.experiment.experiment_id],
          filter: "tags.`strata.step_name` = 'train_model'",
        },
      })
      expect(
        trainRuns.runs.map((run) => run.data.params.find((param) => param.key === 'l2')?.value).sort(),
      ).toEqual(['0.001', '5'])
      const loss = await mlflowApi<{ metrics: Array<{ step: number }> }>(server!, 'metrics/get-history', {
        query: { run_id: trainRuns.runs[0]!.info.run_id, metric_key: 'loss' },
      })
      expect(loss.metrics.map((point) => point.step)).toEqual(
        Array.from({ length: 20 }, (_, index) => index * 20),
      )
    } finally {
      delete process.env.STRATA_CONFIG_DIR
      await rm(configDir, { recursive: true, force: true })
    }
  }, 120_000)
})
