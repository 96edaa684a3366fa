import type { ModelFields } from '@strata/store'
import {
  dateTime,
  defineCommand,
  defineGroup,
  done,
  type Options,
  type OptionValues,
  outputOption,
  pageOptions,
  printData,
  printFields,
  printList,
  printTable,
} from '../kit.js'
import { modelArgument, versionGroup } from './model-version.js'

const modelFields = {
  description: { help: 'What the model does' },
  license: { help: 'Its license' },
  'use-cases': { help: 'What it is for' },
  limitations: { help: 'What it is not good at' },
  tag: { short: 't', multiple: true, help: 'A tag (repeat for several)' },
} as const satisfies Options

/** The fields given as options (an option not given leaves its field as it is). */
function fieldsOf(options: OptionValues<typeof modelFields>): ModelFields {
  const { description, license, 'use-cases': useCases, limitations, tag: tags } = options
  return { description, license, useCases, limitations, tags }
}

export default defineGroup({
  summary: 'The Model Control Plane: models, versions, stages',
  commands: {
    register: defineCommand({
      summary: 'Register a model (runs that declare a model register it on first use too)',
      args: [modelArgument],
      options: modelFields,
      examples: ["strata model register churn --license MIT --description 'Predicts churn' -t tabular"],
      async run(context) {
        const client = await context.client()
        const model = await client.registerModel(context.args.MODEL, fieldsOf(context.options))
        done(context, `Registered model '${model.name}'.`)
        return 0
      },
    }),
    list: defineCommand({
      summary: 'List models with their latest and production versions',
      options: { ...outputOption, ...pageOptions },
      async run(context) {
        return printList(context, {
          rows: async (page) => (await context.client()).listModels({ page: page.page, size: page.size }),
          noun: 'models',
          columns: [
            { header: 'MODEL', value: (row) => row.name },
            { header: 'VERSIONS', value: (row) => String(row.versions) },
            { header: 'PRODUCTION', value: (row) => (row.production ? `v${row.production}` : '') },
            { header: 'DESCRIPTION', value: (row) => row.description ?? '' },
          ],
        })
      },
    }),
    describe: defineCommand({
      summary: 'Show a model, its versions and its stage history',
      args: [modelArgument],
      options: outputOption,
      async run(context) {
        const { output } = context.options
        const model = await (await context.client()).getModel(context.args.MODEL)
        if (output !== 'table') {
          await printData(context.io, output, model)
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
              { header: 'WHEN', value: (row) => dateTime(row.at) },
              { header: 'VERSION', value: (row) => `v${row.number}` },
              { header: 'FROM', value: (row) => row.from ?? '—' },
              { header: 'TO', value: (row) => row.to ?? '—' },
              { header: 'WHO', value: (row) => row.actor },
            ],
            model.stageEvents,
          )
        }
        return 0
      },
    }),
    update: defineCommand({
      summary: "Change a model's name, description, license, use cases, limitations or tags",
      args: [modelArgument],
      options: { name: { help: 'A new name' }, ...modelFields },
      async run(context) {
        const client = await context.client()
        const model = await client.updateModel(context.args.MODEL, {
          ...fieldsOf(context.options),
          name: context.options.name,
        })
        done(context, `Updated model '${model.name}'.`)
        return 0
      },
    }),
    delete: defineCommand({
      summary: 'Delete a model and its versions (artifacts and runs stay)',
      args: [modelArgument],
      async run(context) {
        const name = context.args.MODEL
        if (!(await context.confirm(`Delete model '${name}' and all its versions?`))) return 1
        const model = await (await context.client()).deleteModel(name)
        done(context, `Deleted model '${model.name}'.`)
        return 0
      },
    }),
    version: versionGroup,
  },
})
