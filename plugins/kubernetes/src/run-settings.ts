import { type PipelineSnapshot, StrataError } from '@strata/core'
import {
  type KubernetesOrchestratorSettings,
  kubernetesOrchestratorSettings,
} from './kubernetes-orchestrator-flavor.js'
import { acceptSnakeCase } from './pod-settings.js'

const SETTINGS_KEY = 'orchestrator.kubernetes'

function parseSettings(raw: unknown, where: string): KubernetesOrchestratorSettings {
  const result = kubernetesOrchestratorSettings.safeParse(
    acceptSnakeCase(raw ?? {}, kubernetesOrchestratorSettings),
  )
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.')
    if (issue.code === 'unrecognized_keys')
      return `${path ? `${path}: ` : ''}unknown ${issue.keys.join(', ')}`
    return `${path || '(top level)'}: ${issue.message}`
  })
  throw new StrataError(
    'INVALID_SETTINGS',
    `settings '${SETTINGS_KEY}' of ${where}: ${problems.join('; ')} — see 'strata orchestrator flavor describe kubernetes'`,
  )
}

/** The settings of one run: the pipeline's, and each step's (already merged over the pipeline's). */
export interface RunSettings {
  pipeline: KubernetesOrchestratorSettings
  step(stepId: string): KubernetesOrchestratorSettings
}

/**
 * Parses every settings block of a run up front, so that a typo fails the run before anything is
 * submitted. Keys may be spelled ZenML's way (`pod_settings.node_selectors`).
 * @throws StrataError `INVALID_SETTINGS` naming the pipeline or step and each bad field
 */
export function runSettings(snapshot: PipelineSnapshot): RunSettings {
  const pipeline = parseSettings(snapshot.settings[SETTINGS_KEY], `pipeline '${snapshot.pipeline.name}'`)
  const steps = new Map<string, KubernetesOrchestratorSettings>()
  for (const step of snapshot.steps) {
    steps.set(step.id, parseSettings(step.settings[SETTINGS_KEY], `step '${step.id}'`))
  }
  return {
    pipeline,
    step: (stepId) => steps.get(stepId) ?? pipeline,
  }
}
