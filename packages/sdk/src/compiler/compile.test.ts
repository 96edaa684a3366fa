import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { artifact } from '../dsl/handles.js'
import { input } from '../dsl/input.js'
import { pipeline } from '../dsl/pipeline.js'
import { step } from '../dsl/step.js'
import { compilePipeline } from './compile.js'
import { loadRunConfig } from './run-config.js'

const source = step(
  { name: 'source', params: z.object({ n: z.number().default(1) }) },
  async (_inputs, ctx) => ctx.params.n,
)
const double = step(
  {
    name: 'double',
    inputs: { value: input<number>() },
    params: z.object({ factor: z.number().default(2) }),
    retry: { maxRetries: 1 },
    settings: { 'orchestrator.local': { isolation: 'inline', level: 'step' } },
  },
  async ({ value }, ctx) => value * ctx.params.factor,
)
const sink = step({ name: 'sink', outputs: [] }, async () => {})

// Steps called the way code with stripped types (tsx, plain JavaScript) may call them.
const loose = (fn: unknown) => fn as (...args: unknown[]) => unknown

const configured = pipeline(
  {
    name: 'configured',
    params: z.object({ n: z.number() }),
    cache: false,
    retry: { maxRetries: 5, delay: 10 },
    settings: { 'orchestrator.local': { level: 'pipeline', concurrency: 4 } },
  },
  ({ n }) => {
    const value = source({ params: { n } })
    double({ value }, { params: { factor: 3 } })
  },
)

function errorOf(fn: () => unknown): { code?: string; message: string } {
  try {
    fn()
  } catch (error) {
    return error as { code?: string; message: string }
  }
  throw new Error('expected an error')
}

function bodyError(body: () => void): { code?: string; message: string } {
  return errorOf(() => pipeline({ name: 'p' }, body).compile())
}

