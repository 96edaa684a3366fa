import { defineFlavor, type StackIssue, type StackView } from '@strata/core'
import { z } from 'zod'
import { podSettings } from './pod-settings.js'

/** Kubernetes names: lower-case alphanumerics and '-', starting and ending alphanumeric. */
const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes name: lower-case letters, digits and -')

const kubernetesOrchestratorConfig = z.object({
  kubernetesContext: z
    .string()
    .optional()
    .describe("The kubeconfig context to use. Default: the kubeconfig's current context"),
  kubeconfig: z
    .string()
    .optional()
    .describe('Path of the kubeconfig file. Default: $KUBECONFIG, else ~/.kube/config'),
  incluster: z
    .boolean()
    .default(false)
    .describe("Use the pod's service account (when the client itself runs in the cluster)"),
  kubernetesNamespace: dnsLabel.default('strata').describe('The namespace runs go to (it must exist)'),
  local: z
    .boolean()
    .default(false)
    .describe('A cluster on this machine, whose pods may use local stack components'),
  skipLocalValidations: z
    .boolean()
    .default(false)
    .describe('With local: skip the checks that a local cluster can reach local components'),
})

export type KubernetesOrchestratorConfig = z.output<typeof kubernetesOrchestratorConfig>

export const DEFAULT_IMAGE = 'node:24-slim'

const DEFAULT_FAIL_ON_WAITING_REASONS = [
  'InvalidImageName',
  'ErrImagePull',
  'ImagePullBackOff',
  'CreateContainerConfigError',
]

/** Per pipeline and per step, under `settings: { 'orchestrator.kubernetes': {...} }`. */
export const kubernetesOrchestratorSettings = z
  .object({
    synchronous: z
      .boolean()
      .default(true)
      .describe('Follow the run until it ends (Ctrl-C detaches); false: return once it is submitted'),
    image: z
      .string()
      .default(DEFAULT_IMAGE)
      .describe('The image of every pod: a stock Node.js (>= 22.16) image is enough'),
    serviceAccountName: z
      .string()
      .optional()
      .describe("The orchestrator pod's service account (and the steps', unless stepPodServiceAccountName)"),
    stepPodServiceAccountName: z.string().optional().describe("The step pods' service account"),
    podSettings: podSettings.optional().describe('Step pods: node selectors, resources, volumes, …'),
    orchestratorPodSettings: podSettings.optional().describe('The orchestrator pod: same fields'),
    jobNamePrefix: z
      .string()
      .regex(/^[a-z0-9-]*$/, 'lower-case letters, digits and -')
      .max(20)
      .optional()
      .describe('Prefix of the Jobs a run creates. Default: the pipeline name'),
    maxParallelism: z.number().int().min(1).optional().describe('Most step Jobs at once. Default: no limit'),
    ttlSecondsAfterFinished: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("Delete a finished Job (and the run's Secret and ConfigMaps) this long after"),
    activeDeadlineSeconds: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("A step Job's deadline: its pod is killed after this many seconds"),
    backoffLimitMargin: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe("Pod attempts allowed beyond the step's retries (for failures other than the step's own)"),
    failOnContainerWaitingReasons: z
      .array(z.string())
      .default(DEFAULT_FAIL_ON_WAITING_REASONS)
      .describe('Fail a step at once when its container waits for one of these reasons'),
    podStopGracePeriod: z
      .number()
      .int()
      .min(0)
      .default(30)
      .describe('Seconds a stopped pod gets before it is killed'),
    jobMonitoringInterval: z
      .number()
      .positive()
      .default(3)
      .describe('Seconds between two looks at a running Job'),
  })
  .strict()

export type KubernetesOrchestratorSettings = z.output<typeof kubernetesOrchestratorSettings>

/**
 * A cluster on this machine (`local`) may use local components, but its pods see their own filesystem: a
 * local artifact store's folder must be mounted into them at the same path, which this check cannot see —
 * so it asks, unless `skipLocalValidations` says it is done.
 */
function validateLocalCluster(stack: StackView): StackIssue[] {
  const orchestrator = stack.components.orchestrator
  if (orchestrator?.flavor !== 'kubernetes' || orchestrator.config.local !== true) return []
  if (orchestrator.config.skipLocalValidations === true) return []
  return Object.entries(stack.components)
    .filter(([type, component]) => type !== 'orchestrator' && component?.isLocal)
    .map(([, component]) => ({
      component: orchestrator.name,
      message: `its pods cannot see the ${component?.flavor} component '${component?.name}' unless its folder is mounted into them at the same path (podSettings volumes and volumeMounts, a hostPath) — mount it, then set skipLocalValidations: true; or use a remote component`,
    }))
}

/** `orchestrator/kubernetes`: an orchestrator Job drives one Job per step. */
export const kubernetesOrchestrator = defineFlavor({
  apiVersion: 1,
  type: 'orchestrator',
  name: 'kubernetes',
  description: 'Runs each step as a Kubernetes Job, driven by an orchestrator Job in the cluster',
  isRemote: true,
  config: kubernetesOrchestratorConfig,
  settings: kubernetesOrchestratorSettings,
  // A cluster on this machine (local: true) may use local components: its pods run here.
  runsOnThisMachine: (config) => config.local,
  validateStack: validateLocalCluster,
  create: async (config) => {
    const { KubernetesOrchestrator } = await import('./kubernetes-orchestrator.js')
    return new KubernetesOrchestrator(config)
  },
})
