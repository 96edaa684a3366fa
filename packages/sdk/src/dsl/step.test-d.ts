import type { StepTracking } from '@strata/core'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { artifact, type OutputHandle } from './handles.js'
import { input } from './input.js'
import { model } from './model.js'
import { pipeline } from './pipeline.js'
import { step } from './step.js'

type Row = { x: number; y: number }
class Model {
  weights = [1]
}

const load = step(
  { name: 'load', params: z.object({ rows: z.number().default(10) }) },
  async (_inputs, ctx) => {
    expectTypeOf(ctx.params).toEqualTypeOf<{ rows: number }>()
    return Array.from({ length: ctx.params.rows }, (_, x): Row => ({ x, y: x }))
  },
)
const split = step(
  { name: 'split', inputs: { dataset: input<Row[]>() }, outputs: ['train', 'test'] },
  async ({ dataset }) => {
    expectTypeOf(dataset).toEqualTypeOf<Row[]>()
    return { train: dataset, test: dataset }
  },
)
const train = step(
  { name: 'train', inputs: { train: input<Row[]>() }, params: z.object({ lr: z.number() }) },
  async (inputs, ctx) => {
    expectTypeOf(inputs).toEqualTypeOf<{ train: Row[] }>()
    expectTypeOf(ctx.params).toEqualTypeOf<{ lr: number }>()
    return new Model()
  },
)
const evaluate = step(
  { name: 'evaluate', inputs: { model: input<Model>(), test: input<Row[]>() } },
  async ({ model, test }) => ({ accuracy: test.length * model.weights.length }),
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
      expectTypeOf(evaluate({ model, test })).toEqualTypeOf<OutputHandle<{ accuracy: number }>>()
      // An existing artifact version is an input of the declared type.
      evaluate({ model: artifact<Model>('classifier', { version: 2 }), test })
    })
  })

  it('calls a step without inputs with its options directly', () => {
    pipeline({ name: 'options' }, () => {
      const dataset = load({ params: { rows: 5 }, id: 'small' })
      report({ after: [dataset] })
      report({ after: ['small'], id: 'again' })
      // @ts-expect-error a step without inputs takes no inputs argument
      load({}, { params: { rows: 5 } })
      // @ts-expect-error a parameter of the wrong type
      load({ params: { rows: 'ten' } })
      // @ts-expect-error an unknown parameter
      load({ params: { row: 5 } })
      // @ts-expect-error a handle where an option is expected: the step has no inputs
      report({ dataset })
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
      // @ts-expect-error unknown input
      evaluate({ model, test, labels: test })
      // @ts-expect-error a step with inputs needs them
      evaluate()
      // @ts-expect-error misspelled output
      split({ dataset }).tarin
      // @ts-expect-error a handle where a parameter is expected
      train({ train: trainSet }, { params: { lr: model } })
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

  it('types the function from the declared inputs, and only from them', () => {
    // @ts-expect-error 'b' is not a declared input
    step({ name: 'bad', inputs: { a: input<number>() } }, async ({ a, b }) => a + b)
    step({ name: 'typed', inputs: { a: input<number>() } }, async ({ a }) => {
      // @ts-expect-error 'a' is a number
      a.toUpperCase()
      return a
    })
    // @ts-expect-error inputs are declared with input<T>(), not listed by name
    step({ name: 'listed', inputs: ['a'] }, async () => 1)
    // @ts-expect-error declared outputs must be returned
    step({ name: 'bad2', outputs: ['x', 'y'] }, async () => ({ x: 1 }))
  })

  it('types step.call like the step', async () => {
    expectTypeOf(await split.call({ dataset: [{ x: 1, y: 2 }] })).toEqualTypeOf<
      { train: unknown; test: unknown } & { train: Row[]; test: Row[] }
    >()
    expectTypeOf(await load.call({ rows: 3 })).toEqualTypeOf<Row[]>()
    await load.call()
    await train.call({ train: [] }, { lr: 0.1 })
    // @ts-expect-error a step without inputs takes its parameters first
    await load.call({}, { rows: 3 })
    // @ts-expect-error a missing input
    await evaluate.call({ model: new Model() })
  })

  it('refuses an async pipeline body', () => {
    // @ts-expect-error pipeline bodies are synchronous
    pipeline({ name: 'async' }, async () => {
      load()
    })
  })
})

describe('the experiment tracker', () => {
  it('is present when the step declares it', () => {
    step({ name: 'tracked', experimentTracker: true }, async (_inputs, ctx) => {
      expectTypeOf(ctx.experimentTracker).toEqualTypeOf<StepTracking>()
      ctx.experimentTracker.logMetric('loss', 0.1)
    })
    step({ name: 'named', experimentTracker: 'mlflow' }, async (_inputs, ctx) => {
      expectTypeOf(ctx.experimentTracker).toEqualTypeOf<StepTracking>()
    })
  })

  it('may be absent otherwise (a pipeline or run config may opt the step in)', () => {
    step({ name: 'untracked' }, async (_inputs, ctx) => {
      expectTypeOf(ctx.experimentTracker).toEqualTypeOf<StepTracking | undefined>()
      // @ts-expect-error possibly undefined
      ctx.experimentTracker.logMetric('loss', 0.1)
      ctx.experimentTracker?.logMetric('loss', 0.1)
    })
    step({ name: 'off', experimentTracker: false }, async (_inputs, ctx) => {
      expectTypeOf(ctx.experimentTracker).toEqualTypeOf<StepTracking | undefined>()
    })
    const flag: boolean = Math.random() > 0.5
    step({ name: 'maybe', experimentTracker: flag }, async (_inputs, ctx) => {
      expectTypeOf(ctx.experimentTracker).toEqualTypeOf<StepTracking | undefined>()
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
