import { COMPONENT_TYPES } from '@strata/core/base'
import { defineCommand, formatOf, label, OUTPUT_OPTION, printData, printFields } from '../kit.js'

export default defineCommand({
  summary: 'Show the store, the project and the active stack',
  options: [OUTPUT_OPTION],
  async run(context) {
    const format = formatOf(context)
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
          COMPONENT_TYPES.filter((type) => active.stack.components[type]).map((type) => [
            type,
            active.stack.components[type]!.name,
          ]),
        ),
      },
    }
    if (format !== 'table') {
      await printData(context.io, format, data)
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
