import { resolve } from 'node:path'
import { defineCommand, done } from '../kit.js'

export default defineCommand({
  summary: 'Mark this folder as a Strata project',
  description:
    "Creates .strata/, which marks the project root and may hold the project's active stack\n('strata stack set NAME' inside the project writes it there; it overrides your user's active stack).",
  args: [{ name: 'PATH', help: 'The project folder (default: the current folder)' }],
  async run(context) {
    const root = resolve(context.cwd, context.args.PATH ?? '.')
    const { initProject, ensureDefaultStack, openWorkspace } = await import('@strata/sdk/stack-state')
    const created = initProject(root)
    const workspace = context.own(openWorkspace({ cwd: root, env: context.env }))
    await ensureDefaultStack(workspace.store)
    if (created) done(context, `Initialized a Strata project in ${root} (.strata/).`)
    else done(context, `${root} is already a Strata project; nothing changed.`)
    return 0
  },
})