describe('compilePipeline: configuration precedence', () => {
  it('step beats pipeline within the code', () => {
    const [, doubled] = configured.compile({ params: { n: 5 } }).steps
    expect(doubled!.retry).toEqual({ maxRetries: 1, delay: 10, backoff: 1 })
    expect(doubled!.cache.enabled).toBe(false)
    expect(doubled!.settings).toEqual({
      'orchestrator.local': { isolation: 'inline', level: 'step', concurrency: 4 },
    })
    expect(doubled!.parameters).toEqual({ factor: 3 })
  })

  it('the run config file beats the code, run() arguments beat the file, step level beats pipeline level', () => {
    const compiled = compilePipeline(configured.definition, {
      params: { n: 7 },
      file: {
        source: 'run.yaml',
        config: {
          parameters: { n: 6 },
          cache: true,
          settings: { 'orchestrator.local': { level: 'file' } },
          steps: {
            double: { retry: { maxRetries: 2 }, settings: { 'orchestrator.local': { level: 'file-step' } } },
          },
        },
      },
      args: {
        settings: { 'orchestrator.local': { level: 'args' } },
        steps: { double: { retry: { delay: 99 } } },
      },
    })
    expect(compiled.parameters).toEqual({ n: 7 })
    const doubled = compiled.steps[1]!
    expect(doubled.cache.enabled).toBe(true)
    expect(doubled.retry).toEqual({ maxRetries: 2, delay: 99, backoff: 1 })
    expect(doubled.settings['orchestrator.local']).toEqual({
      isolation: 'inline',
      level: 'args',
      concurrency: 4,
    })
    expect(compiled.steps[0]!.parameters).toEqual({ n: 7 })
  })

  it('lets configuration opt a step in to the experiment tracker, but not out when its code declares one', () => {
    const tracked = step({ name: 'tracked', experimentTracker: true }, async (_inputs, ctx) => {
      ctx.experimentTracker.logMetric('loss', 1)
    })
    const body = () => {
      tracked()
      source()
    }
    const file = (steps: Record<string, { experimentTracker: boolean }>) => ({
      file: { source: 'run.yaml', config: { steps } },
    })
    const compiled = compilePipeline(
      pipeline({ name: 'p' }, body).definition,
      file({ source: { experimentTracker: true } }),
    )
    expect(compiled.steps.map((compiledStep) => compiledStep.experimentTracker)).toEqual([true, true])
    expect(
      errorOf(() =>
        compilePipeline(
          pipeline({ name: 'p' }, body).definition,
          file({ tracked: { experimentTracker: false } }),
        ),
      ),
    ).toMatchObject({
      code: 'CONFLICTING_EXPERIMENT_TRACKER',
      message:
        "step 'tracked' in pipeline 'p' declares experimentTracker: true in code, so its ctx.experimentTracker is always present, but run.yaml sets it to false — remove one of the two",
    })
  })

  it('refuses a step parameter set differently in code and in the run config', () => {
    const error = errorOf(() =>
      compilePipeline(configured.definition, {
        params: { n: 1 },
        file: { source: 'run.yaml', config: { steps: { double: { parameters: { factor: 4 } } } } },
      }),
    )
    expect(error.code).toBe('CONFLICTING_PARAMETER')
    expect(error.message).toBe(
      "step 'double' in pipeline 'configured': parameter 'factor' is 3 in code but 4 in run.yaml — set it in one place",
    )
    // The same value in both places is fine.
    expect(() =>
      compilePipeline(configured.definition, {
        params: { n: 1 },
        file: { source: 'run.yaml', config: { steps: { double: { parameters: { factor: 3 } } } } },
      }),
    ).not.toThrow()
  })

  it('names invalid parameters and unknown steps in the run config', () => {
    expect(errorOf(() => configured.compile()).message).toMatch(
      /^pipeline 'configured': parameters are invalid: n: Invalid input/,
    )
    const unknown = errorOf(() =>
      compilePipeline(configured.definition, {
        params: { n: 1 },
        file: { source: 'run.yaml', config: { steps: { dubble: {} } } },
      }),
    )
    expect(unknown.message).toBe(
      "run config names step 'dubble', which pipeline 'configured' does not have — its steps are: source, double",
    )
  })

  it('reads and validates YAML run config files', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'strata-run-config-'))
    try {
      await writeFile(
        join(directory, 'good.yaml'),
        'parameters:\n  n: 3\nsteps:\n  double:\n    cache: false\n',
      )
      await writeFile(join(directory, 'bad.yaml'), 'parameters: [unclosed\n')
      await writeFile(join(directory, 'unknown.yaml'), 'paramters:\n  n: 3\n')
      expect(await loadRunConfig('good.yaml', directory)).toEqual({
        parameters: { n: 3 },
        steps: { double: { cache: false } },
      })
      await expect(loadRunConfig('bad.yaml', directory)).rejects.toThrow(
        /is not valid YAML: .* — fix the syntax/,
      )
      await expect(loadRunConfig('unknown.yaml', directory)).rejects.toThrow(
        "unknown key(s) paramters — see 'strata pipeline config-schema' for the allowed keys",
      )
      await expect(loadRunConfig('missing.yaml', directory)).rejects.toThrow('cannot read run config')
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })
})

