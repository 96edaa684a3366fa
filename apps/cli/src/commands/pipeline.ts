import type { Client, PipelineRun, RunDetails } from '@strata/sdk'
import {
  type CommandContext,
  defineCommand,
  defineGroup,
  done,
  formatOf,
  listOptions,
  OUTPUT_OPTION,
  PAGE_OPTIONS,
  pageFooter,
  pageOf,
  paginationOf,
  printData,
  printFields,
  printTable,
  shortId,
  stateColour,
  UsageError,
} from '../kit.js'
import { importUserModule, pipelineFrom } from './pipeline-source.js'

const PLAIN_OPTION = {
  name: 'plain',
  type: 'boolean' as const,
  help: 'Plain lines instead of the live view of step states (the default when not on a terminal, or with CI set)',
}

/** The SDK's client on the user's store; the stack is built only when a command needs it. */
export async function openClient(context: CommandContext): Promise<Client> {
  const { Client } = await context.sdk()
  return Client.open({ projectRoot: context.cwd })
}

/** `2m 3s`, `850 ms` */
export function duration(from: string | null, to: string | null): string {
  if (!from || !to) return ''
  const ms = Date.parse(to) - Date.parse(from)
  if (ms < 1000) return `${ms} ms`
  const seconds = Math.round(ms / 1000)
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${seconds % 60}s`
}

export function status(context: CommandContext, value: string): string {
  const colour = stateColour(value)
  return colour ? context.io.style(value, colour) : value
}

function exitCode(run: PipelineRun): number {
  if (run.status === 'completed') return 0
  return run.status === 'stopped' ? 130 : 1
}

const runArg = { name: 'RUN', required: true, help: 'A run name, id, or unique id prefix' }

function describeRun(context: CommandContext, run: RunDetails): void {
  printFields(context.io, [
    ['Run', run.name],
    ['ID', run.id],
    ['Pipeline', run.pipelineName],
    ['Status', status(context, run.status)],
    ['Stack', run.stackName],
    ['Started', run.createdAt],
    ['Ended', run.endedAt ?? ''],
    ['Duration', duration(run.createdAt, run.endedAt)],
    ['Parameters', JSON.stringify(run.parameters)],
    ...(run.snapshot.model
      ? [['Model', `${run.snapshot.model.name} v${run.snapshot.model.number}`] as [string, string]]
      : []),
    ['Owner', `pid ${run.owner.pid} on ${run.owner.host}`],
    ...(run.error ? [['Error', run.error] as [string, string]] : []),
  ])
  context.io.out()
  const rows = [
    ...run.steps.map((step) => ({ step, notStarted: false })),
    ...run.notStarted.map((name) => ({ step: { name } as RunDetails['steps'][number], notStarted: true })),
  ]
  printTable(
    context.io,
    [
      { header: 'STEP', value: (row) => row.step.name },
      { header: 'STATUS', value: (row) => status(context, row.notStarted ? 'not_started' : row.step.status) },
      { header: 'ATTEMPTS', value: (row) => (row.notStarted ? '' : String(row.step.attempts)) },
      {
        header: 'DURATION',
        value: (row) => (row.notStarted ? '' : duration(row.step.startedAt, row.step.endedAt)),
      },
      { header: 'OUTPUTS', value: (row) => Object.keys(row.step.outputs ?? {}).join(', ') },
      { header: 'ERROR', value: (row) => row.step.error ?? '' },
    ],
    rows,
  )
  const withMetadata = run.steps.filter((step) => Object.keys(step.metadata).length > 0)
  if (withMetadata.length > 0) {
    context.io.out()
    context.io.out(context.io.style('Metadata', 'bold'))
    for (const step of withMetadata) {
      for (const [key, value] of Object.entries(step.metadata)) {
        const text =
          typeof value === 'object' && value !== null
            ? Object.entries(value)
                .map(([inner, item]) => `${inner}=${typeof item === 'string' ? item : JSON.stringify(item)}`)
                .join(' ')
            : JSON.stringify(value)
        context.io.out(`  ${step.name}  ${key}: ${text}`)
      }
    }
  }
}

const runs = defineGroup({
  summary: 'Browse, resume and clean up pipeline runs',
  commands: {
    list: defineCommand({
      summary: 'List runs, newest first',
      options: [
        OUTPUT_OPTION,
        { name: 'pipeline', help: "Only this pipeline's runs" },
        { name: 'status', help: 'Only runs with this status (running, completed, failed, stopped)' },
        ...PAGE_OPTIONS,
        { name: 'sort', placeholder: 'ORDER', help: "'created' (oldest first) or '-created' (default)" },
      ],
      async run(context) {
        const format = formatOf(context)
        const sort = context.arg('sort')
        if (sort !== undefined && sort !== 'created' && sort !== '-created') {
          throw new UsageError("--sort takes 'created' or '-created'", context.path)
        }
        const paging = pageOf(context.options, 0, context.path)
        const client = await openClient(context)
        try {
          const page = await client.listRuns({
            ...(context.arg('pipeline') ? { pipeline: context.arg('pipeline')! } : {}),
            ...(context.arg('status') ? { status: context.arg('status') as never } : {}),
            page: paging.page,
            size: paging.size,
            sort: sort === 'created' ? 'created_asc' : 'created_desc',
          })
          const shown = pageOf(paging, page.total, context.path)
          if (format !== 'table') {
            await printData(context.io, format, { items: page.items, pagination: paginationOf(shown) })
            return 0
          }
          if (page.total === 0) {
            context.io.note("No runs yet — start one with 'strata pipeline run FILE'.")
            return 0
          }
          printTable(
            context.io,
            [
              { header: 'RUN', value: (run) => run.name },
              { header: 'ID', value: (run) => shortId(run.id), shrink: false },
              { header: 'PIPELINE', value: (run) => run.pipelineName },
              { header: 'STATUS', value: (run) => status(context, run.status), shrink: false },
              { header: 'STACK', value: (run) => run.stackName },
              { header: 'STARTED', value: (run) => run.createdAt.replace('T', ' ').slice(0, 19) },
              { header: 'DURATION', value: (run) => duration(run.createdAt, run.endedAt) },
            ],
            page.items,
          )
          pageFooter(context.io, shown, 'runs')
          return 0
        } finally {
          await client.close()
        }
      },
    }),
    describe: defineCommand({
      summary: 'Show a run: its steps, their states, outputs, errors and metadata',
      args: [runArg],
      options: [OUTPUT_OPTION],
      async run(context) {
        const format = formatOf(context)
        const client = await openClient(context)
        try {
          const run = await client.getRun(context.arg('RUN')!)
          if (format !== 'table') {
            await printData(context.io, format, { ...run, snapshot: undefined })
            return 0
          }
          describeRun(context, run)
          return 0
        } finally {
          await client.close()
        }
      },
    }),
    logs: defineCommand({
      summary: "Print a run's step logs",
      args: [runArg],
      options: [{ name: 'step', help: 'Only this step' }],
      async run(context) {
        const client = await openClient(context)
        try {
          const text = await client.runLogs(context.arg('RUN')!, context.arg('step'))
          context.io.out(text.replace(/\n$/, ''))
          return 0
        } finally {
          await client.close()
        }
      },
    }),
    delete: defineCommand({
      summary: 'Delete a run (its artifact versions stay until pruned)',
      args: [runArg],
      options: [{ name: 'force', type: 'boolean', help: 'Delete even a run linked to a model version' }],
      async run(context) {
        const client = await openClient(context)
        try {
          const run = await client.deleteRun(context.arg('RUN')!, { force: context.options.force === true })
          done(context, `Deleted run ${run.name}.`)
          return 0
        } finally {
          await client.close()
        }
      },
    }),
    resume: defineCommand({
      summary: 'Finish a failed or stopped run: re-run its failed steps and everything after them',
      args: [runArg],
      options: [PLAIN_OPTION],
      async run(context) {
        const client = await openClient(context)
        try {
          const run = await client.resumeRun(context.arg('RUN')!, {
            importModule: importUserModule,
            output: (await import('./run-progress.js')).runPrinter(context),
          })
          return exitCode(run)
        } finally {
          await client.close()
        }
      },
    }),
    sync: defineCommand({
      summary:
        'Ingest what step processes journaled in the artifact store (after the client went away); a run whose steps all finished is completed',
      args: [runArg],
      async run(context) {
        const client = await openClient(context)
        try {
          const events = await client.syncRun(context.arg('RUN')!)
          const run = await client.getRun(context.arg('RUN')!)
          done(context, `Ingested ${events} events of run ${run.name}; it is ${run.status}.`)
          if (run.status === 'failed' || run.status === 'stopped') {
            context.io.note(run.error ?? `Finish it with 'strata pipeline runs resume ${run.name}'.`)
          }
          return 0
        } finally {
          await client.close()
        }
      },
    }),
    'explain-cache': defineCommand({
      summary: 'Say why a step ran instead of coming from the cache (or why it was cached)',
      args: [runArg, { name: 'STEP', required: true, help: "The step's invocation id" }],
      options: [OUTPUT_OPTION],
      async run(context) {
        const format = formatOf(context)
        const client = await openClient(context)
        try {
          const explanation = await client.explainCache(context.arg('RUN')!, context.arg('STEP')!)
          if (format !== 'table') {
            await printData(context.io, format, {
              step: explanation.step.name,
              status: explanation.step.status,
              cachedFrom: explanation.step.cachedFrom,
              comparedWith: explanation.previous?.id ?? null,
              reasons: explanation.reasons,
            })
            return 0
          }
          const { step, reasons } = explanation
          if (step.status === 'cached') {
            context.io.out(
              `step ${step.name} was cached: it reused step run ${shortId(step.cachedFrom ?? '')}`,
            )
          } else if (reasons.length === 0) {
            context.io.out(`step ${step.name} ${step.status}: its cache key equals the previous execution's`)
          } else {
            context.io.out(`step ${step.name} ${step.status} because:`)
            for (const reason of reasons) context.io.out(`  - ${reason}`)
          }
          return 0
        } finally {
          await client.close()
        }
      },
    }),
  },
})

