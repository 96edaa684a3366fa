import { StrataError } from '@strata/core'
import { invocationIdOf, markInvocation, outputHandle, type RuntimeHandle, runtimeHandle } from './handles.js'
import type { StepDefinition } from './step-definition.js'

/** Invocation options as the runtime sees them (types stripped). */
export interface RawInvocationOptions {
  params?: Record<string, unknown> | undefined
  after?: readonly unknown[] | undefined
  id?: string | undefined
}

const OPTION_NAMES = ['params', 'after', 'id']

/** One call of a step in a pipeline body. */
export interface Invocation {
  id: string
  definition: StepDefinition
  inputs: Record<string, RuntimeHandle>
  /** Parameters as passed in code (validated later, merged with the run config). */
  params: Record<string, unknown> | undefined
  /** Ids from `after:` (checked once the body has run, so forward references work). */
  after: string[]
}

let active: Compilation | undefined

/** The compilation whose pipeline body is running, if any. */
export function currentCompilation(): Compilation | undefined {
  return active
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return `an object (${Object.keys(value).slice(0, 3).join(', ') || 'empty'})`
  return `a ${typeof value}`
}

/**
 * Records the step calls of one run of a pipeline body. Calling a step appends an invocation and returns
 * handles; nothing executes. Every check that TypeScript makes is repeated here with a named error, for
 * code whose types were stripped (tsx, plain JavaScript).
 */
export class Compilation {
  readonly pipelineName: string
  readonly invocations: Invocation[] = []
  readonly #byId = new Map<string, Invocation>()
  readonly #uses = new Map<string, number>()

  constructor(pipelineName: string) {
    this.pipelineName = pipelineName
  }

  /** Runs `body` with this compilation active (bodies are synchronous, so nothing interleaves). */
  run<T>(body: () => T): T {
    const previous = active
    active = this
    try {
      return body()
    } finally {
      active = previous
    }
  }

  get(id: string): Invocation | undefined {
    return this.#byId.get(id)
  }

  /**
   * Records one call of a step: `(inputs, options?)`, or `(options?)` for a step without inputs (its
   * definition says which), and returns its output handles.
   */
  invoke(definition: StepDefinition, args: readonly unknown[]): unknown {
    const takesInputs = definition.inputs.length > 0
    if (!takesInputs && args.length > 1) {
      throw new StrataError(
        'INVALID_INVOCATION',
        `step '${definition.name}' in pipeline '${this.pipelineName}' has no inputs, so it takes its options first — ${definition.name}({ params, after, id }), not ${definition.name}({}, { ... })`,
      )
    }
    const inputs = (takesInputs ? args[0] : undefined) ?? {}
    const options = this.#options(definition, takesInputs ? args[1] : args[0])
    const id = this.#nextId(definition.name, options.id)
    const where = `step '${id}' in pipeline '${this.pipelineName}'`
    const resolved = this.#inputs(definition, id, inputs)
    const after: string[] = []
    for (const entry of options.after ?? []) {
      const upstream = invocationIdOf(entry)
      if (upstream === undefined) {
        throw new StrataError(
          'INVALID_AFTER',
          `${where}: 'after' takes step outputs, step call results or invocation ids — got ${describeValue(entry)}`,
        )
      }
      after.push(upstream)
    }
    const invocation: Invocation = { id, definition, inputs: resolved, params: options.params, after }
    this.invocations.push(invocation)
    this.#byId.set(id, invocation)

    if (definition.outputs === undefined) return outputHandle(id, 'output', this)
    const handles: Record<string, unknown> = {}
    for (const output of definition.outputs) handles[output] = outputHandle(id, output, this)
    return Object.freeze(markInvocation(handles, id))
  }

  /** Checks the inputs argument against the declared inputs: each one present, a handle, of this body. */
  #inputs(definition: StepDefinition, id: string, inputs: unknown): Record<string, RuntimeHandle> {
    const where = `step '${id}' in pipeline '${this.pipelineName}'`
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
      throw new StrataError(
        'INVALID_INPUTS',
        `${where}: inputs must be an object of handles, e.g. ${definition.name}({ ${definition.inputs[0]}: <handle> })`,
      )
    }
    const declared = new Set(definition.inputs)
    for (const key of Object.keys(inputs)) {
      if (!declared.has(key)) {
        throw new StrataError(
          'UNKNOWN_INPUT',
          `${where} has no input '${key}' — its inputs are: ${[...declared].join(', ') || 'none'}`,
          { details: { step: id, input: key } },
        )
      }
    }
    const resolved: Record<string, RuntimeHandle> = {}
    for (const name of definition.inputs) {
      if (!(name in inputs)) {
        throw new StrataError(
          'MISSING_INPUT',
          `${where} is missing input '${name}' — pass it: ${definition.name}({ ${name}: <handle>, ... })`,
          {
            details: { step: id, input: name },
          },
        )
      }
      const value = (inputs as Record<string, unknown>)[name]
      if (value === undefined) {
        throw new StrataError(
          'MISSING_INPUT',
          `${where}: input '${name}' is undefined — check the spelling of the output passed to it (outputs are the names in the producing step's 'outputs')`,
          { details: { step: id, input: name } },
        )
      }
      const handle = runtimeHandle(value)
      if (!handle) {
        throw new StrataError(
          'INVALID_INPUT',
          `${where}: input '${name}' must be another step's output or artifact(...), got ${describeValue(value)} — pass plain values as params`,
          { details: { step: id, input: name } },
        )
      }
      if (handle.kind === 'output' && (handle.compilation !== this || !this.#byId.has(handle.step))) {
        throw new StrataError(
          'DANGLING_INPUT',
          `${where}: input '${name}' is an output of step '${handle.step}' from another pipeline body — handles only live inside the body that made them`,
          { details: { step: id, input: name } },
        )
      }
      resolved[name] = handle
    }
    return resolved
  }

  /** Checks the options argument; on a step without inputs, a handle in it is an unknown input. */
  #options(definition: StepDefinition, options: unknown): RawInvocationOptions {
    const where = `step '${definition.name}' in pipeline '${this.pipelineName}'`
    if (options === undefined) return {}
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new StrataError(
        'INVALID_OPTIONS',
        `${where}: options must be an object ({ params, after, id }), got ${describeValue(options)}`,
      )
    }
    for (const [key, value] of Object.entries(options)) {
      if (OPTION_NAMES.includes(key)) continue
      if (definition.inputs.length === 0 && runtimeHandle(value)) {
        throw new StrataError('UNKNOWN_INPUT', `${where} has no input '${key}' — it has no inputs`, {
          details: { step: definition.name, input: key },
        })
      }
      throw new StrataError(
        'INVALID_OPTIONS',
        `${where}: unknown option '${key}' — the options are ${OPTION_NAMES.join(', ')}`,
      )
    }
    return options as RawInvocationOptions
  }

  #nextId(name: string, explicit: string | undefined): string {
    if (explicit !== undefined) {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(explicit) || this.#byId.has(explicit)) {
        throw new StrataError(
          'DUPLICATE_STEP_ID',
          `pipeline '${this.pipelineName}': invocation id '${explicit}' is ${this.#byId.has(explicit) ? 'already used' : 'invalid'} — give each call a unique id of letters, digits, '_', '-' and '.'`,
        )
      }
      return explicit
    }
    let count = this.#uses.get(name) ?? 0
    let id: string
    do {
      count++
      id = count === 1 ? name : `${name}_${count}`
    } while (this.#byId.has(id))
    this.#uses.set(name, count)
    return id
  }
}
