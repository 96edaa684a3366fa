import { definePlugin } from '@strata/core'
import { mlflowExperimentTracker } from './mlflow-experiment-tracker-flavor.js'

export type { MlflowErrorCode } from './mlflow-errors.js'
export {
  type MlflowExperimentTrackerConfig,
  type MlflowExperimentTrackerSettings,
  mlflowExperimentTracker,
  mlflowExperimentTrackerConfig,
  mlflowExperimentTrackerSettings,
} from './mlflow-experiment-tracker-flavor.js'

export default definePlugin({
  name: '@strata/mlflow',
  flavors: [mlflowExperimentTracker],
})