export default defineGroup({
  summary: 'Run pipelines and browse their runs',
  commands: {
    run: defineCommand({
      summary: 'Run a pipeline from a TypeScript or JavaScript module (no build step) on the active stack',
      args: [{ name: 'FILE', required: true, help: 'The module that exports the pipeline' }],
      options: [
        { name: 'name', help: 'Which pipeline, when the module exports several (its name or export name)' },
        {
          name: 'config',
          placeholder: 'FILE',
          help: 'A run configuration (YAML); see strata pipeline config-schema',
        },
        PLAIN_OPTION,
      ],
      examples: ['strata pipeline run src/pipelines.ts --name training --config run.yaml'],
      async run(context) {
        const pipeline = await pipelineFrom(context.cwd, context.arg('FILE')!, context.arg('name'))
        const config = context.arg('config')
        const { resolve } = await import('node:path')
        const run = await pipeline.run({
          ...(config ? { config: resolve(context.cwd, config) } : {}),
          output: (await import('./run-progress.js')).runPrinter(context),
        })
        return exitCode(run)
      },
    }),
    list: defineCommand({
      summary: 'List pipelines that have run',
      options: [
        ...listOptions(['name', 'runs', 'last_run', 'created']),
        { name: 'name', help: 'Only pipelines whose name contains this' },
      ],
      async run(context) {
        const format = formatOf(context)
        const paging = pageOf(context.options, 0, context.path)
        const client = await openClient(context)
        try {
          const page = await client.listPipelines({
            ...(context.arg('name') ? { name: context.arg('name')! } : {}),
            ...(context.arg('sort') ? { sort: context.arg('sort')! } : {}),
            page: paging.page,
            size: paging.size,
          })
          const shown = pageOf(paging, page.total, context.path)
          if (format !== 'table') {
            await printData(context.io, format, { items: page.items, pagination: paginationOf(shown) })
            return 0
          }
          if (page.total === 0) {
            context.io.note(
              context.arg('name')
                ? `No pipeline name contains '${context.arg('name')}'.`
                : "No pipeline has run yet — start one with 'strata pipeline run FILE'.",
            )
            return 0
          }
          printTable(
            context.io,
            [
              { header: 'PIPELINE', value: (row) => row.name },
              { header: 'RUNS', value: (row) => String(row.runs) },
              { header: 'LAST RUN', value: (row) => (row.lastRunAt ?? '').replace('T', ' ').slice(0, 19) },
            ],
            page.items,
          )
          pageFooter(context.io, shown, 'pipelines')
          return 0
        } finally {
          await client.close()
        }
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
    runs,
  },
})
