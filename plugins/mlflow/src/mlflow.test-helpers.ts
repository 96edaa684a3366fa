import { type FlavorContext, type Logger, parseFlavorConfig } from '@strata/core'
import { recordingLogger, testFlavorContext } from '@strata/testing'
import type { MlflowExperimentTrackerConfig } from './mlflow-experiment-tracker-flavor.js'
import { mlflowExperimentTracker } from './mlflow-experiment-tracker-flavor.js'

export function testContext(logger: Logger = recordingLogger()): FlavorContext {
  return testFlavorContext('mlflow-test', { componentId: 'c-1', logger })
}

/** The config a user would register, validated and defaulted as Strata does. */
export function trackerConfig(raw: Record<string, unknown>): MlflowExperimentTrackerConfig {
  return parseFlavorConfig(mlflowExperimentTracker, raw) as MlflowExperimentTrackerConfig
}
