import { type PipelineSnapshot, StrataError } from '@strata/core'
import {
  type KubeflowOrchestratorSettings,
  kubeflowOrchestratorSettings,
} from './kubeflow-orchestrator-flavor.js'
import { acceptSnakeCase } from './pod-settings.js'

export const SETTINGS_KEY = 'orchestrator.kubeflow'

/**
 * ZenML keeps the KFP credentials in settings; here they are secret fields of the component's config,
 * because settings are recorded in the run's snapshot (metadata store and artifact store) as written.
 */
const CREDENTIALS = new Set(['clientusername', 'clientpassword', 'token'])

function parseSettings(raw: unknown, where: string): KubeflowOrchestratorSettings {
  const value = acceptSnakeCase(raw ?? {}, kubeflowOrchestratorSettings)
  const credential = Object.keys(value as object).find((key) =>
    CREDENTIALS.has(key.toLowerCase().replaceAll('_', '')),
  )
  if (credential) {
    throw new StrataError(
      'INVALID_SETTINGS',
      `settings '${SETTINGS_KEY}' of ${where}: ${credential} is a credential, which settings would record in the run's snapshot — set it on the orchestrator component instead (strata orchestrator update <name> --${credential.replaceAll(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)} '{{kubeflow.${credential}}}')`,
    )
  }
  const result = kubeflowOrchestratorSettings.safeParse(value)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.')
    if (issue.code === 'unrecognized_keys')
      return `${path ? `${path}: ` : ''}unknown ${issue.keys.join(', ')}`
    return `${path || '(top level)'}: ${issue.message}`
  })
  throw new StrataError(
    'INVALID_SETTINGS',
    `settings '${SETTINGS_KEY}' of ${where}: ${problems.join('; ')} — see 'strata orchestrator flavor describe kubeflow'`,
  )
}

/** The settings of one run: the pipeline's, and each step's (already merged over the pipeline's). */
export interface RunSettings {
  pipeline: KubeflowOrchestratorSettings
  step(stepId: string): KubeflowOrchestratorSettings
}

/**
 * Parses every settings block of a run up front, so that a typo fails the run before anything is
 * submitted. Keys may be spelled ZenML's way (`pod_settings.node_selectors`).
 * @throws StrataError `INVALID_SETTINGS` naming the pipeline or step and each bad field
 */
export function runSettings(snapshot: PipelineSnapshot): RunSettings {
  const pipeline = parseSettings(snapshot.settings[SETTINGS_KEY], `pipeline '${snapshot.pipeline.name}'`)
  const steps = new Map<string, KubeflowOrchestratorSettings>()
  for (const step of snapshot.steps) {
    steps.set(step.id, parseSettings(step.settings[SETTINGS_KEY], `step '${step.id}'`))
  }
  return { pipeline, step: (stepId) => steps.get(stepId) ?? pipeline }
}
