// The part of the spec that needs no dependency (no zod): errors, component types and pure helpers.
// Start-up-critical code (the store, the CLI's fast paths such as `strata stack list`) imports
// `@strata/core/base` so that it does not pay for loading zod. The main entry re-exports the same
// modules, so both share one class.
export { closestName } from './closest-name.js'
export {
  COMPONENT_TYPES,
  type ComponentCliName,
  type ComponentType,
  componentCliName,
  isComponentType,
  parseComponentType,
  REQUIRED_COMPONENT_TYPES,
} from './component-types.js'
export {
  errorMessage,
  isStrataError,
  StrataError,
  type StrataErrorCode,
  type StrataErrorOptions,
} from './errors.js'
export { assertName, NAME_MAX_LENGTH, NAME_RULE, nameProblem } from './name-rule.js'
export { escapeControls, excerpt, findControlCharacter, QUOTE_LIMIT, quote } from './quote.js'
