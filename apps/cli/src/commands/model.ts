import type { Client, ModelVersionDetails } from '@strata/sdk'
import {
  type CommandContext,
  defineCommand,
  defineGroup,
  done,
  formatOf,
  type OptionSpec,
  OUTPUT_OPTION,
  PAGE_OPTIONS,
  pageFooter,
  pageOf,
  paginationOf,
  printData,
  printFields,
  printTable,
  shortId,
  UsageError,
} from '../kit.js'
import { openClient, status } from './pipeline.js'

const modelArg = { name: 'MODEL', required: true, help: "The model's name" }
const versionArg = { name: 'VERSION', required: true, help: 'A version number, name, stage or "latest"' }
const modelFields: OptionSpec[] = [
  { name: 'description', help: 'What the model does' },
  { name: 'license', help: 'Its license' },
  { name: 'use-cases', help: 'What it is for' },
  { name: 'limitations', help: 'What it is not good at' },
  { name: 'tag', short: 't', multiple: true, help: 'A tag (repeat for several)' },
]
const STAGES = ['staging', 'production', 'archived'] as const

function fieldsOf(context: CommandContext) {
  const tags = context.options.tag as string[] | undefined
  const text = (name: string) => context.arg(name)
  return {
    ...(text('description') !== undefined ? { description: text('description')! } : {}),
    ...(text('license') !== undefined ? { license: text('license')! } : {}),
    ...(text('use-cases') !== undefined ? { useCases: text('use-cases')! } : {}),
    ...(text('limitations') !== undefined ? { limitations: text('limitations')! } : {}),
    ...(tags ? { tags } : {}),
  }
}

/** A version given on the command line: numbers stay numbers. */
function versionOf(context: CommandContext): string | number {
  const raw = context.arg('VERSION')!
  return /^\d+$/.test(raw) ? Number(raw) : raw
}

async function withClient(context: CommandContext, fn: (client: Client) => Promise<number>): Promise<number> {
  const client = await openClient(context)
  try {
    return await fn(client)
  } finally {
    await client.close()
  }
}

function describeVersion(context: CommandContext, version: ModelVersionDetails): void {
  printFields(context.io, [
    ['Model', version.modelName],
    ['Version', `v${version.number}${version.name ? ` (${version.name})` : ''}`],
    ['ID', version.id],
    ['Stage', version.stage ? status(context, version.stage) : '—'],
    ['Description', version.description ?? ''],
    ['Tags', version.tags.join(', ')],
    ['Created', version.createdAt],
    [
      'Metadata',
      Object.entries(version.metadata)
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .join(' '),
    ],
    [
      'Artifacts',
      version.artifacts
        .map((artifact) => `${artifact.name} v${artifact.version} (${artifact.kind})`)
        .join(', '),
    ],
    ['Runs', version.runs.map((run) => run.name).join(', ')],
  ])
}

