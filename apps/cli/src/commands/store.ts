import { resolve } from 'node:path'
import {
  type CommandContext,
  defineCommand,
  defineGroup,
  done,
  outputOption,
  printData,
  printFields,
} from '../kit.js'

const fileArgument = { name: 'FILE', required: true, help: 'The backup file' } as const

/** The store's file and directory, as every command finds them (`STRATA_CONFIG_DIR`, XDG, ~/.config). */
async function storeFile(context: CommandContext): Promise<{ configDir: string; path: string }> {
  const { resolveConfigDir } = await import('@strata/store')
  const configDir = resolveConfigDir(context.env)
  return { configDir, path: resolve(configDir, 'strata.db') }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`
}

/** Where secret values in a copy of the store open: never in the copy itself. */
function secretsKeyNote(configDir: string, env: NodeJS.ProcessEnv): string {
  return env.STRATA_SECRETS_KEY
    ? 'its secret values open only with the key in STRATA_SECRETS_KEY: keep that key with the backup'
    : `its secret values open only with ${resolve(configDir, 'secrets.key')}: keep a copy of that key with the backup`
}

export default defineGroup({
  summary: 'Back up, restore and check the metadata store',
  description:
    'The store is one SQLite file (strata.db in the config directory). A file that is not a store is never started over: restore a backup, or move the file away.',
  commands: {
    backup: defineCommand({
      summary: 'Copy the store into FILE, also while runs write to it (SQLite online backup)',
      args: [fileArgument],
      options: { force: { type: 'boolean', help: 'Replace FILE when it exists' } },
      async run(context) {
        const { SqliteStore } = await import('@strata/store')
        const { configDir } = await storeFile(context)
        const destination = resolve(context.cwd, context.args.FILE)
        const store = context.own(SqliteStore.open({ configDir }))
        const { bytes } = await store.backup(destination, { force: context.options.force })
        const secrets = await store.secrets.count()
        done(context, `Backed up the store at ${store.path} to ${destination} (${size(bytes)}).`)
        if (secrets > 0)
          context.io.note(`It holds ${plural(secrets, 'secret')}: ${secretsKeyNote(configDir, context.env)}.`)
        return 0
      },
    }),
    restore: defineCommand({
      summary: 'Replace the store with a backup made by strata store backup (the replaced one is kept)',
      args: [fileArgument],
      async run(context) {
        const { SqliteStore } = await import('@strata/store')
        const { configDir, path } = await storeFile(context)
        const from = resolve(context.cwd, context.args.FILE)
        const { replaced, schemaVersion } = await SqliteStore.restore({ configDir, from })
        done(context, `Restored the store at ${path} from ${from} (schema v${schemaVersion}).`)
        context.io.note(
          replaced
            ? `The store it replaced is kept as ${replaced}: delete it once you are sure.`
            : 'There was no store before.',
        )
        return 0
      },
    }),
    check: defineCommand({
      summary: "Check the store: SQLite's integrity check, schema version, tables and references",
      options: outputOption,
      async run(context) {
        const { SqliteStore, STORE_SCHEMA_VERSION, damagedStore } = await import('@strata/store')
        const { path } = await storeFile(context)
        const found = SqliteStore.check({ path })
        const { output } = context.options
        if (output !== 'table') {
          await printData(context.io, output, {
            ...found,
            knownSchemaVersion: STORE_SCHEMA_VERSION,
            ok: found.problems.length === 0,
          })
        } else if (!found.exists) {
          context.io.out(`No store at ${path} yet: it is created when a command first needs it.`)
        } else {
          printFields(context.io, [
            ['Store', path],
            [
              'Schema',
              found.schemaVersion === undefined
                ? 'unreadable'
                : `v${found.schemaVersion} (this Strata knows up to v${STORE_SCHEMA_VERSION})`,
            ],
            ['Check', found.problems.length === 0 ? 'ok' : plural(found.problems.length, 'problem')],
          ])
          for (const problem of found.problems) context.io.out(`  - ${problem}`)
        }
        if (found.problems.length === 0) return 0
        const [first, ...others] = found.problems
        throw damagedStore(
          path,
          others.length === 0 ? `${first}` : `${found.problems.length} problems, the first: ${first}`,
        )
      },
    }),
  },
})
