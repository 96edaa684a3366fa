import type { ModelVersionDetails } from '@strata/sdk'
import type { ModelStage } from '@strata/store'
import {
  type ArgumentSpec,
  type Column,
  type CommandContext,
  dateTime,
  defineCommand,
  defineGroup,
  done,
  type Io,
  outputOption,
  pageOptions,
  printData,
  printFields,
  printList,
  shortId,
  slicePage,
  styledState,
} from '../kit.js'

export const modelArgument = {
  name: 'MODEL',
  required: true,
  help: "The model's name",
} as const satisfies ArgumentSpec
const versionArgument = {
  name: 'VERSION',
  required: true,
  help: 'A version number, name, stage or "latest"',
} as const satisfies ArgumentSpec
const STAGES = ['staging', 'production', 'archived'] as const satisfies readonly ModelStage[]

/** A version given on the command line: numbers stay numbers. */
function versionOf(context: CommandContext<{ VERSION: string }>): string | number {
  const raw = context.args.VERSION
  return /^\d+$/.test(raw) ? Number(raw) : raw
}

function describeVersion(context: CommandContext, version: ModelVersionDetails): void {
  printFields(context.io, [
    ['Model', version.modelName],
    ['Version', `v${version.number}${version.name ? ` (${version.name})` : ''}`],
    ['ID', version.id],
    ['Stage', version.stage ? styledState(context.io, version.stage) : '—'],
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

/** `model version artifacts|runs MODEL VERSION`: one page of what is linked to a version. */
function linksCommand<Row>(
  noun: 'artifacts' | 'runs',
  links: (version: ModelVersionDetails) => readonly Row[],
  columns: (io: Io) => ReadonlyArray<Column<Row>>,
) {
  return defineCommand({
    summary: `List the ${noun} linked to a version`,
    args: [modelArgument, versionArgument],
    options: { ...outputOption, ...pageOptions },
    async run(context) {
      return printList(context, {
        rows: async (page) => {
          const client = await context.client()
          return slicePage(links(await client.getModelVersion(context.args.MODEL, versionOf(context))), page)
        },
        noun,
        columns: columns(context.io),
      })
    },
  })
}

/** `strata model version ...` */
export const versionGroup = defineGroup({
  summary: 'Model versions: list, describe, promote, link',
  commands: {
    list: defineCommand({
      summary: "List a model's versions, newest first",
      args: [modelArgument],
      options: {
        ...outputOption,
        stage: { choices: STAGES, help: 'Only versions in this stage' },
        ...pageOptions,
      },
      async run(context) {
        const { stage } = context.options
        return printList(context, {
          rows: async (page) =>
            (await context.client()).listModelVersions(context.args.MODEL, {
              stage,
              page: page.page,
              size: page.size,
            }),
          noun: 'versions',
          columns: [
            { header: 'VERSION', value: (row) => `v${row.number}` },
            { header: 'NAME', value: (row) => row.name ?? '' },
            { header: 'STAGE', value: (row) => (row.stage ? styledState(context.io, row.stage) : '') },
            { header: 'ID', value: (row) => shortId(row.id), shrink: false },
            { header: 'CREATED', value: (row) => dateTime(row.createdAt) },
          ],
        })
      },
    }),
    describe: defineCommand({
      summary: 'Show a version: stage, metadata, linked artifacts and runs',
      args: [modelArgument, versionArgument],
      options: outputOption,
      async run(context) {
        const { output } = context.options
        const client = await context.client()
        const found = await client.getModelVersion(context.args.MODEL, versionOf(context))
        if (output !== 'table') await printData(context.io, output, found)
        else describeVersion(context, found)
        return 0
      },
    }),
    update: defineCommand({
      summary: 'Promote a version (--stage), or change its name, description or tags',
      description:
        "staging and production hold one version each: taking an occupied stage is refused unless --force, which archives the version that held it. '--stage none' takes a version out of its stage.",
      args: [modelArgument, versionArgument],
      options: {
        stage: { choices: [...STAGES, 'none'], help: 'staging, production, archived, or none' },
        force: { type: 'boolean', help: 'Archive the version that holds the stage' },
        name: { help: "The version's name" },
        description: { help: "The version's description" },
        tag: { short: 't', multiple: true, help: 'Replace its tags (repeat for several)' },
      },
      examples: ['strata model version update churn 3 --stage production --force'],
      async run(context) {
        const { stage, force, name, description, tag: tags } = context.options
        const model = context.args.MODEL
        const client = await context.client()
        const { number } = await client.getModelVersion(model, versionOf(context))
        if (name !== undefined || description !== undefined || tags) {
          await client.updateModelVersion(model, number, { name, description, tags })
        }
        if (stage !== undefined) {
          await client.setModelStage(model, number, stage === 'none' ? null : stage, { force })
        }
        const updated = await client.getModelVersion(model, number)
        done(
          context,
          `Model ${model} v${updated.number}${updated.stage ? ` is in ${updated.stage}` : ' has no stage'}.`,
        )
        return 0
      },
    }),
    delete: defineCommand({
      summary: 'Delete a version (its artifacts stay)',
      args: [modelArgument, versionArgument],
      async run(context) {
        const client = await context.client()
        const deleted = await client.deleteModelVersion(context.args.MODEL, versionOf(context))
        done(context, `Deleted ${deleted.modelName} v${deleted.number}.`)
        return 0
      },
    }),
    artifacts: linksCommand(
      'artifacts',
      (version) => version.artifacts,
      () => [
        { header: 'ARTIFACT', value: (row) => row.name },
        { header: 'VERSION', value: (row) => `v${row.version}` },
        { header: 'KIND', value: (row) => row.kind },
        { header: 'ID', value: (row) => shortId(row.artifactVersionId), shrink: false },
      ],
    ),
    runs: linksCommand(
      'runs',
      (version) => version.runs,
      (io) => [
        { header: 'RUN', value: (row) => row.name },
        { header: 'STATUS', value: (row) => styledState(io, row.status) },
        { header: 'STARTED', value: (row) => dateTime(row.createdAt) },
      ],
    ),
  },
})
