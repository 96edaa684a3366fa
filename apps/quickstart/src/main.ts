// `pnpm quickstart`: trains the churn model twice, promotes a version only when it beats production,
// then serves production on new customers. Everything runs on the embedded default stack.
import { fileURLToPath } from 'node:url'
import { Client, isStrataError } from '@strata/sdk'
import { inference, training } from './pipelines.js'

export interface TrainingSettings {
  epochs: number
  learningRate: number
  /** L2 regularisation; the second quickstart run over-regularises on purpose. */
  l2: number
}

export interface QuickstartOptions {
  /** Where to print. @default console.log */
  say?: (line: string) => void
  /** A run configuration file for the training runs, e.g. `mlflow.yaml` (tracks them in MLflow). */
  config?: string
  /** The two training runs' settings. The second is deliberately over-regularised (worse). */
  runs?: [TrainingSettings, TrainingSettings]
}

export interface Prediction {
  tenure: number
  monthlyCharges: number
  supportCalls: number
  contract: number
  churnProbability: number
  modelVersion: number
}

export interface QuickstartResult {
  trained: Array<{ version: number; accuracy: number; promoted: boolean }>
  production: { version: number; accuracy: number }
  predictions: Prediction[]
}

async function productionAccuracy(
  client: Client,
): Promise<{ version: number; accuracy: number } | undefined> {
  try {
    const production = await client.getModelVersion('churn', 'production')
    return { version: production.number, accuracy: Number(production.metadata.accuracy) }
  } catch (error) {
    if (isStrataError(error) && (error.code === 'MODEL_STAGE_EMPTY' || error.code === 'MODEL_NOT_FOUND'))
      return undefined
    throw error
  }
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`

export async function quickstart(options: QuickstartOptions = {}): Promise<QuickstartResult> {
  const say = options.say ?? ((line: string) => console.log(line))
  const runs = options.runs ?? [
    { epochs: 400, learningRate: 0.3, l2: 0.001 },
    { epochs: 400, learningRate: 0.3, l2: 5 },
  ]
  // The quickstart is its own project (its package.json lists the integrations it may use).
  const client = await Client.open({ projectRoot: fileURLToPath(new URL('..', import.meta.url)) })
  const quiet = { environment: await client.environment(), output: (line: string) => say(`  ${line}`) }
  try {
    const trained: QuickstartResult['trained'] = []
    for (const settings of runs) {
      say(
        `\n▶ training (epochs ${settings.epochs}, learning rate ${settings.learningRate}, L2 ${settings.l2})`,
      )
      const run = await training.run({
        ...quiet,
        params: settings,
        ...(options.config ? { config: options.config } : {}),
      })
      if (run.status !== 'completed') throw new Error(`training run ${run.name} ${run.status}: ${run.error}`)
      const version = await client.getModelVersion(
        'churn',
        (await client.getRun(run.id)).snapshot.model!.number,
      )
      const accuracy = Number(version.metadata.accuracy)
      const production = await productionAccuracy(client)
      const promoted = production === undefined || accuracy > production.accuracy
      if (promoted) {
        await client.setModelStage('churn', version.number, 'production', { force: true })
        say(
          `✔ churn v${version.number}: held-out accuracy ${percent(accuracy)} — promoted to production${production ? ` (beats v${production.version} at ${percent(production.accuracy)})` : ' (no production version yet)'}`,
        )
      } else {
        say(
          `✘ churn v${version.number}: held-out accuracy ${percent(accuracy)} — not promoted: production v${production.version} has ${percent(production.accuracy)}`,
        )
      }
      trained.push({ version: version.number, accuracy, promoted })
    }

    const production = (await productionAccuracy(client))!
    say(
      `\n▶ inference with the production model: churn v${production.version} (${percent(production.accuracy)})`,
    )
    const served = await inference.run(quiet)
    if (served.status !== 'completed')
      throw new Error(`inference run ${served.name} ${served.status}: ${served.error}`)
    const predictions = await client.loadArtifact<Prediction[]>('churn-predictions')
    say('\n tenure  monthly  calls  contract  churn risk')
    for (const row of predictions) {
      const contract = ['monthly', '1 year', '2 years'][row.contract]
      say(
        ` ${String(row.tenure).padStart(6)}  ${row.monthlyCharges.toFixed(2).padStart(7)}  ${String(row.supportCalls).padStart(5)}  ${contract!.padEnd(8)}  ${percent(row.churnProbability).padStart(6)}${row.churnProbability >= 0.5 ? '  ← likely to churn' : ''}`,
      )
    }
    say(
      `\nProduction model: churn v${production.version}. Explore with: pnpm strata model version list churn`,
    )
    return { trained, production, predictions }
  } finally {
    await client.close()
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const config = process.env.QUICKSTART_CONFIG
  quickstart(config ? { config } : {}).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  })
}
