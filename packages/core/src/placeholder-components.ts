/**
 * The contract of a component type no first-party flavor implements yet. The first real flavor of the
 * type replaces its placeholder with a versioned interface of its own.
 */
export interface PlaceholderComponentV1<TType extends string> {
  readonly apiVersion: 1
  /** Discriminates placeholders in types; implementations need not set it. */
  readonly componentType?: TType
}

export type ContainerRegistryV1 = PlaceholderComponentV1<'container_registry'>
export type ImageBuilderV1 = PlaceholderComponentV1<'image_builder'>
export type StepOperatorV1 = PlaceholderComponentV1<'step_operator'>
export type ModelRegistryV1 = PlaceholderComponentV1<'model_registry'>
export type ModelDeployerV1 = PlaceholderComponentV1<'model_deployer'>
export type AlerterV1 = PlaceholderComponentV1<'alerter'>
export type AnnotatorV1 = PlaceholderComponentV1<'annotator'>
export type DataValidatorV1 = PlaceholderComponentV1<'data_validator'>
export type FeatureStoreV1 = PlaceholderComponentV1<'feature_store'>
export type LogStoreV1 = PlaceholderComponentV1<'log_store'>
export type DeployerV1 = PlaceholderComponentV1<'deployer'>
