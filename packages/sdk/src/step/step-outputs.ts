import { type StepSnapshot, StrataError } from '@strata/core'
import type { StepDefinition } from '../dsl/step.js'

/** The step's return value as its outputs by name, checked against what it declares. */
export function outputValues(
  step: StepSnapshot,
  definition: StepDefinition,
  result: unknown,
): Record<string, unknown> {
  const names = Object.keys(step.outputs)
  const where = `step '${step.id}'`
  if (definition.outputs === undefined) {
    if (result === undefined) {
      throw new StrataError(
        'MISSING_OUTPUT',
        `${where} returned nothing — return its output, or declare outputs: [] for a step without outputs`,
      )
    }
    return { output: result }
  }
  if (names.length === 0) return {}
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new StrataError(
      'MISSING_OUTPUT',
      `${where} must return an object with its outputs ${names.join(', ')}`,
    )
  }
  const values = result as Record<string, unknown>
  for (const name of names) {
    if (values[name] === undefined) {
      throw new StrataError(
        'MISSING_OUTPUT',
        `${where} returned no output '${name}' — return { ${names.join(', ')} }`,
      )
    }
  }
  for (const key of Object.keys(values)) {
    if (!names.includes(key)) {
      throw new StrataError(
        'UNKNOWN_OUTPUT',
        `${where} returned '${key}', which is not one of its outputs (${names.join(', ')}) — declare it in outputs`,
      )
    }
  }
  return values
}