const version = defineGroup({
  summary: 'Model versions: list, describe, promote, link',
  commands: {
    list: defineCommand({
      summary: "List a model's versions, newest first",
      args: [modelArg],
      options: [OUTPUT_OPTION, { name: 'stage', help: 'Only versions in this stage' }, ...PAGE_OPTIONS],
      run: (context) =>
        withClient(context, async (client) => {
          const format = formatOf(context)
          const stage = context.arg('stage')
          if (stage !== undefined && !(STAGES as readonly string[]).includes(stage)) {
            throw new UsageError(`--stage must be one of ${STAGES.join(', ')}`, context.path)
          }
          const paging = pageOf(context.options, 0, context.path)
          const page = await client.listModelVersions(context.arg('MODEL')!, {
            ...(stage ? { stage: stage as (typeof STAGES)[number] } : {}),
            page: paging.page,
            size: paging.size,
          })
          const shown = pageOf(paging, page.total, context.path)
          if (format !== 'table') {
            await printData(context.io, format, { items: page.items, pagination: paginationOf(shown) })
            return 0
          }
          printTable(
            context.io,
            [
              { header: 'VERSION', value: (row) => `v${row.number}` },
              { header: 'NAME', value: (row) => row.name ?? '' },
              { header: 'STAGE', value: (row) => (row.stage ? status(context, row.stage) : '') },
              { header: 'ID', value: (row) => shortId(row.id), shrink: false },
              { header: 'CREATED', value: (row) => row.createdAt.replace('T', ' ').slice(0, 19) },
            ],
            page.items,
          )
          pageFooter(context.io, shown, 'versions')
          return 0
        }),
    }),
    describe: defineCommand({
      summary: 'Show a version: stage, metadata, linked artifacts and runs',
      args: [modelArg, versionArg],
      options: [OUTPUT_OPTION],
      run: (context) =>
        withClient(context, async (client) => {
          const format = formatOf(context)
          const found = await client.getModelVersion(context.arg('MODEL')!, versionOf(context))
          if (format !== 'table') await printData(context.io, format, found)
          else describeVersion(context, found)
          return 0
        }),
    }),
    update: defineCommand({
      summary: 'Promote a version (--stage), or change its name, description or tags',
      description:
        "staging and production hold one version each: taking an occupied stage is refused unless --force, which archives the version that held it. '--stage none' takes a version out of its stage.",
      args: [modelArg, versionArg],
      options: [
        { name: 'stage', help: 'staging, production, archived, or none' },
        { name: 'force', type: 'boolean', help: 'Archive the version that holds the stage' },
        { name: 'name', help: "The version's name" },
        { name: 'description', help: "The version's description" },
        { name: 'tag', short: 't', multiple: true, help: 'Replace its tags (repeat for several)' },
      ],
      examples: ['strata model version update churn 3 --stage production --force'],
      run: (context) =>
        withClient(context, async (client) => {
          const model = context.arg('MODEL')!
          const reference = versionOf(context)
          const stage = context.arg('stage')
          if (stage !== undefined && stage !== 'none' && !(STAGES as readonly string[]).includes(stage)) {
            throw new UsageError(`--stage must be one of ${STAGES.join(', ')} or none`, context.path)
          }
          const tags = context.options.tag as string[] | undefined
          let updated = await client.getModelVersion(model, reference)
          if (context.arg('name') !== undefined || context.arg('description') !== undefined || tags) {
            await client.updateModelVersion(model, updated.number, {
              ...(context.arg('name') !== undefined ? { name: context.arg('name')! } : {}),
              ...(context.arg('description') !== undefined
                ? { description: context.arg('description')! }
                : {}),
              ...(tags ? { tags } : {}),
            })
          }
          if (stage !== undefined) {
            await client.setModelStage(
              model,
              updated.number,
              stage === 'none' ? null : (stage as (typeof STAGES)[number]),
              {
                force: context.options.force === true,
              },
            )
          }
          updated = await client.getModelVersion(model, updated.number)
          done(
            context,
            `Model ${model} v${updated.number}${updated.stage ? ` is in ${updated.stage}` : ' has no stage'}.`,
          )
          return 0
        }),
    }),
    delete: defineCommand({
      summary: 'Delete a version (its artifacts stay)',
      args: [modelArg, versionArg],
      run: (context) =>
        withClient(context, async (client) => {
          const deleted = await client.deleteModelVersion(context.arg('MODEL')!, versionOf(context))
          done(context, `Deleted ${deleted.modelName} v${deleted.number}.`)
          return 0
        }),
    }),
    artifacts: defineCommand({
      summary: 'List the artifacts linked to a version',
      args: [modelArg, versionArg],
      options: [OUTPUT_OPTION, ...PAGE_OPTIONS],
      run: (context) =>
        withClient(context, async (client) => {
          const format = formatOf(context)
          const found = await client.getModelVersion(context.arg('MODEL')!, versionOf(context))
          const shown = pageOf(context.options, found.artifacts.length, context.path)
          const items = found.artifacts.slice(shown.offset, shown.offset + shown.size)
          if (format !== 'table') {
            await printData(context.io, format, { items, pagination: paginationOf(shown) })
            return 0
          }
          printTable(
            context.io,
            [
              { header: 'ARTIFACT', value: (row) => row.name },
              { header: 'VERSION', value: (row) => `v${row.version}` },
              { header: 'KIND', value: (row) => row.kind },
              { header: 'ID', value: (row) => shortId(row.artifactVersionId), shrink: false },
            ],
            items,
          )
          pageFooter(context.io, shown, 'artifacts')
          return 0
        }),
    }),
    runs: defineCommand({
      summary: 'List the runs linked to a version',
      args: [modelArg, versionArg],
      options: [OUTPUT_OPTION, ...PAGE_OPTIONS],
      run: (context) =>
        withClient(context, async (client) => {
          const format = formatOf(context)
          const found = await client.getModelVersion(context.arg('MODEL')!, versionOf(context))
          const shown = pageOf(context.options, found.runs.length, context.path)
          const items = found.runs.slice(shown.offset, shown.offset + shown.size)
          if (format !== 'table') {
            await printData(context.io, format, { items, pagination: paginationOf(shown) })
            return 0
          }
          printTable(
            context.io,
            [
              { header: 'RUN', value: (row) => row.name },
              { header: 'STATUS', value: (row) => status(context, row.status) },
              { header: 'STARTED', value: (row) => row.createdAt.replace('T', ' ').slice(0, 19) },
            ],
            items,
          )
          pageFooter(context.io, shown, 'runs')
          return 0
        }),
    }),
  },
})

