import { defineFlavor, secret } from '@strata/core'
import { z } from 'zod'
import { podSettings } from './pod-settings.js'

/** Kubernetes names: lower-case alphanumerics and '-', starting and ending alphanumeric. */
const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes name: lower-case letters, digits and -')

export const kubeflowOrchestratorConfig = z
  .object({
    kubeflowHostname: z
      .url()
      .optional()
      .describe(
        "The KFP API's base URL, e.g. https://kubeflow.example.com/pipeline. Default: the ml-pipeline service through the Kubernetes API server's proxy (kubernetesContext)",
      ),
    kubeflowNamespace: dnsLabel
      .default('kubeflow')
      .describe('The namespace Kubeflow Pipelines is installed in (where single-user runs go)'),
    kubernetesContext: z
      .string()
      .optional()
      .describe(
        "The kubeconfig context of the cluster: where the run's Secret and runtime ConfigMaps are created, and the API's way in without kubeflowHostname. Default: the current context",
      ),
    kubeconfig: z
      .string()
      .optional()
      .describe('Path of the kubeconfig file. Default: $KUBECONFIG, else ~/.kube/config'),
    clientUsername: secret(z.string().min(1))
      .optional()
      .describe('User of a Dex (or other form-login) session in front of Kubeflow; with clientPassword'),
    clientPassword: secret(z.string().min(1)).optional().describe('Password of that user'),
    token: secret(z.string().min(1))
      .optional()
      .describe('A bearer token for the KFP API (e.g. a service account token)'),
  })
  .refine((config) => (config.clientUsername === undefined) === (config.clientPassword === undefined), {
    message: 'clientUsername and clientPassword go together: set both or neither',
    path: ['clientPassword'],
  })

export type KubeflowOrchestratorConfig = z.output<typeof kubeflowOrchestratorConfig>

export const DEFAULT_IMAGE = 'node:24-slim'

/** What `clientArgs` may carry: the parts of `kfp.Client(...)` that mean something to Strata's client. */
const clientArgs = z
  .object({
    host: z.url().optional().describe('The KFP API base URL (overrides kubeflowHostname)'),
    uiHost: z.url().optional().describe('Base URL of the KFP UI for run links. Default: the API host'),
    sslCaCert: z.string().optional().describe('Path of a PEM file with the CA that signs the API host'),
    namespace: z.string().optional().describe('The user namespace (same as userNamespace)'),
  })
  .strict()

/** Per pipeline and per step, under `settings: { 'orchestrator.kubeflow': {...} }`. */
export const kubeflowOrchestratorSettings = z
  .object({
    synchronous: z
      .boolean()
      .default(true)
      .describe('Follow the run until it ends (Ctrl-C detaches); false: return once it is submitted'),
    timeout: z
      .number()
      .positive()
      .default(1200)
      .describe('Seconds a synchronous run is followed; then the client detaches and the run goes on'),
    clientArgs: clientArgs.optional().describe('Client options: host, uiHost, sslCaCert, namespace'),
    userNamespace: dnsLabel
      .optional()
      .describe('The profile namespace of a multi-user Kubeflow: experiments, runs and pods go there'),
    image: z
      .string()
      .default(DEFAULT_IMAGE)
      .describe('The image of every task: a stock Node.js (>= 22.16) image is enough'),
    podSettings: podSettings
      .optional()
      .describe("Tasks' pods: node selectors, resources, volumes, … (KFP's kubernetes platform spec)"),
    pollingInterval: z.number().positive().default(3).describe('Seconds between two looks at a followed run'),
  })
  .strict()

export type KubeflowOrchestratorSettings = z.output<typeof kubeflowOrchestratorSettings>

/** `orchestrator/kubeflow`: a pipeline is compiled to KFP v2 IR and Kubeflow Pipelines runs its DAG. */
export const kubeflowOrchestrator = defineFlavor({
  apiVersion: 1,
  type: 'orchestrator',
  name: 'kubeflow',
  description: 'Compiles pipelines to KFP v2 and runs them on Kubeflow Pipelines, one pod per step',
  isRemote: true,
  config: kubeflowOrchestratorConfig,
  settings: kubeflowOrchestratorSettings,
  create: async (config) => {
    const { KubeflowOrchestrator } = await import('./kubeflow-orchestrator.js')
    return new KubeflowOrchestrator(config)
  },
})
