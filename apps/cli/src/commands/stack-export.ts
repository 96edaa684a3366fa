import { resolve } from 'node:path'
import { defineCommand, done, UsageError, warnMissingSecrets } from '../kit.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of `strata stack list`; getBuiltinModule hands over the already-loaded module.
const { existsSync, writeFileSync } = process.getBuiltinModule('node:fs')

const stackArgument = { name: 'NAME', required: true, help: "The stack's name (or id)" } as const

/** `strata stack export`: a stack as YAML, secret fields left as references. */
export const stackExportCommand = defineCommand({
  summary: 'Write a stack to a YAML file (secret fields keep their {{secret.key}} references)',
  args: [stackArgument, { name: 'FILE', help: "Where to write it (default NAME.yaml; '-' for stdout)" }],
  async run(context) {
    const [workspace, sdk, { registry }] = await Promise.all([
      context.workspace(),
      context.sdk(),
      context.flavors(),
    ])
    await sdk.ensureDefaultStack(workspace.store)
    const stack = await workspace.store.stacks.get(context.args.NAME)
    const yaml = sdk.exportStack(stack, { registry, strataVersion: context.version })
    const file = context.args.FILE ?? `${stack.name}.yaml`
    if (file === '-') {
      context.io.out(yaml.trimEnd())
      return 0
    }
    writeFileSync(resolve(context.cwd, file), context.io.scrub(yaml))
    done(context, `Exported stack '${stack.name}' to ${file}.`)
    return 0
  },
})

/** `strata stack import`: idempotent, so a stacks file in a repository is how a team shares stacks. */
export const stackImportCommand = defineCommand({
  summary: 'Import a stack from a YAML file written by stack export (idempotent)',
  description:
    "'strata stack import FILE' or, as ZenML has it, 'strata stack import NAME [-f FILE]' (FILE defaults to NAME.yaml).\nComponents identical to existing ones are reused; importing the same file again changes nothing.",
  args: [{ name: 'NAME_OR_FILE', help: 'The file, or the name to give the stack' }],
  options: {
    file: { short: 'f', placeholder: 'FILE', help: 'The YAML file' },
    name: { short: 'n', placeholder: 'NAME', help: 'Import under this name instead of the one in the file' },
  },
  async run(context) {
    const given = context.args.NAME_OR_FILE
    let { file, name } = context.options
    if (file === undefined) {
      if (given === undefined) throw new UsageError('missing FILE', context.path)
      if (/\.ya?ml$/i.test(given) || existsSync(resolve(context.cwd, given))) file = given
      else [file, name] = [`${given}.yaml`, name ?? given]
    } else if (given !== undefined) name ??= given
    const sdk = await context.sdk()
    // Read (at most 1 MiB) and parsed before the store opens: a wrong file changes nothing.
    const document = sdk.parseStackExport(sdk.readStackFile(resolve(context.cwd, file)), file)
    const [workspace, { registry }] = await Promise.all([context.workspace(), context.flavors()])
    const result = await sdk.importStack(workspace, document, { registry, ...(name ? { name } : {}) })
    if (result.status === 'unchanged')
      done(context, `Stack '${result.stack.name}' is already imported; nothing changed.`)
    else
      done(
        context,
        `Imported stack '${result.stack.name}'${result.createdComponents.length ? ` with new components ${result.createdComponents.join(', ')}` : ''}.`,
      )
    warnMissingSecrets(context, result.missingSecrets)
    return 0
  },
})
