import { CommandError, defineCommand, done, label, namedOrActiveStack } from '../kit.js'

/** `strata stack validate`: flavors, configs, secrets, and each component's `verify()`. */
export const stackValidateCommand = defineCommand({
  summary: 'Check a stack: flavors, configs, secrets, and that each component is reachable',
  args: [{ name: 'NAME', help: 'The stack (default: the active stack)' }],
  async run(context) {
    const [workspace, sdk, { registry }] = await Promise.all([
      context.workspace(),
      context.sdk(),
      context.flavors(),
    ])
    const stack = await namedOrActiveStack(workspace, context.args.NAME)
    const secrets = sdk.storeSecretResolver(workspace.store.secrets, {
      onResolve: (values) => {
        for (const value of values) context.io.sensitive(value)
      },
    })
    await sdk.validateStoredStack(stack, { registry, secrets })
    const results = await sdk.verifyStack(stack, { registry, secrets, configDir: workspace.configDir })
    for (const result of results) {
      const mark =
        result.status === 'ok'
          ? context.io.style('✔', 'green')
          : result.status === 'skipped'
            ? '-'
            : context.io.style('✘', 'red')
      const what =
        result.status === 'ok' ? 'reachable' : result.status === 'skipped' ? 'nothing to check' : 'failed'
      context.io.note(`${mark} ${label(result.type)} '${result.name}': ${what}`)
    }
    const failed = results.find((result) => result.status === 'failed')
    if (failed) throw new CommandError('STACK_VERIFY_FAILED', `stack '${stack.name}': ${failed.error}`)
    done(context, `Stack '${stack.name}' is valid.`)
    return 0
  },
})
