// The part of the spec that needs no dependency (no zod): errors, component types, pure helpers, and what
// lists, describes and masks flavors without importing them (the flavor catalog, JSON Schema fields, secret
// references). Start-up-critical code (the store, the CLI's fast paths such as `strata stack list` and
// `strata <type> flavor list`) imports `@strata/core/base` so that it does not pay for loading zod. The
// main entry re-exports the same modules, so both share one class.

export type {
  ArtifactBody,
  ArtifactCallOptions,
  ArtifactLeftover,
  ArtifactListEntry,
  ArtifactListOptions,
  ArtifactListPage,
  ArtifactReadWholeOptions,
  ArtifactStat,
  ArtifactStoreV1,
} from './artifact-store.js'
export { ArtifactStoreHost, artifactNotFound } from './artifact-store-host.js'
export { closestName } from './closest-name.js'
export { compareText } from './compare-text.js'
export {
  COMPONENT_TYPES,
  type ComponentCliName,
  type ComponentType,
  componentCliName,
  isComponentType,
  parseComponentType,
  REQUIRED_COMPONENT_TYPES,
} from './component-types.js'
export { maskConfig, resolveConfigSecrets, secretValuesOf } from './config-secrets.js'
export {
  errorMessage,
  isStrataError,
  StrataError,
  type StrataErrorCode,
  type StrataErrorOptions,
} from './errors.js'
export { type AnyFlavor, type FlavorContext, flavorId, type PluginDefinition } from './flavor.js'
export { FlavorCatalog, type FlavorEntry, type FlavorSource } from './flavor-catalog.js'
export {
  describeJsonSchemaFields,
  type JsonSchema,
  type JsonSchemaField,
  secretFieldPaths,
} from './json-schema.js'
export { type Logger, silentLogger } from './logger.js'
export { assertName, NAME_MAX_LENGTH, NAME_RULE, nameProblem } from './name-rule.js'
export { escapeControls, excerpt, findControlCharacter, QUOTE_LIMIT, quote } from './quote.js'
export {
  MASK,
  parseSecretReference,
  SECRET_KEYWORD,
  type SecretResolver,
} from './secret-reference.js'
