import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { artifact, type OutputHandle } from './handles.js'
import { model } from './model.js'
import { pipeline } from './pipeline.js'
import { step } from './step.js'

type Row = { x: number; y: number }
class Model {
  weights = [1]
}

const load = step(
  { name: 'load', params: z.object({ rows: z.number().default(10) }) },
  async (_inputs, ctx) => Array.from({ length: ctx.params.rows }, (_, x): Row => ({ x, y: x })),
)
const split = step(
  { name: 'split', inputs: ['dataset'], outputs: ['train', 'test'] },
  async ({ dataset }: { dataset: Row[] }) => ({ train: dataset, test: dataset }),
)
const train = step(
  { name: 'train', inputs: ['train'], params: z.object({ lr: z.number() }) },
  async (_inputs: { train: Row[] }, ctx) => {
    expectTypeOf(ctx.params).toEqualTypeOf<{ lr: number }>()
    return new Model()
  },
)
const evaluate = step(
  { name: 'evaluate', inputs: ['model', 'test'] },
  async ({ model, test }: { model: Model; test: Row[] }) => ({
    accuracy: test.length * model.weights.length,
  }),
)
const report = step({ name: 'report', outputs: [] }, async () => {})

describe('the pipeline DSL', () => {
  it('types handles by the values they carry', () => {
    pipeline({ name: 'typed' }, () => {
      const dataset = load()
      expectTypeOf(dataset).toEqualTypeOf<OutputHandle<Row[]>>()
      const { train: trainSet, test } = split({ dataset })
      expectTypeOf(trainSet).toEqualTypeOf<OutputHandle<Row[]>>()
      const model = train({ train: trainSet }, { params: { lr: 0.1 } })
      expectTypeOf(model).toEqualTypeOf<OutputHandle<Model>>()
      evaluate({ model, test })
      // An existing artifact version is an input of the declared type.
      evaluate({ model: artifact<Model>('classifier', { version: 2 }), test })
      report({}, { after: [model] })
    })
  })

  it('refuses mis-wiring at compile time', () => {
    pipeline({ name: 'miswired' }, () => {
      const dataset = load()
      const { train: trainSet, test } = split({ dataset })
      const model = train({ train: trainSet }, { params: { lr: 0.1 } })
      // @ts-expect-error wrong artifact type: a Row[] where a Model is expected
      evaluate({ model: trainSet, test })
      // @ts-expect-error missing input
      evaluate({ model })
      // @ts-expect-error extra input
      evaluate({ model, test, labels: test })
      // @ts-expect-error misspelled output
      split({ dataset }).tarin
      // @ts-expect-error a handle where a parameter is expected
      train({ train: trainSet }, { params: { lr: model } })
      // @ts-expect-error a parameter of the wrong type
      load({}, { params: { rows: 'ten' } })
      // @ts-expect-error a plain value where a handle is expected
      evaluate({ model: new Model(), test })
    })
  })

  it('refuses await on a handle', async () => {
    pipeline({ name: 'awaited' }, () => {
      const dataset = load()
      return async () => {
        // @ts-expect-error a handle is not a promise
        await dataset
      }
    })
  })

  it('refuses steps whose declared inputs or outputs disagree with the function', () => {
    // @ts-expect-error 'inputs' must list every input of the function
    step({ name: 'bad', inputs: ['a'] }, async ({ a, b }: { a: number; b: number }) => a + b)
    // @ts-expect-error declared outputs must be returned
    step({ name: 'bad2', outputs: ['x', 'y'] }, async () => ({ x: 1 }))
  })

  it('refuses an async pipeline body', () => {
    // @ts-expect-error pipeline bodies are synchronous
    pipeline({ name: 'async' }, async () => {
      load()
    })
  })
})

describe('models', () => {
  it('types the artifacts a step loads from its model', () => {
    step(
      {
        name: 'serve',
        model: model<{ classifier: Model; threshold: number }>({ name: 'churn', version: 'production' }),
      },
      async (_inputs, ctx) => {
        expectTypeOf(ctx.model.loadArtifact('classifier')).toEqualTypeOf<Promise<Model>>()
        expectTypeOf(ctx.model.loadArtifact('threshold')).toEqualTypeOf<Promise<number>>()
        // @ts-expect-error the model has no artifact of that name
        ctx.model.loadArtifact('classifer')
        return ctx.model.number
      },
    )
  })
})
