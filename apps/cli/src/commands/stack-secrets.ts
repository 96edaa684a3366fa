import { COMPONENT_TYPES, defineCommand, done, namedOrActiveStack } from '../kit.js'

/** `strata stack register-secrets`: asks for the secrets a stack references but the store lacks. */
export const stackSecretsCommand = defineCommand({
  summary: 'Create the secrets a stack references but the store lacks, asking for each value',
  description: 'Values are read from the terminal without echo, or one per line from stdin.',
  args: [{ name: 'NAME', help: 'The stack (default: the active stack)' }],
  async run(context) {
    const [workspace, sdk, { registry }, { secretReferencesOf }] = await Promise.all([
      context.workspace(),
      context.sdk(),
      context.flavors(),
      import('@strata/core'),
    ])
    const stack = await namedOrActiveStack(workspace, context.args.NAME)
    const references = COMPONENT_TYPES.flatMap((type) => {
      const component = stack.components[type]
      const schema = component && registry.find(type, component.flavor)?.configSchema
      return component && schema ? secretReferencesOf(component.config, schema) : []
    })
    const missing = await sdk.missingSecrets(workspace.store.secrets, references)
    if (missing.length === 0) {
      done(
        context,
        `Stack '${stack.name}' references ${references.length} secret value${references.length === 1 ? '' : 's'}; all exist.`,
      )
      return 0
    }
    const values = new Map<string, Record<string, string>>()
    for (const { secret, key } of missing) {
      const value = await context.prompt(`Value for {{${secret}.${key}}}: `, { hidden: true })
      context.io.sensitive(value)
      values.set(secret, { ...values.get(secret), [key]: value })
    }
    await workspace.store.transaction(async (tx) => {
      for (const [secret, entries] of values) {
        if (await tx.secrets.find(secret)) await tx.secrets.update(secret, { set: entries })
        else await tx.secrets.create(secret, entries)
      }
    })
    for (const [secret, entries] of values)
      done(context, `Saved secret '${secret}' (${Object.keys(entries).join(', ')}).`)
    return 0
  },
})
