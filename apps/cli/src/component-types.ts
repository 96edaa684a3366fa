import type { ComponentCliName, ComponentType } from '@strata/core/base'

/**
 * Core's COMPONENT_TYPES, spelled out so that `strata --help` loads no package (a test keeps the two equal).
 */
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
] as const satisfies readonly ComponentType[]

/** Core's REQUIRED_COMPONENT_TYPES. */
export const REQUIRED_COMPONENT_TYPES: readonly ComponentType[] = ['orchestrator', 'artifact_store']

/** `artifact_store` → `artifact-store` (core's componentCliName). */
export function componentCliName<T extends ComponentType>(type: T): ComponentCliName<T> {
  return type.replace('_', '-') as ComponentCliName<T>
}
