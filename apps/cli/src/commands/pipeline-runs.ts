import type { PipelineRun, RunDetails } from '@strata/sdk'
import type { RunStatus } from '@strata/store'
import {
  type ArgumentSpec,
  type CommandContext,
  dateTime,
  defineCommand,
  defineGroup,
  done,
  duration,
  type Options,
  outputOption,
  pageOptions,
  printData,
  printFields,
  printList,
  printTable,
  shortId,
  styledState,
} from '../kit.js'
import { importUserModule } from './pipeline-source.js'

/** `--plain`, for the commands that show a run's progress. */
export const plainOption = {
  plain: {
    type: 'boolean',
    help: 'Plain lines instead of the live view of step states (the default when not on a terminal, or with CI set)',
  },
} as const satisfies Options

/**
 * A run's exit code: 0 completed (or carried on by a remote orchestrator, or scheduled), 130 stopped
 * (interrupted), 1 otherwise.
 */
export function exitCode(run: PipelineRun): number {
  if (run.status === 'completed' || run.status === 'running' || run.status === 'scheduled') return 0
  return run.status === 'stopped' ? 130 : 1
}

const runArgument = {
  name: 'RUN',
  required: true,
  help: 'A run name, id, or unique id prefix',
} as const satisfies ArgumentSpec

const RUN_STATUSES = [
  'initializing',
  'running',
  'completed',
  'failed',
  'stopped',
] as const satisfies readonly RunStatus[]

/** Where a remote run lives, from its orchestrator's handle: a Kubernetes Job, a KFP run. */
function remoteWhere(handle: Record<string, unknown>): string {
  const parts = [
    typeof handle.namespace === 'string' ? `namespace ${handle.namespace}` : undefined,
    typeof handle.job === 'string' ? `Job ${handle.job}` : undefined,
    typeof handle.kfpRunId === 'string' ? `KFP run ${handle.kfpRunId}` : undefined,
  ]
  return parts.filter((part) => part !== undefined).join(', ') || 'remote'
}

function describeRun(context: CommandContext, run: RunDetails): void {
  const { io } = context
  const { model } = run.snapshot
  printFields(io, [
    ['Run', run.name],
    ['ID', run.id],
    ['Pipeline', run.pipelineName],
    ['Status', styledState(io, run.status)],
    ['Stack', run.stackName],
    ['Started', run.createdAt],
    ['Ended', run.endedAt ?? ''],
    ['Duration', duration(run.createdAt, run.endedAt)],
    ['Parameters', JSON.stringify(run.parameters)],
    ...(model ? [['Model', `${model.name} v${model.number}`] satisfies [string, string]] : []),
    run.remote
      ? ['Owner', `orchestrator '${run.remote.orchestrator}' (${remoteWhere(run.remote.handle)})`]
      : ['Owner', `pid ${run.owner.pid} on ${run.owner.host}`],
    ...(typeof run.remote?.handle.url === 'string'
      ? [['Remote', run.remote.handle.url] satisfies [string, string]]
      : []),
    ...(run.error ? [['Error', run.error] satisfies [string, string]] : []),
  ])
  io.out()
  type Row = { name: string; step: RunDetails['steps'][number] | undefined }
  const rows: Row[] = [
    ...run.steps.map((step) => ({ name: step.name, step })),
    ...run.notStarted.map((name) => ({ name, step: undefined })),
  ]
  printTable<Row>(
    io,
    [
      { header: 'STEP', value: (row) => row.name },
      { header: 'STATUS', value: (row) => styledState(io, row.step?.status ?? 'not_started') },
      { header: 'ATTEMPTS', value: (row) => (row.step ? String(row.step.attempts) : '') },
      {
        header: 'DURATION',
        value: (row) => (row.step ? duration(row.step.startedAt, row.step.endedAt) : ''),
      },
      { header: 'OUTPUTS', value: (row) => Object.keys(row.step?.outputs ?? {}).join(', ') },
      { header: 'ERROR', value: (row) => row.step?.error ?? '' },
    ],
    rows,
  )
  const withMetadata = run.steps.filter((step) => Object.keys(step.metadata).length > 0)
  if (withMetadata.length > 0) {
    io.out()
    io.out(io.style('Metadata', 'bold'))
    for (const step of withMetadata) {
      for (const [key, value] of Object.entries(step.metadata)) {
        const text =
          typeof value === 'object' && value !== null
            ? Object.entries(value)
                .map(([inner, item]) => `${inner}=${typeof item === 'string' ? item : JSON.stringify(item)}`)
                .join(' ')
            : JSON.stringify(value)
        io.out(`  ${step.name}  ${key}: ${text}`)
      }
    }
  }
}

