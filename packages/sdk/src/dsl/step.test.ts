import { escapeControls } from '@strata/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { input } from './input.js'
import { pipeline } from './pipeline.js'
import { step } from './step.js'

// Steps declared and called the way code with stripped types (tsx, plain JavaScript) may do it.
const loose = (fn: unknown) => fn as (...args: unknown[]) => unknown

/** A StrataError with this code (and message). */
const refusal = (code: string, message?: string) =>
  expect.objectContaining(message === undefined ? { code } : { code, message })

const load = step({ name: 'load', params: z.object({ rows: z.number().default(3) }) }, async (_inputs, ctx) =>
  Array.from({ length: ctx.params.rows }, (_, index) => index),
)
const total = step(
  { name: 'total', inputs: { numbers: input<number[]>(), more: input<number[]>() } },
  async ({ numbers, more }) => [...numbers, ...more].reduce((sum, value) => sum + value, 0),
)

describe('step(): inputs declared once', () => {
  it('keeps the input names, in declaration order, as the runtime sees them', () => {
    expect(total.definition.inputs).toEqual(['numbers', 'more'])
    expect(load.definition.inputs).toEqual([])
  })

  it('refuses inputs listed by name, with the new form as the fix', () => {
    expect(() => loose(step)({ name: 'old', inputs: ['dataset'] }, async () => 1)).toThrow(
      refusal(
        'INVALID_STEP',
        "step 'old': inputs is a list of names — declare each input once, with its type: inputs: { dataset: input<Row[]>() }",
      ),
    )
  })

  it('refuses an input not declared with input<T>(), and an invalid input name', () => {
    expect(() => loose(step)({ name: 'bad', inputs: { dataset: 'Row[]' } }, async () => 1)).toThrow(
      refusal(
        'INVALID_STEP',
        "step 'bad': input 'dataset' must be declared with input<T>() — e.g. inputs: { dataset: input<Row[]>() }",
      ),
    )
    expect(() => step({ name: 'bad', inputs: { '1st': input<number>() } }, async () => 1)).toThrow(
      refusal('INVALID_STEP'),
    )
  })
})

describe('names in code: control characters are refused, quoted inertly', () => {
  const hostile = ['\u001b[31mred', '\u001b]0;pwned\u0007', 'a\rb', '\u009b2J', 'abc\u202edef']
  const fn = async () => 1

  it.each(hostile)('refuses %j as a step, pipeline, output, artifact or model name', (name) => {
    const escaped = escapeControls(name)
    expect(() => step({ name }, fn)).toThrow(
      refusal('INVALID_STEP', expect.stringContaining(`step name '${escaped}' is invalid`)),
    )
    expect(() => pipeline({ name }, () => {})).toThrow(
      refusal('INVALID_PIPELINE', expect.stringContaining(`pipeline name '${escaped}' is invalid`)),
    )
    expect(() => step({ name: 's', outputs: [name] }, fn as never)).toThrow(
      refusal(
        'INVALID_STEP',
        expect.stringContaining(`step 's': output name '${escaped}' contains the control character`),
      ),
    )
    expect(() => step({ name: 's', artifacts: { output: { name } } }, fn)).toThrow(
      refusal(
        'INVALID_STEP',
        expect.stringContaining(
          `artifact name '${escaped}' of output 'output' contains the control character`,
        ),
      ),
    )
    const modelled = step({ name: 'modelled', model: { name } }, fn)
    expect(() => pipeline({ name: 'p' }, () => modelled()).compile()).toThrow(
      refusal(
        'INVALID_NAME',
        expect.stringContaining(
          `step 'modelled' in pipeline 'p': invalid model name '${escaped}': it contains`,
        ),
      ),
    )
  })
})

describe('calling a step in a pipeline body', () => {
  const compile = (body: () => void) => pipeline({ name: 'p' }, body).compile()

  it('passes a step without inputs its options directly', () => {
    const compiled = compile(() => {
      const numbers = load({ params: { rows: 5 }, id: 'five' })
      total({ numbers, more: load() }, { after: ['five'] })
    })
    expect(compiled.steps.map((compiledStep) => [compiledStep.id, compiledStep.parameters])).toEqual([
      ['five', { rows: 5 }],
      ['load', { rows: 3 }],
      ['total', {}],
    ])
  })

  it('refuses the old (inputs, options) call of a step without inputs, naming the fix', () => {
    expect(() => compile(() => loose(load)({}, { params: { rows: 5 } }))).toThrow(
      refusal(
        'INVALID_INVOCATION',
        "step 'load' in pipeline 'p' has no inputs, so it takes its options first — load({ params, after, id }), not load({}, { ... })",
      ),
    )
  })

  it('refuses unknown options, and a handle passed to a step without inputs', () => {
    expect(() => compile(() => loose(load)({ param: { rows: 5 } }))).toThrow(
      refusal(
        'INVALID_OPTIONS',
        "step 'load' in pipeline 'p': unknown option 'param' — the options are params, after, id",
      ),
    )
    expect(() => compile(() => loose(load)({ numbers: load() }))).toThrow(refusal('UNKNOWN_INPUT'))
    expect(() => compile(() => loose(total)({ numbers: load(), more: load() }, { parms: {} }))).toThrow(
      refusal('INVALID_OPTIONS'),
    )
  })
})

describe('step.call', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('takes the parameters first for a step without inputs', async () => {
    expect(await load.call()).toEqual([0, 1, 2])
    expect(await load.call({ rows: 2 })).toEqual([0, 1])
    expect(await total.call({ numbers: [1, 2], more: [10] })).toBe(13)
    await expect(loose(load.call)({}, { rows: 2 })).rejects.toThrow(
      refusal(
        'INVALID_CALL',
        "step 'load' has no inputs, so .call takes its parameters first — load.call(params)",
      ),
    )
  })

  it('gives a step that declares a tracker one that prints, and any other step none', async () => {
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {})
    const tracked = step({ name: 'tracked', experimentTracker: true }, async (_inputs, ctx) => {
      ctx.experimentTracker.logMetric('loss', 0.5, 3)
      return ctx.experimentTracker.runId
    })
    const untracked = step({ name: 'untracked' }, async (_inputs, ctx) => ctx.experimentTracker)
    expect(await tracked.call()).toBe('direct-call')
    expect(debug).toHaveBeenCalledWith('[tracked] experiment tracker: loss = 0.5 at step 3')
    expect(await untracked.call()).toBeUndefined()
  })
})
