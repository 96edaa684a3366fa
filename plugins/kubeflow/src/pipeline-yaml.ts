import { stringify } from 'yaml'
import type { CompiledKfpPipeline } from './pipeline-spec.js'

/** Keys sorted, as the kfp SDK writes them, so two compilations of one pipeline read the same. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
  )
}

/**
 * A compiled pipeline as the YAML file the kfp SDK writes and the KFP UI uploads: the `PipelineSpec`, then
 * (a second document) its `platforms.kubernetes` spec.
 */
export function pipelineYaml(pipeline: CompiledKfpPipeline): string {
  const { pipelineSpec } = pipeline
  const header = [
    '# PIPELINE DEFINITION',
    `# Name: ${pipelineSpec.pipelineInfo.name}`,
    '# Compiled by Strata (@strata/kubeflow): each task runs a step with the Strata runtime',
  ].join('\n')
  const options = { lineWidth: 0 }
  return `${header}\n${stringify(sorted(pipelineSpec), options)}---\n${stringify(sorted(pipeline.platformSpec), options)}`
}
