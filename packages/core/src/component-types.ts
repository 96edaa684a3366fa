import { StrataError } from './errors.js'

/** Every stack component type ZenML knows, in ZenML's words. */
export const COMPONENT_TYPES = [
  'orchestrator',
  'artifact_store',
  'container_registry',
  'image_builder',
  'step_operator',
  'experiment_tracker',
  'model_registry',
  'model_deployer',
  'alerter',
  'annotator',
  'data_validator',
  'feature_store',
  'log_store',
  'deployer',
] as const

export type ComponentType = (typeof COMPONENT_TYPES)[number]

/** Component types a stack must have. */
export const REQUIRED_COMPONENT_TYPES: readonly ComponentType[] = ['orchestrator', 'artifact_store']

/** A CLI command group for a component type: `artifact_store` → `artifact-store`. */
export type ComponentCliName<T extends ComponentType = ComponentType> = T extends `${infer A}_${infer B}`
  ? `${A}-${B}`
  : T

/** Whether a string is one of the 14 component types, spelled as core spells them (`artifact_store`). */
export function isComponentType(value: string): value is ComponentType {
  return (COMPONENT_TYPES as readonly string[]).includes(value)
}

/** The CLI command group of a component type: `artifact_store` → `artifact-store`. */
export function componentCliName<T extends ComponentType>(type: T): ComponentCliName<T> {
  return type.replace('_', '-') as ComponentCliName<T>
}

/**
 * Parses a component type from its own spelling or its CLI spelling.
 * @throws StrataError `UNKNOWN_COMPONENT_TYPE` listing the valid types
 */
export function parseComponentType(value: string): ComponentType {
  const normalized = value.replaceAll('-', '_')
  if (isComponentType(normalized)) return normalized
  throw new StrataError(
    'UNKNOWN_COMPONENT_TYPE',
    `unknown component type '${value}' — use one of: ${COMPONENT_TYPES.map(componentCliName).join(', ')}`,
  )
}