describe('compilePipeline: the graph', () => {
  it('gives repeated steps distinct ids and orders by dependencies', () => {
    const compiled = pipeline({ name: 'repeat' }, () => {
      const one = source()
      const two = source({ params: { n: 2 } })
      double({ value: two }, { id: 'twice' })
      double({ value: one })
      sink({ after: [one, 'twice'] })
    }).compile()
    expect(compiled.steps.map((step) => step.id)).toEqual(['source', 'source_2', 'twice', 'double', 'sink'])
    expect(compiled.steps[4]!.upstream).toEqual(['source', 'twice'])
    expect(compiled.steps[1]!.outputs.output!.artifactName).toBe('repeat::source_2::output')
  })

  it('refuses cycles, naming them', () => {
    const error = bodyError(() => {
      sink({ id: 'a', after: ['b'] })
      sink({ id: 'b', after: ['c'] })
      sink({ id: 'c', after: ['a'] })
    })
    expect(error.code).toBe('PIPELINE_CYCLE')
    expect(error.message).toMatch(
      /^pipeline 'p' has a cycle: (a → c → b → a|b → a → c → b|c → b → a → c) — remove one of these 'after' dependencies$/,
    )
  })

  it('refuses dangling inputs and unknown after targets', () => {
    let leaked: unknown
    pipeline({ name: 'first' }, () => {
      leaked = source()
    }).compile()
    expect(bodyError(() => double({ value: leaked as never })).code).toBe('DANGLING_INPUT')
    expect(bodyError(() => sink({ after: ['nowhere'] })).message).toBe(
      "step 'sink' in pipeline 'p' runs after 'nowhere', which is not a step of this pipeline — use the id of a step called in the body",
    )
  })

  it('refuses mis-wiring TypeScript would have caught, with named errors', () => {
    expect(bodyError(() => loose(double)({})).message).toBe(
      "step 'double' in pipeline 'p' is missing input 'value' — pass it: double({ value: <handle>, ... })",
    )
    expect(bodyError(() => loose(double)({ value: source(), extra: source() })).message).toBe(
      "step 'double' in pipeline 'p' has no input 'extra' — its inputs are: value",
    )
    expect(
      bodyError(() => loose(double)({ value: (source() as unknown as Record<string, unknown>).tarin })).code,
    ).toBe('MISSING_INPUT')
    expect(bodyError(() => loose(double)({ value: 42 })).message).toBe(
      "step 'double' in pipeline 'p': input 'value' must be another step's output or artifact(...), got a number — pass plain values as params",
    )
    expect(bodyError(() => loose(source)({ params: { n: 'one' } })).code).toBe('INVALID_PARAMETERS')
    expect(bodyError(() => loose(source)({ params: { n: 1, m: 2 } })).code).toBe('INVALID_PARAMETERS')
  })

  it('refuses async bodies, empty bodies, and steps called outside a body', () => {
    expect(
      errorOf(() =>
        pipeline({ name: 'p' }, (async () => {
          source()
        }) as never).compile(),
      ).code,
    ).toBe('ASYNC_PIPELINE_BODY')
    expect(bodyError(() => {}).code).toBe('EMPTY_PIPELINE')
    expect(errorOf(() => source()).message).toBe(
      "step 'source' was called outside a pipeline body — call it inside pipeline(...)'s body, or use source.call(params) to run the function directly",
    )
  })

  it('keeps artifact inputs for the run to resolve', () => {
    const compiled = pipeline({ name: 'p' }, () => {
      double({ value: artifact<number>('numbers', { version: 3 }) })
    }).compile()
    expect(compiled.steps[0]!.inputs).toEqual({ value: { kind: 'artifact', name: 'numbers', version: 3 } })
    expect(compiled.steps[0]!.upstream).toEqual([])
  })

  // How fast (≤ 1 s, and linear: 10× the steps ≈ 10× the time) is measured by `pnpm bench`, not here.
  it('compiles a 10,000-step chain, each step wired to the one before', () => {
    const length = 10_000
    const chain = pipeline({ name: 'chain' }, () => {
      let value = source()
      for (let index = 1; index < length; index++) value = double({ value })
    })
    const { steps } = chain.compile()
    expect(steps).toHaveLength(length)
    expect(steps.every((step, index) => index === 0 || step.upstream[0] === steps[index - 1]?.id)).toBe(true)
  })
})

describe('step.call', () => {
  it('runs the function directly with validated parameters', async () => {
    expect(await double.call({ value: 4 }, { factor: 5 })).toBe(20)
    expect(await double.call({ value: 4 })).toBe(8)
    await expect(double.call({ value: 4 }, { factor: 'x' as never })).rejects.toThrow(
      "step 'double': parameters are invalid",
    )
  })
})
