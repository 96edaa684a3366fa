import { defineFlavor, type StackIssue, type StackView, secret } from '@strata/core'
import { z } from 'zod'

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0'])

function checkTrackingUri(value: string, context: z.core.$RefinementCtx<string>): void {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {}
  if (url?.protocol === 'http:' || url?.protocol === 'https:') {
    if (url.username !== '' || url.password !== '') {
      context.addIssue({
        code: 'custom',
        message: 'must not carry credentials — put them in username/password or token instead',
      })
    }
    return
  }
  const isLocalStore = url === undefined || url.protocol === 'file:' || url.protocol.length <= 2
  context.addIssue({
    code: 'custom',
    message: isLocalStore
      ? "must be the http(s) URL of an MLflow tracking server; a local file store ('file:' or a path) is not supported — run 'mlflow server' and use its URL, e.g. http://127.0.0.1:5000"
      : `must be the http(s) URL of an MLflow tracking server ('${url?.protocol}' URIs are not supported) — e.g. https://mlflow.example.com`,
  })
}

/** The config of an `experiment_tracker/mlflow` component. */
export const mlflowExperimentTrackerConfig = z
  .object({
    trackingUri: z
      .string()
      .superRefine(checkTrackingUri)
      .describe(
        "The MLflow tracking server's http(s) URL, e.g. https://mlflow.example.com (a local file store is not supported).",
      ),
    username: secret(
      z.string().min(1).describe('Basic-auth user name. Default: the MLFLOW_TRACKING_USERNAME variable.'),
    ).optional(),
    password: secret(
      z.string().min(1).describe('Basic-auth password. Default: the MLFLOW_TRACKING_PASSWORD variable.'),
    ).optional(),
    token: secret(
      z.string().min(1).describe('Bearer token. Default: the MLFLOW_TRACKING_TOKEN variable.'),
    ).optional(),
    experimentName: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe(
        "The MLflow experiment runs are logged to, created when missing. Default: the pipeline's name.",
      ),
    nested: z
      .boolean()
      .default(true)
      .describe(
        'One MLflow run per pipeline run with a nested run per tracked step; false: one top-level run per step.',
      ),
    insecureTls: z
      .boolean()
      .default(false)
      .describe("Skip TLS certificate verification (self-signed servers; don't use it in production)."),
    requestTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe('Milliseconds one HTTP request to MLflow may take before it is abandoned (and retried).'),
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(4)
      .describe('Retries of a request that failed transiently (network error, timeout, HTTP 429 or 5xx).'),
  })
  .superRefine((config, context) => {
    if ((config.username === undefined) !== (config.password === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [config.username === undefined ? 'username' : 'password'],
        message: 'username and password go together — set both, or use token',
      })
    }
    if (config.token !== undefined && config.username !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'set either username/password or token, not both',
      })
    }
  })

export type MlflowExperimentTrackerConfig = z.output<typeof mlflowExperimentTrackerConfig>

/** What a pipeline or step may override, under `settings: { 'experiment_tracker.mlflow': {...} }`. */
export const mlflowExperimentTrackerSettings = z.object({
  nested: z
    .boolean()
    .optional()
    .describe(
      "false: this step's MLflow run is a top-level run instead of a child of the pipeline's run. Default: the component's 'nested'.",
    ),
  tags: z.record(z.string(), z.string()).optional().describe("Extra tags on this step's MLflow run."),
})

export type MlflowExperimentTrackerSettings = z.output<typeof mlflowExperimentTrackerSettings>

function validateMlflowStack(stack: StackView): StackIssue[] {
  const orchestrator = stack.components.orchestrator
  const tracker = stack.components.experiment_tracker
  if (!orchestrator?.isRemote || tracker?.flavor !== 'mlflow') return []
  const uri = tracker.config['trackingUri']
  let host: string | undefined
  try {
    host = typeof uri === 'string' ? new URL(uri).hostname : undefined
  } catch {}
  if (host === undefined || !LOOPBACK_HOSTS.has(host)) return []
  return [
    {
      component: tracker.name,
      message: `its trackingUri ${String(uri)} points at this machine, which the steps of the remote orchestrator '${orchestrator.name}' cannot reach — use an MLflow server the orchestrator's steps can reach`,
    },
  ]
}

/** `experiment_tracker/mlflow`: runs, params, metrics, tags and artifacts on an MLflow tracking server. */
export const mlflowExperimentTracker = defineFlavor({
  apiVersion: 1,
  type: 'experiment_tracker',
  name: 'mlflow',
  description: 'MLflow tracking server (REST API, MLflow 2.x and 3.x)',
  config: mlflowExperimentTrackerConfig,
  settings: mlflowExperimentTrackerSettings,
  validateStack: validateMlflowStack,
  create: async (config, context) => {
    const { MlflowExperimentTracker } = await import('./mlflow-experiment-tracker.js')
    return new MlflowExperimentTracker(config, context)
  },
})
