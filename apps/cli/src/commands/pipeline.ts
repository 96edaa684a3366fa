import { dateTime, defineCommand, defineGroup, done, listOptions, printList, UsageError } from '../kit.js'
import { exitCode, plainOption, runsGroup } from './pipeline-runs.js'
import { scheduleGroup } from './pipeline-schedule.js'
import { pipelineFrom } from './pipeline-source.js'

export default defineGroup({
  summary: 'Run pipelines and browse their runs',
  commands: {
    run: defineCommand({
      summary: 'Run a pipeline from a TypeScript or JavaScript module (no build step) on the active stack',
      args: [{ name: 'FILE', required: true, help: 'The module that exports the pipeline' }],
      options: {
        name: { help: 'Which pipeline, when the module exports several (its name or export name)' },
        config: {
          placeholder: 'FILE',
          help: 'A run configuration (YAML); see strata pipeline config-schema',
        },
        ...plainOption,
      },
      examples: ['strata pipeline run src/pipelines.ts --name training --config run.yaml'],
      async run(context) {
        const { name, config } = context.options
        const pipeline = await pipelineFrom(context.cwd, context.args.FILE, name)
        const { resolve } = await import('node:path')
        const run = await pipeline.run({
          ...(config ? { config: resolve(context.cwd, config) } : {}),
          output: (await import('./run-progress.js')).runPrinter(context),
          signal: context.interruption(),
        })
        return exitCode(run)
      },
    }),
    export: defineCommand({
      summary:
        "Write a pipeline in its stack's orchestrator's own format, to submit it by hand (kubeflow: --format kfp)",
      args: [{ name: 'FILE', required: true, help: 'The module that exports the pipeline' }],
      options: {
        name: { help: 'Which pipeline, when the module exports several (its name or export name)' },
        format: { choices: ['kfp'], default: 'kfp', help: 'The format: kfp (a KFP v2 pipeline YAML)' },
        out: { short: 'o', placeholder: 'FILE', help: 'Where to write it (required)' },
        config: {
          placeholder: 'FILE',
          help: 'A run configuration (YAML); see strata pipeline config-schema',
        },
        'export-name': {
          help: "The export's name in 'strata pipeline schedule list' (default <pipeline>-<id>)",
        },
      },
      examples: ['strata pipeline export src/pipelines.ts --name training --format kfp -o training.yaml'],
      async run(context) {
        const { name, format, out, config } = context.options
        if (!out) throw new UsageError('missing -o FILE: where to write the pipeline', context.path)
        const pipeline = await pipelineFrom(context.cwd, context.args.FILE, name)
        const { resolve } = await import('node:path')
        const { writeFile } = await import('node:fs/promises')
        const sdk = await context.sdk()
        const exported = await sdk.exportPipelineDefinition(pipeline.definition, {
          format,
          ...(config ? { config: resolve(context.cwd, config) } : {}),
          ...(context.options['export-name'] ? { name: context.options['export-name'] } : {}),
          output: false,
        })
        await writeFile(resolve(context.cwd, out), exported.content)
        done(
          context,
          `Wrote pipeline '${pipeline.name}' as ${format} to ${out} (export ${exported.name}: runs started from it appear after 'strata pipeline runs sync'; 'strata pipeline schedule delete ${exported.name}' removes what it created).`,
        )
        return 0
      },
    }),
    list: defineCommand({
      summary: 'List pipelines that have run',
      options: {
        ...listOptions(['name', 'runs', 'last_run', 'created']),
        name: { help: 'Only pipelines whose name contains this' },
      },
      async run(context) {
        const { name, sort } = context.options
        return printList(context, {
          rows: async (page) =>
            (await context.client()).listPipelines({ name, sort, page: page.page, size: page.size }),
          noun: 'pipelines',
          empty: name
            ? `No pipeline name contains '${name}'.`
            : "No pipeline has run yet — start one with 'strata pipeline run FILE'.",
          columns: [
            { header: 'PIPELINE', value: (row) => row.name },
            { header: 'RUNS', value: (row) => String(row.runs) },
            { header: 'LAST RUN', value: (row) => dateTime(row.lastRunAt ?? '') },
          ],
        })
      },
    }),
    'config-schema': defineCommand({
      summary: 'Print the JSON Schema of run configuration files',
      async run(context) {
        const sdk = await context.sdk()
        context.io.out(JSON.stringify(sdk.runConfigJsonSchema(), null, 2))
        return 0
      },
    }),
    runs: runsGroup,
    schedule: scheduleGroup,
  },
})
