import { COMPONENT_TYPES, defineCommand, label, outputOption, printData, printFields } from '../kit.js'

export default defineCommand({
  summary: 'Show the store, the project and the active stack',
  options: outputOption,
  async run(context) {
    const { output } = context.options
    const workspace = await context.workspace()
    const { resolveActiveStack, isInitializedProject } = await import('@strata/sdk/stack-state')
    const active = await resolveActiveStack(workspace)
    const project = workspace.projectRoot
    const data = {
      version: context.version,
      configDir: workspace.configDir,
      store: { path: workspace.store.location, schemaVersion: workspace.store.schemaVersion },
      project: project ? { root: project, initialized: isInitializedProject(project) } : null,
      activeStack: {
        name: active.stack.name,
        source: active.source,
        components: Object.fromEntries(
          COMPONENT_TYPES.flatMap((type) => {
            const component = active.stack.components[type]
            return component ? [[type, component.name]] : []
          }),
        ),
      },
    }
    if (output !== 'table') {
      await printData(context.io, output, data)
      return 0
    }
    printFields(context.io, [
      ['Strata', data.version],
      ['Config directory', data.configDir],
      ['Store', `${data.store.path} (schema v${data.store.schemaVersion})`],
      [
        'Project',
        project
          ? `${project}${data.project?.initialized ? '' : " (not initialized: 'strata init')"}`
          : "none (run 'strata init' in your project)",
      ],
      [
        'Active stack',
        `${active.stack.name} (set ${active.source === 'project' ? 'by this project' : 'for your user'})`,
      ],
    ])
    for (const type of COMPONENT_TYPES) {
      const component = active.stack.components[type]
      if (component) context.io.out(`  ${label(type).padEnd(20)}${component.name} (${component.flavor})`)
    }
    return 0
  },
})