/** `strata pipeline runs ...` (also `strata run ...`). */
export const runsGroup = defineGroup({
  summary: 'Browse, resume and clean up pipeline runs',
  commands: {
    list: defineCommand({
      summary: 'List runs, newest first',
      options: {
        ...outputOption,
        pipeline: { help: "Only this pipeline's runs" },
        status: {
          choices: RUN_STATUSES,
          help: 'Only runs with this status (running, completed, failed, stopped)',
        },
        ...pageOptions,
        sort: {
          choices: ['created', '-created'],
          default: '-created',
          placeholder: 'ORDER',
          help: "'created' (oldest first) or '-created' (default)",
        },
      },
      async run(context) {
        const { pipeline, status, sort } = context.options
        return printList(context, {
          rows: async (page) =>
            (await context.client()).listRuns({
              pipeline,
              status,
              page: page.page,
              size: page.size,
              sort: sort === 'created' ? 'created_asc' : 'created_desc',
            }),
          noun: 'runs',
          empty: async () => {
            const filters = [
              ...(pipeline === undefined ? [] : [`--pipeline ${pipeline}`]),
              ...(status === undefined ? [] : [`--status ${status}`]),
            ]
            if (filters.length === 0) return "No runs yet — start one with 'strata pipeline run FILE'."
            const all = (await (await context.client()).listRuns({ page: 1, size: 1 })).total
            if (all === 0) return "No runs yet — start one with 'strata pipeline run FILE'."
            return `No runs match ${filters.join(' ')} (of ${all} ${all === 1 ? 'run' : 'runs'}) — 'strata run list' lists them all.`
          },
          columns: [
            { header: 'RUN', value: (run) => run.name },
            { header: 'ID', value: (run) => shortId(run.id), shrink: false },
            { header: 'PIPELINE', value: (run) => run.pipelineName },
            { header: 'STATUS', value: (run) => styledState(context.io, run.status), shrink: false },
            { header: 'STACK', value: (run) => run.stackName },
            { header: 'STARTED', value: (run) => dateTime(run.createdAt) },
            { header: 'DURATION', value: (run) => duration(run.createdAt, run.endedAt) },
          ],
        })
      },
    }),
    describe: defineCommand({
      summary: 'Show a run: its steps, their states, outputs, errors and metadata',
      args: [runArgument],
      options: outputOption,
      async run(context) {
        const { output } = context.options
        const run = await (await context.client()).getRun(context.args.RUN)
        if (output !== 'table') await printData(context.io, output, { ...run, snapshot: undefined })
        else describeRun(context, run)
        return 0
      },
    }),
    logs: defineCommand({
      summary: "Print a run's step logs",
      args: [runArgument],
      options: { step: { help: 'Only this step' } },
      async run(context) {
        const text = await (await context.client()).runLogs(context.args.RUN, context.options.step)
        context.io.out(text.replace(/\n$/, ''))
        return 0
      },
    }),
    delete: defineCommand({
      summary: 'Delete a run that ended (its artifact versions stay until pruned)',
      args: [runArgument],
      options: {
        force: {
          type: 'boolean',
          help: 'Delete even a run linked to a model version, or one still running (it is stopped first and deleted once it ended)',
        },
      },
      async run(context) {
        const client = await context.client()
        const run = await client.deleteRun(context.args.RUN, { force: context.options.force })
        done(context, `Deleted run ${run.name}.`)
        return 0
      },
    }),
    resume: defineCommand({
      summary: 'Finish a failed or stopped run: re-run its failed steps and everything after them',
      args: [runArgument],
      options: plainOption,
      async run(context) {
        const client = await context.client()
        const run = await client.resumeRun(context.args.RUN, {
          importModule: importUserModule,
          output: (await import('./run-progress.js')).runPrinter(context),
          signal: context.interruption(),
        })
        return exitCode(run)
      },
    }),
    sync: defineCommand({
      summary:
        'Bring runs up to date from what their steps recorded in the artifact store: one run, or (without RUN) every run a remote orchestrator carries and the runs schedules started',
      args: [{ name: 'RUN', help: 'A run name, id, or unique id prefix (default: every remote run)' }],
      options: {
        follow: {
          type: 'boolean',
          help: 'Keep following the run (or runs) until it ends, printing step states',
        },
        ...plainOption,
      },
      async run(context) {
        const client = await context.client()
        const follow = context.options.follow
        const output = follow ? (line: string) => context.io.out(line) : undefined
        const signal = follow ? context.interruption() : undefined
        const options = { follow, ...(output ? { output } : {}), ...(signal ? { signal } : {}) }
        if (context.args.RUN === undefined) {
          const { discovered, synced } = await client.syncRuns(options)
          done(
            context,
            `Synced ${synced.length} remote run${synced.length === 1 ? '' : 's'}${discovered.length > 0 ? `, ${discovered.length} of them new from schedules` : ''}.`,
          )
          return 0
        }
        const events = await client.syncRun(context.args.RUN, options)
        const run = await client.getRun(context.args.RUN)
        done(context, `Ingested ${events} events of run ${run.name}; it is ${run.status}.`)
        if (run.status === 'failed' || run.status === 'stopped') {
          context.io.note(run.error ?? `Finish it with 'strata pipeline runs resume ${run.name}'.`)
        }
        return 0
      },
    }),
    stop: defineCommand({
      summary:
        'Stop a running run: start no new step and let running ones finish, or with --force stop them at once',
      args: [runArgument],
      options: { force: { type: 'boolean', help: 'Stop running steps at once too' } },
      async run(context) {
        const client = await context.client()
        const run = await client.stopRun(context.args.RUN, { force: context.options.force })
        done(
          context,
          context.options.force
            ? `Stopped run ${run.name}.`
            : `Asked run ${run.name} to stop: no new step starts, running ones finish. Follow it with 'strata pipeline runs sync ${run.name} --follow'.`,
        )
        return 0
      },
    }),
    'explain-cache': defineCommand({
      summary: 'Say why a step ran instead of coming from the cache (or why it was cached)',
      args: [runArgument, { name: 'STEP', required: true, help: "The step's invocation id" }],
      options: outputOption,
      async run(context) {
        const { output } = context.options
        const client = await context.client()
        const { step, previous, reasons } = await client.explainCache(context.args.RUN, context.args.STEP)
        if (output !== 'table') {
          await printData(context.io, output, {
            step: step.name,
            status: step.status,
            cachedFrom: step.cachedFrom,
            comparedWith: previous?.id ?? null,
            reasons,
          })
        } else if (step.status === 'cached') {
          context.io.out(`step ${step.name} was cached: it reused step run ${shortId(step.cachedFrom ?? '')}`)
        } else if (reasons.length === 0) {
          context.io.out(`step ${step.name} ${step.status}: its cache key equals the previous execution's`)
        } else {
          context.io.out(`step ${step.name} ${step.status} because:`)
          for (const reason of reasons) context.io.out(`  - ${reason}`)
        }
        return 0
      },
    }),
  },
})