export default defineGroup({
  summary: 'The Model Control Plane: models, versions, stages',
  commands: {
    register: defineCommand({
      summary: 'Register a model (runs that declare a model register it on first use too)',
      args: [modelArg],
      options: modelFields,
      examples: ["strata model register churn --license MIT --description 'Predicts churn' -t tabular"],
      run: (context) =>
        withClient(context, async (client) => {
          const model = await client.registerModel(context.arg('MODEL')!, fieldsOf(context))
          done(context, `Registered model '${model.name}'.`)
          return 0
        }),
    }),
    list: defineCommand({
      summary: 'List models with their latest and production versions',
      options: [OUTPUT_OPTION, ...PAGE_OPTIONS],
      run: (context) =>
        withClient(context, async (client) => {
          const format = formatOf(context)
          const paging = pageOf(context.options, 0, context.path)
          const page = await client.listModels({ page: paging.page, size: paging.size })
          const shown = pageOf(paging, page.total, context.path)
          if (format !== 'table') {
            await printData(context.io, format, { items: page.items, pagination: paginationOf(shown) })
            return 0
          }
          printTable(
            context.io,
            [
              { header: 'MODEL', value: (row) => row.name },
              { header: 'VERSIONS', value: (row) => String(row.versions) },
              { header: 'PRODUCTION', value: (row) => (row.production ? `v${row.production}` : '') },
              { header: 'DESCRIPTION', value: (row) => row.description ?? '' },
            ],
            page.items,
          )
          pageFooter(context.io, shown, 'models')
          return 0
        }),
    }),
    describe: defineCommand({
      summary: 'Show a model, its versions and its stage history',
      args: [modelArg],
      options: [OUTPUT_OPTION],
      run: (context) =>
        withClient(context, async (client) => {
          const format = formatOf(context)
          const model = await client.getModel(context.arg('MODEL')!)
          if (format !== 'table') {
            await printData(context.io, format, model)
            return 0
          }
          printFields(context.io, [
            ['Model', model.name],
            ['Description', model.description ?? ''],
            ['License', model.license ?? ''],
            ['Use cases', model.useCases ?? ''],
            ['Limitations', model.limitations ?? ''],
            ['Tags', model.tags.join(', ')],
            [
              'Versions',
              model.versions.map((row) => `v${row.number}${row.stage ? ` (${row.stage})` : ''}`).join(', '),
            ],
          ])
          if (model.stageEvents.length > 0) {
            context.io.out()
            printTable(
              context.io,
              [
                { header: 'WHEN', value: (row) => row.at.replace('T', ' ').slice(0, 19) },
                { header: 'VERSION', value: (row) => `v${row.number}` },
                { header: 'FROM', value: (row) => row.from ?? '—' },
                { header: 'TO', value: (row) => row.to ?? '—' },
                { header: 'WHO', value: (row) => row.actor },
              ],
              model.stageEvents,
            )
          }
          return 0
        }),
    }),
    update: defineCommand({
      summary: "Change a model's name, description, license, use cases, limitations or tags",
      args: [modelArg],
      options: [{ name: 'name', help: 'A new name' }, ...modelFields],
      run: (context) =>
        withClient(context, async (client) => {
          const model = await client.updateModel(context.arg('MODEL')!, {
            ...fieldsOf(context),
            ...(context.arg('name') !== undefined ? { name: context.arg('name')! } : {}),
          })
          done(context, `Updated model '${model.name}'.`)
          return 0
        }),
    }),
    delete: defineCommand({
      summary: 'Delete a model and its versions (artifacts and runs stay)',
      args: [modelArg],
      run: (context) =>
        withClient(context, async (client) => {
          if (!(await context.confirm(`Delete model '${context.arg('MODEL')}' and all its versions?`)))
            return 1
          const model = await client.deleteModel(context.arg('MODEL')!)
          done(context, `Deleted model '${model.name}'.`)
          return 0
        }),
    }),
    version,
  },
})
