// The real kfp SDK (2.17.3, installed by .ci/setup/kfp.sh) judges the pipelines Strata compiles, and
// compiles the same graphs itself for the golden comparisons.
import { judgeKfpPipeline, kfpGolden, kfpUnavailable } from '@strata/testing/kubeflow'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { inference, training } from '../../../apps/quickstart/src/pipelines.js'
import { compilePipeline } from './compile-pipeline.js'
import { HANDOVER, RUN_URI, snapshotOf } from './kubeflow.test-helpers.js'
import type { CompiledKfpPipeline } from './pipeline-spec.js'
import { pipelineYaml } from './pipeline-yaml.js'
import { EVERY_POD_SETTING, wide } from './wide-pipeline.test-fixtures.js'

const skip = kfpUnavailable()

const pipelines: Array<[string, () => CompiledKfpPipeline]> = [
  [
    'the quickstart training pipeline',
    () => compilePipeline(snapshotOf(training), { start: { run: RUN_URI }, handover: HANDOVER }),
  ],
  [
    'the quickstart inference pipeline',
    () => compilePipeline(snapshotOf(inference), { start: { run: RUN_URI }, handover: HANDOVER }),
  ],
  [
    'a wide DAG with every pod setting, from a template',
    () =>
      compilePipeline(snapshotOf(wide, { settings: { 'orchestrator.kubeflow': EVERY_POD_SETTING } }), {
        start: { template: 's3://bucket/strata/schedules/5f1e0c4a-8c1b-4b7e-9d2a-0e6a2b9c1d3f' },
        startHandle: '{"kfpRunId":"{{$.pipeline_job_uuid}}"}',
        handover: HANDOVER,
      }),
  ],
]

/** What two compilations of one graph must share: all but names for people and the compiler's own marks. */
function structure(canonical: {
  pipelineSpec: Record<string, unknown> | null
  platformSpec: Record<string, unknown> | null
}) {
  const spec = structuredClone(canonical.pipelineSpec) as {
    sdkVersion?: string
    pipelineInfo?: unknown
    root: { dag: { tasks: Record<string, { taskInfo?: unknown }> } }
  }
  delete spec.sdkVersion
  delete spec.pipelineInfo
  for (const task of Object.values(spec.root.dag.tasks)) delete task.taskInfo
  return { pipelineSpec: spec, platformSpec: canonical.platformSpec }
}

describe.skipIf(skip)('the kfp SDK judges the compiled pipelines', { timeout: 120_000 }, () => {
  it.each(pipelines)(
    '%s: strict protobuf parses, loads as a component, recompiles',
    async (_name, compile) => {
      const compiled = compile()
      const yaml = pipelineYaml(compiled)
      const judgement = await judgeKfpPipeline(yaml)
      expect(judgement.problems).toEqual([])
      expect(judgement.tasks).toEqual(Object.keys(compiled.pipelineSpec.root.dag.tasks).sort())
      expect(judgement.platformExecutors).toEqual(
        Object.keys(compiled.pipelineSpec.deploymentSpec.executors).sort(),
      )
      expect(judgement.recompiled).toEqual({ tasks: judgement.tasks, platform: true })
      // The YAML holds what the compiler made: its two documents are the IR and the platform spec.
      expect(parseAllDocuments(yaml).map((document) => document.toJS())).toEqual([
        JSON.parse(JSON.stringify(compiled.pipelineSpec)),
        JSON.parse(JSON.stringify(compiled.platformSpec)),
      ])
    },
  )

  it.each(pipelines)(
    '%s: has the structure the kfp compiler gives the same graph',
    async (_name, compile) => {
      const compiled = compile()
      const ours = await judgeKfpPipeline(pipelineYaml(compiled))
      const golden = await judgeKfpPipeline(await kfpGolden(compiled))
      expect(golden.problems).toEqual([])
      expect(structure(ours.canonical)).toEqual(structure(golden.canonical))
    },
  )

  it('catches what it must: an unknown field, a bad enum value', async () => {
    const compiled = pipelines[0]![1]()
    const unknown = structuredClone(compiled) as unknown as {
      pipelineSpec: { root: { dag: { tasks: Record<string, Record<string, unknown>> } } }
    }
    unknown.pipelineSpec.root.dag.tasks['load-data']!.retries = 3
    expect((await judgeKfpPipeline(pipelineYaml(unknown as never))).problems[0]).toMatch(
      /PipelineSpec: ParseError: .*retries/,
    )
    const badEnum = structuredClone(compiled)
    ;(
      badEnum.pipelineSpec.components['comp-strata-start']!.outputDefinitions!.parameters.run_uri! as {
        parameterType: string
      }
    ).parameterType = 'TEXT'
    expect((await judgeKfpPipeline(pipelineYaml(badEnum))).problems[0]).toMatch(
      /PipelineSpec: ParseError: .*TEXT/,
    )
  })
})
