// The quickstart's pipelines: training produces a new version of the 'churn' model; inference serves
// whichever version is in production when it starts.
import { input, model, pipeline, step } from '@strata/sdk'
import { z } from 'zod'
import { type Customer, customers, type LabeledCustomer, labeled } from './data.js'
import { accuracy, type Classifier, predict, train } from './logistic-regression.js'

export const loadData = step(
  {
    name: 'load_data',
    params: z.object({ rows: z.number().int().min(50).default(1000), seed: z.number().int().default(7) }),
    artifacts: { output: { name: 'churn-dataset' } },
  },
  async (_inputs, ctx) => {
    const rows = labeled(ctx.params.rows, ctx.params.seed)
    ctx.logger.info(`generated ${rows.length} customers (seed ${ctx.params.seed})`)
    return rows
  },
)

export const splitData = step(
  {
    name: 'split_data',
    inputs: { dataset: input<LabeledCustomer[]>() },
    outputs: ['train', 'test'],
    params: z.object({ testShare: z.number().default(0.25) }),
  },
  async ({ dataset }, ctx) => {
    const cut = Math.round(dataset.length * (1 - ctx.params.testShare))
    return { train: dataset.slice(0, cut), test: dataset.slice(cut) }
  },
)

export const trainModel = step(
  {
    name: 'train_model',
    inputs: { train: input<LabeledCustomer[]>() },
    params: z.object({
      epochs: z.number().int().min(1).default(400),
      learningRate: z.number().positive().default(0.3),
      l2: z.number().min(0).default(0.001).describe('L2 regularisation strength'),
    }),
    artifacts: { output: { name: 'classifier', kind: 'model' } },
  },
  async ({ train: rows }, ctx) => {
    // No experimentTracker option: the default stack has no tracker, so the tracker is there only when the
    // run opts the step in (mlflow.yaml does).
    const tracker = ctx.experimentTracker
    tracker?.logParams({
      epochs: ctx.params.epochs,
      learningRate: ctx.params.learningRate,
      l2: ctx.params.l2,
    })
    const classifier = train(rows, {
      ...ctx.params,
      // Every 20th epoch's loss goes to the experiment tracker.
      ...(tracker
        ? { onEpoch: (epoch, loss) => epoch % 20 === 0 && tracker.logMetric('loss', loss, epoch) }
        : {}),
    })
    ctx.logger.info(`trained on ${rows.length} rows for ${ctx.params.epochs} epochs (L2 ${ctx.params.l2})`)
    return classifier
  },
)

export const evaluateModel = step(
  {
    name: 'evaluate_model',
    inputs: { classifier: input<Classifier>(), test: input<LabeledCustomer[]>() },
  },
  async ({ classifier, test }, ctx) => {
    const heldOut = accuracy(classifier, test)
    ctx.experimentTracker?.logMetrics({ accuracy: heldOut })
    // Lands on the step run and on the model version: promotion compares versions by it.
    ctx.logMetadata({ accuracy: heldOut, testRows: test.length })
    return { accuracy: heldOut }
  },
)

export const training = pipeline(
  {
    name: 'training',
    model: { name: 'churn' },
    params: z.object({
      epochs: z.number().int().default(400),
      learningRate: z.number().default(0.3),
      l2: z.number().default(0.001),
      seed: z.number().int().default(7),
    }),
  },
  ({ epochs, learningRate, l2, seed }) => {
    const { train: trainRows, test } = splitData({ dataset: loadData({ params: { seed } }) })
    const classifier = trainModel({ train: trainRows }, { params: { epochs, learningRate, l2 } })
    evaluateModel({ classifier, test })
  },
)

export const loadNewCustomers = step(
  {
    name: 'load_new_customers',
    params: z.object({ count: z.number().int().default(8), seed: z.number().int().default(42) }),
  },
  async (_inputs, ctx) => customers(ctx.params.count, ctx.params.seed),
)

export const predictChurn = step(
  {
    name: 'predict_churn',
    inputs: { customers: input<Customer[]>() },
    model: model<{ classifier: Classifier }>({ name: 'churn', version: 'production' }),
    artifacts: { output: { name: 'churn-predictions' } },
  },
  async ({ customers: rows }, ctx) => {
    const classifier = await ctx.model.loadArtifact('classifier')
    return rows.map((customer) => ({
      ...customer,
      churnProbability: predict(classifier, customer),
      modelVersion: ctx.model.number,
    }))
  },
)

export const inference = pipeline({ name: 'inference', cache: false }, () => {
  predictChurn({ customers: loadNewCustomers() })
})
