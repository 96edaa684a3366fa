import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { Client } from '@strata/sdk'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Classifier } from './logistic-regression.js'
import { quickstart } from './main.js'

/** The stated floor for held-out accuracy of the quickstart's model. */
const ACCURACY_FLOOR = 0.85

let configDir: string
beforeEach(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'strata-quickstart-'))
  process.env.STRATA_CONFIG_DIR = configDir
})
afterEach(async () => {
  delete process.env.STRATA_CONFIG_DIR
  await rm(configDir, { recursive: true, force: true })
})

/** An independent evaluation of a stored classifier: no code shared with the training module. */
function independentProbability(classifier: Classifier, row: Record<string, number>): number {
  let z = classifier.bias
  classifier.features.forEach((feature, index) => {
    z +=
      (classifier.weights[index] ?? 0) *
      (((row[feature] ?? 0) - (classifier.means[index] ?? 0)) / (classifier.scales[index] ?? 1))
  })
  return 1 / (1 + Math.exp(-z))
}

describe('the quickstart', () => {
  it('trains twice, promotes only the better model, and serves production', async () => {
    const lines: string[] = []
    const result = await quickstart({ say: (line) => lines.push(line) })

    expect(result.trained[0]).toMatchObject({ version: 1, promoted: true })
    expect(result.trained[0]!.accuracy).toBeGreaterThanOrEqual(ACCURACY_FLOOR)
    // The second, over-regularised run does not beat production: it is not promoted.
    expect(result.trained[1]).toMatchObject({ version: 2, promoted: false })
    expect(result.trained[1]!.accuracy).toBeLessThan(result.trained[0]!.accuracy)
    expect(result.production.version).toBe(1)
    expect(lines).toContain(
      `✘ churn v2: held-out accuracy ${(result.trained[1]!.accuracy * 100).toFixed(1)}% — not promoted: production v1 has ${(result.trained[0]!.accuracy * 100).toFixed(1)}%`,
    )
    expect(lines.join('\n')).toContain(
      'Production model: churn v1. Explore with: pnpm strata model version list churn',
    )

    // Predictions match an independent computation of the production model on the same rows.
    const client = await Client.open()
    try {
      const classifier = await client.loadModelArtifact<Classifier>('churn', 'production', 'classifier')
      expect(result.predictions).toHaveLength(8)
      for (const prediction of result.predictions) {
        expect(prediction.modelVersion).toBe(1)
        expect(prediction.churnProbability).toBeCloseTo(
          independentProbability(classifier, prediction as never),
          12,
        )
      }
      // The inference run recorded which version it used, and the version lists both of its runs' roles.
      const inference = client.listRuns({ pipeline: 'inference' }).items[0]!
      expect(client.getRun(inference.id).snapshot.steps[1]!.model).toMatchObject({
        name: 'churn',
        version: 'production',
        number: 1,
      })
      const v1 = client.getModelVersion('churn', 1)
      // Everything its steps saved is linked to the version: training data and model, and the predictions served with it.
      expect(v1.artifacts.map((artifact) => `${artifact.name}:${artifact.kind}`)).toEqual([
        'churn-dataset:data',
        'churn-predictions:data',
        'classifier:model',
        'training::evaluate_model::output:data',
        'training::split_data::test:data',
        'training::split_data::train:data',
      ])
      expect(v1.runs.map((run) => run.name.split('-')[0])).toEqual(['training', 'inference'])
    } finally {
      await client.close()
    }
  })

  it('runs as `pnpm quickstart` does, printing the production version and the predictions', async () => {
    const root = resolve(import.meta.dirname, '..')
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/main.ts'],
      {
        cwd: root,
        env: { ...process.env, STRATA_CONFIG_DIR: configDir },
      },
    )
    expect(stdout).toMatch(
      /✔ churn v1: held-out accuracy 9\d\.\d% — promoted to production \(no production version yet\)/,
    )
    expect(stdout).toMatch(
      /✘ churn v2: held-out accuracy \d+\.\d% — not promoted: production v1 has 9\d\.\d%/,
    )
    expect(stdout).toContain('▶ inference with the production model: churn v1')
    expect(stdout.match(/← likely to churn/g)?.length).toBeGreaterThan(0)
    expect(stdout).toContain('Production model: churn v1.')
  }, 60_000)
})
