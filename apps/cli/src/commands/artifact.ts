import {
  dateTime,
  defineCommand,
  defineGroup,
  done,
  outputOption,
  pageOptions,
  printData,
  printFields,
  printList,
  shortId,
} from '../kit.js'

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`
}

/** The `Data` line of `artifact describe`. */
function dataLine(
  data: { state: string; reason?: string } & Partial<{ files: number; size: number }>,
): string {
  const files = `${data.files ?? 0} file${data.files === 1 ? '' : 's'}, ${size(data.size ?? 0)}`
  if (data.state === 'present') return `present (${files}; sizes checked, --verify reads the bytes)`
  if (data.state === 'intact') return `intact (${files}; every byte matches the digest)`
  if (data.state === 'missing') return `MISSING — ${data.reason}`
  if (data.state === 'damaged') return `DAMAGED — ${data.reason}`
  return `not checked — ${data.reason}`
}

const nameArgument = { name: 'NAME', required: true, help: "The artifact's name" } as const

export default defineGroup({
  summary: 'Browse artifacts and their versions; prune what nothing refers to',
  commands: {
    list: defineCommand({
      summary: 'List artifacts (names with how many versions they have)',
      options: { ...outputOption, name: { help: 'Only names containing this' }, ...pageOptions },
      async run(context) {
        const { name } = context.options
        return printList(context, {
          rows: async (page) =>
            (await context.client()).listArtifacts({ name, page: page.page, size: page.size }),
          noun: 'artifacts',
          columns: [
            { header: 'ARTIFACT', value: (row) => row.name },
            { header: 'VERSIONS', value: (row) => String(row.versions) },
            { header: 'LATEST', value: (row) => `v${row.latestVersion}` },
            { header: 'UPDATED', value: (row) => dateTime(row.latestCreatedAt) },
          ],
        })
      },
    }),
    versions: defineCommand({
      summary: "List an artifact's versions, newest first",
      args: [nameArgument],
      options: { ...outputOption, ...pageOptions },
      async run(context) {
        return printList(context, {
          rows: async (page) =>
            (await context.client()).artifactVersions(context.args.NAME, {
              page: page.page,
              size: page.size,
            }),
          noun: 'versions',
          columns: [
            { header: 'VERSION', value: (row) => `v${row.version}` },
            { header: 'ID', value: (row) => shortId(row.id), shrink: false },
            { header: 'KIND', value: (row) => row.kind },
            { header: 'TYPE', value: (row) => row.dataType },
            { header: 'MATERIALIZER', value: (row) => `${row.materializer}@${row.materializerVersion}` },
            { header: 'SIZE', value: (row) => size(row.size) },
            { header: 'DIGEST', value: (row) => row.digest.slice(0, 12) },
            { header: 'CREATED', value: (row) => dateTime(row.createdAt) },
          ],
        })
      },
    }),
    describe: defineCommand({
      summary: 'Show one artifact version (the newest unless --version), and whether its data is still there',
      args: [nameArgument],
      options: {
        ...outputOption,
        version: { type: 'number', placeholder: 'N', help: 'A version number' },
        verify: {
          type: 'boolean',
          help: "Read every byte and check it against the version's digest (without it, only sizes)",
        },
      },
      async run(context) {
        const { output } = context.options
        const client = await context.client()
        const version = await client.getArtifactVersion(context.args.NAME, context.options.version)
        // The record is what was asked for: data that is gone, damaged or out of reach is shown, not fatal.
        const data = await client
          .artifactData(version, { verify: context.options.verify ?? false })
          .catch((error: unknown) => ({
            state: 'unchecked' as const,
            reason: error instanceof Error ? error.message : String(error),
          }))
        if (output !== 'table') {
          await printData(context.io, output, { ...version, data })
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
          ['Data', dataLine(data)],
        ])
        return 0
      },
    }),
    prune: defineCommand({
      summary:
        'Remove unreferenced step outputs, and prefixes and temporary files left by crashed writes (a dry run unless --yes)',
      options: {
        ...outputOption,
        yes: { short: 'y', type: 'boolean', help: 'Delete; without it, only list' },
      },
      async run(context) {
        const { output } = context.options
        const client = await context.client()
        const result = await client.pruneArtifacts({ dryRun: !context.options.yes })
        if (output !== 'table') {
          await printData(context.io, output, result)
          return 0
        }
        for (const note of result.notes) context.io.note(note)
        if (
          result.versions.length === 0 &&
          result.orphanedPrefixes.length === 0 &&
          result.temporaryFiles.length === 0
        ) {
          context.io.out('Nothing to prune.')
          return 0
        }
        for (const version of result.versions) {
          context.io.out(
            `version  ${version.name} v${version.version}  ${size(version.size)}  ${version.prefix}`,
          )
        }
        for (const prefix of result.orphanedPrefixes) context.io.out(`orphan   ${prefix}`)
        for (const file of result.temporaryFiles) {
          context.io.out(
            `temp     ${file.key}  ${size(file.size)}  (its writer is ${file.writer === 'gone' ? 'gone' : 'unknown and it is old'})`,
          )
        }
        if (result.dryRun) context.io.note('Dry run: nothing was deleted. Pass --yes to delete these.')
        else
          done(
            context,
            `Deleted ${result.versions.length} versions, ${result.orphanedPrefixes.length} orphaned prefixes and ${result.temporaryFiles.length} temporary files.`,
          )
        return 0
      },
    }),
  },
})
