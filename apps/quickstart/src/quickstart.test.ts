import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { Client } from '@strata/sdk'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { customers } from './data.js'
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
      const inference = (await client.listRuns({ pipeline: 'inference' })).items[0]!
      expect((await client.getRun(inference.id)).snapshot.steps[1]!.model).toMatchObject({
        name: 'churn',
        version: 'production',
        number: 1,
      })
      const v1 = await client.getModelVersion('churn', 1)
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

  it('promotes a better version over an existing production one, archiving the old one', async () => {
    const lines: string[] = []
    const worse = { epochs: 400, learningRate: 0.3, l2: 5 }
    const better = { epochs: 400, learningRate: 0.3, l2: 0.001 }
    const result = await quickstart({ say: (line) => lines.push(line), runs: [worse, better] })

    const [first, second] = result.trained
    expect(first).toMatchObject({ version: 1, promoted: true })
    expect(second).toMatchObject({ version: 2, promoted: true })
    expect(second!.accuracy).toBeGreaterThan(first!.accuracy)
    expect(second!.accuracy).toBeGreaterThanOrEqual(ACCURACY_FLOOR)
    const percent = (value: number) => `${(value * 100).toFixed(1)}%`
    expect(lines).toContain(
      `✔ churn v2: held-out accuracy ${percent(second!.accuracy)} — promoted to production (beats v1 at ${percent(first!.accuracy)})`,
    )
    expect(result.production).toEqual({ version: 2, accuracy: second!.accuracy })
    expect(lines.join('\n')).toContain('▶ inference with the production model: churn v2')
    expect(result.predictions.every((prediction) => prediction.modelVersion === 2)).toBe(true)

    const client = await Client.open()
    try {
      expect((await client.getModelVersion('churn', 2)).stage).toBe('production')
      expect((await client.getModelVersion('churn', 1)).stage).toBe('archived')
      // Every stage change is an event: v1 in, v1 archived by the forced promotion of v2, v2 in.
      expect(
        (await client.getModel('churn')).stageEvents.map(
          (event) => `v${event.number} ${event.from}→${event.to}`,
        ),
      ).toEqual(['v1 null→production', 'v1 production→archived', 'v2 null→production'])
      // The inference run used the new production version.
      const inference = (await client.listRuns({ pipeline: 'inference' })).items[0]!
      expect((await client.getRun(inference.id)).snapshot.steps[1]!.model).toMatchObject({ number: 2 })
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
    expect(stdout).toContain('Production model: churn v1.')
    const accuracy = Number(/✔ churn v1: held-out accuracy (\d+\.\d)%/.exec(stdout)![1]) / 100
    expect(accuracy).toBeGreaterThanOrEqual(ACCURACY_FLOOR)

    // The table, row by row, against the production model applied independently to the same customers,
    // regenerated from the data generator (the inference pipeline's defaults: 8 customers, seed 42).
    const lines = stdout.split('\n')
    const header = lines.indexOf(' tenure  monthly  calls  contract  churn risk')
    expect(header).toBeGreaterThan(-1)
    const table = lines.slice(header + 1, lines.indexOf('', header + 1))
    const rows = customers(8, 42)
    expect(table).toHaveLength(rows.length)
    const client = await Client.open({ configDir })
    const classifier = await client
      .loadModelArtifact<Classifier>('churn', 'production', 'classifier')
      .finally(() => client.close())
    const contracts = ['monthly', '1 year', '2 years']
    table.forEach((line, index) => {
      const row = rows[index]!
      const probability = independentProbability(classifier, row as never)
      const cells =
        /^\s+(\d+)\s+(\d+\.\d\d)\s+(\d+)\s+(monthly|1 year|2 years)\s+(\d+\.\d)%(\s+← likely to churn)?$/.exec(
          line,
        )
      expect(cells, line).not.toBeNull()
      expect({
        tenure: Number(cells![1]),
        monthly: cells![2],
        calls: Number(cells![3]),
        contract: cells![4],
        risk: cells![5],
        flagged: cells![6] !== undefined,
      }).toEqual({
        tenure: row.tenure,
        monthly: row.monthlyCharges.toFixed(2),
        calls: row.supportCalls,
        contract: contracts[row.contract],
        risk: (probability * 100).toFixed(1),
        flagged: probability >= 0.5,
      })
    })
    // Not a table of one kind: the rows mix flagged and unflagged customers.
    expect(table.some((line) => line.endsWith('← likely to churn'))).toBe(true)
    expect(table.some((line) => !line.endsWith('← likely to churn'))).toBe(true)
  }, 60_000)
})
