import {
  defineCommand,
  defineGroup,
  done,
  formatOf,
  OUTPUT_OPTION,
  PAGE_OPTIONS,
  pageFooter,
  pageOf,
  paginationOf,
  printData,
  printFields,
  printTable,
  shortId,
} from '../kit.js'
import { openClient } from './pipeline.js'

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`
}

const nameArg = { name: 'NAME', required: true, help: "The artifact's name" }

export default defineGroup({
  summary: 'Browse artifacts and their versions; prune what nothing refers to',
  commands: {
    list: defineCommand({
      summary: 'List artifacts (names with how many versions they have)',
      options: [OUTPUT_OPTION, { name: 'name', help: 'Only names containing this' }, ...PAGE_OPTIONS],
      async run(context) {
        const format = formatOf(context)
        const paging = pageOf(context.options, 0, context.path)
        const client = await openClient(context)
        try {
          const page = await client.listArtifacts({
            ...(context.arg('name') ? { name: context.arg('name')! } : {}),
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
              { header: 'ARTIFACT', value: (row) => row.name },
              { header: 'VERSIONS', value: (row) => String(row.versions) },
              { header: 'LATEST', value: (row) => `v${row.latestVersion}` },
              { header: 'UPDATED', value: (row) => row.latestCreatedAt.replace('T', ' ').slice(0, 19) },
            ],
            page.items,
          )
          pageFooter(context.io, shown, 'artifacts')
          return 0
        } finally {
          await client.close()
        }
      },
    }),
    versions: defineCommand({
      summary: "List an artifact's versions, newest first",
      args: [nameArg],
      options: [OUTPUT_OPTION, ...PAGE_OPTIONS],
      async run(context) {
        const format = formatOf(context)
        const paging = pageOf(context.options, 0, context.path)
        const client = await openClient(context)
        try {
          const page = await client.artifactVersions(context.arg('NAME')!, {
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
              { header: 'VERSION', value: (row) => `v${row.version}` },
              { header: 'ID', value: (row) => shortId(row.id), shrink: false },
              { header: 'KIND', value: (row) => row.kind },
              { header: 'TYPE', value: (row) => row.dataType },
              { header: 'MATERIALIZER', value: (row) => `${row.materializer}@${row.materializerVersion}` },
              { header: 'SIZE', value: (row) => size(row.size) },
              { header: 'DIGEST', value: (row) => row.digest.slice(0, 12) },
              { header: 'CREATED', value: (row) => row.createdAt.replace('T', ' ').slice(0, 19) },
            ],
            page.items,
          )
          pageFooter(context.io, shown, 'versions')
          return 0
        } finally {
          await client.close()
        }
      },
    }),
    describe: defineCommand({
      summary: 'Show one artifact version (the newest unless --version)',
      args: [nameArg],
      options: [
        OUTPUT_OPTION,
        { name: 'version', type: 'number', placeholder: 'N', help: 'A version number' },
      ],
      async run(context) {
        const format = formatOf(context)
        const client = await openClient(context)
        try {
          const version = await client.getArtifactVersion(
            context.arg('NAME')!,
            context.options.version === undefined ? undefined : Number(context.options.version),
          )
          if (format !== 'table') {
            await printData(context.io, format, version)
            return 0
          }
          printFields(context.io, [
            ['Artifact', version.name],
            ['Version', `v${version.version}`],
            ['ID', version.id],
            ['Kind', version.kind],
            ['Data type', version.dataType],
            ['Materializer', `${version.materializer} (format version ${version.materializerVersion})`],
            ['Size', size(version.size)],
            ['Digest', `sha256:${version.digest}`],
            ['Store', version.artifactStoreUri],
            ['Prefix', version.prefix],
            ['Saved', `${version.saveType} at ${version.createdAt}`],
          ])
          return 0
        } finally {
          await client.close()
        }
      },
    }),
    prune: defineCommand({
      summary:
        'Remove unreferenced step outputs and prefixes left by crashed writes (a dry run unless --yes)',
      options: [
        OUTPUT_OPTION,
        { name: 'yes', short: 'y', type: 'boolean', help: 'Delete; without it, only list' },
      ],
      async run(context) {
        const format = formatOf(context)
        const client = await openClient(context)
        try {
          const result = await client.pruneArtifacts({ dryRun: context.options.yes !== true })
          if (format !== 'table') {
            await printData(context.io, format, result)
            return 0
          }
          for (const note of result.notes) context.io.note(note)
          if (result.versions.length === 0 && result.orphanedPrefixes.length === 0) {
            context.io.out('Nothing to prune.')
            return 0
          }
          for (const version of result.versions) {
            context.io.out(
              `version  ${version.name} v${version.version}  ${size(version.size)}  ${version.prefix}`,
            )
          }
          for (const prefix of result.orphanedPrefixes) context.io.out(`orphan   ${prefix}`)
          if (result.dryRun) context.io.note('Dry run: nothing was deleted. Pass --yes to delete these.')
          else
            done(
              context,
              `Deleted ${result.versions.length} versions and ${result.orphanedPrefixes.length} orphaned prefixes.`,
            )
          return 0
        } finally {
          await client.close()
        }
      },
    }),
  },
})
