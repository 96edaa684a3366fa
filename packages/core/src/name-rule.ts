import { StrataError } from './errors.js'
import { findControlCharacter, quote } from './quote.js'

/** The longest name Strata accepts where a name has no stricter rule of its own (models, runs, artifacts, ...). */
export const NAME_MAX_LENGTH = 255

// Half of a UTF-16 surrogate pair without the other half: no file, argument or store can hold it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** The rule every name a user gives keeps, as errors state it. */
export const NAME_RULE = `a name is 1 to ${NAME_MAX_LENGTH} characters without control characters (C0, DEL, C1) or bidirectional overrides`

/**
 * What is wrong with a name, or `undefined` when it keeps {@link NAME_RULE}: `is empty`, `is 300
 * characters long`, `contains the control character \u001b (at 0)`, `is not well-formed Unicode`.
 * Names with stricter rules (stacks, components, secrets, pipelines, steps) check those too.
 */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty'
  if (name.length > NAME_MAX_LENGTH) return `is ${name.length} characters long`
  const control = findControlCharacter(name)
  if (control) return `contains the control character ${control.escaped} (at ${control.index})`
  if (LONE_SURROGATE.test(name)) return 'is not well-formed Unicode (a lone surrogate)'
  return undefined
}

/**
 * Checks a name a user gave against {@link NAME_RULE}.
 * @param field what the name is, for the message: `model name`, `run name`
 * @param where where it was given, starting the message: `step 'fit' in pipeline 'training'`
 * @throws StrataError `INVALID_NAME` naming the field, the problem and the rule
 */
export function assertName(field: string, name: unknown, where?: string): asserts name is string {
  const problem = typeof name === 'string' ? nameProblem(name) : `is a ${typeof name}, not a string`
  if (problem === undefined) return
  throw new StrataError(
    'INVALID_NAME',
    `${where ? `${where}: ` : ''}invalid ${field} ${quote(name)}: it ${problem} — ${NAME_RULE}`,
    { details: { field } },
  )
}
