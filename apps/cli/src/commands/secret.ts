import {
  type CommandContext,
  dateTime,
  defineCommand,
  defineGroup,
  done,
  listOptions,
  MASK,
  outputOption,
  printList,
  shortId,
  toYaml,
  UsageError,
} from '../kit.js'

const nameArgument = { name: 'NAME', required: true, help: "The secret's name" } as const
const valuesOption = {
  values: {
    placeholder: 'JSON',
    help: "Key/value pairs as a JSON or YAML object, or '@file' holding one",
  },
} as const

/** Values from `--KEY=VALUE` pairs and `--values`, each registered so that no output can show it. */
async function valuesOf(
  context: CommandContext<object, { values: string | undefined }>,
): Promise<Record<string, string>> {
  const values: Record<string, string> = {}
  const given = context.options.values
  if (given !== undefined) {
    context.io.sensitive(given)
    const text = context.readValue(given, '--values')
    context.io.sensitive(text)
    let parsed: unknown
    try {
      parsed = (await import('yaml')).parse(text)
    } catch {
      parsed = undefined
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UsageError(
        '--values must be a JSON or YAML object of key/value pairs, e.g. --values=\'{"token": "..."}\'',
        context.path,
      )
    }
    for (const [key, value] of Object.entries(parsed))
      values[key] = typeof value === 'string' ? value : JSON.stringify(value)
  }
  for (const { key, value } of context.extras) {
    if (value === true)
      throw new UsageError(`--${key} needs a value: --${key}=VALUE (or --${key}=@file)`, context.path)
    values[key] = context.readValue(value, `--${key}`)
  }
  for (const value of Object.values(values)) context.io.sensitive(value)
  return values
}

export default defineGroup({
  summary: 'Create and manage secrets (values encrypted at rest, never printed unless --reveal)',
  description: 'Components refer to secret values as {{secret_name.key}} in their secret fields.',
  commands: {
    create: defineCommand({
      summary: 'Create a secret',
      args: [nameArgument],
      options: valuesOption,
      extras: { kind: 'secret', help: "A key and its value ('@file' reads the value from a file)" },
      examples: ['strata secret create aws --access_key_id=AKIA... --secret_access_key=@./key.txt'],
      async run(context) {
        const values = await valuesOf(context)
        if (Object.keys(values).length === 0)
          throw new UsageError('a secret needs at least one --KEY=VALUE', context.path)
        const workspace = await context.workspace()
        const name = context.args.NAME
        const secret = await workspace.store.transaction((tx) => tx.secrets.create(name, values))
        done(context, `Created secret '${secret.name}' (keys: ${secret.keys.join(', ')}).`)
        return 0
      },
    }),
    get: defineCommand({
      summary: "Show a secret's keys (values only with --reveal)",
      args: [nameArgument],
      options: { ...outputOption, reveal: { type: 'boolean', help: 'Print the values too' } },
      async run(context) {
        const { output, reveal } = context.options
        const workspace = await context.workspace()
        const { secrets } = workspace.store
        const secret = await secrets.get(context.args.NAME)
        const values =
          (reveal ? await secrets.values(secret.name) : undefined) ??
          Object.fromEntries(secret.keys.map((key) => [key, MASK]))
        const data = {
          id: secret.id,
          name: secret.name,
          values,
          createdAt: secret.createdAt,
          updatedAt: secret.updatedAt,
        }
        if (output !== 'table') {
          if (output === 'json') context.io.reveal(JSON.stringify(data, null, 2))
          // Double-quoted where a value holds a control character, so that the neutralised YAML reads it back.
          else context.io.reveal((await toYaml(data)).trimEnd())
          return 0
        }
        context.io.out(context.io.style(`Secret '${secret.name}'`, 'bold'))
        const width = Math.max(3, ...secret.keys.map((key) => key.length))
        context.io.out(context.io.style(`${'KEY'.padEnd(width)}  VALUE`, 'bold'))
        for (const key of secret.keys) context.io.reveal(`${key.padEnd(width)}  ${values[key]}`)
        return 0
      },
    }),
    list: defineCommand({
      summary: 'List secrets (names and keys)',
      options: listOptions(['name', 'created', 'updated']),
      async run(context) {
        return printList(context, {
          rows: async (page) => {
            const { secrets } = (await context.workspace()).store
            return {
              items: await secrets.list({
                sort: context.options.sort,
                limit: page.size,
                offset: page.offset,
              }),
              total: await secrets.count(),
            }
          },
          noun: 'secrets',
          empty: "No secrets yet — create one with 'strata secret create NAME --KEY=VALUE'.",
          columns: [
            { header: 'NAME', value: (row) => row.name },
            { header: 'ID', value: (row) => shortId(row.id), shrink: false },
            { header: 'KEYS', value: (row) => row.keys.join(', ') },
            { header: 'UPDATED', value: (row) => dateTime(row.updatedAt), shrink: false },
          ],
        })
      },
    }),
    update: defineCommand({
      summary: 'Set or remove keys of a secret',
      args: [nameArgument],
      options: {
        ...valuesOption,
        'remove-keys': {
          placeholder: 'KEYS',
          multiple: true,
          help: 'Keys to remove (comma-separated or repeated)',
        },
      },
      extras: { kind: 'secret', help: 'A key to set and its value' },
      async run(context) {
        const values = await valuesOf(context)
        const remove = context.options['remove-keys'] ?? []
        if (Object.keys(values).length === 0 && remove.length === 0) {
          throw new UsageError('nothing to update: pass --KEY=VALUE pairs or --remove-keys KEY', context.path)
        }
        const workspace = await context.workspace()
        const name = context.args.NAME
        const secret = await workspace.store.transaction((tx) =>
          tx.secrets.update(name, { set: values, remove }),
        )
        done(context, `Updated secret '${secret.name}' (keys: ${secret.keys.join(', ')}).`)
        return 0
      },
    }),
    delete: defineCommand({
      summary: 'Delete a secret',
      args: [nameArgument],
      options: { yes: { short: 'y', type: 'boolean', help: 'Do not ask for confirmation' } },
      async run(context) {
        const workspace = await context.workspace()
        const name = context.args.NAME
        await workspace.store.secrets.get(name)
        if (!context.options.yes && !(await context.confirm(`Delete secret '${name}'?`))) {
          context.io.note('Nothing deleted.')
          return 1
        }
        await workspace.store.transaction((tx) => tx.secrets.delete(name))
        done(context, `Deleted secret '${name}'.`)
        return 0
      },
    }),
  },
})
