import type { CompiledKfpPipeline } from './pipeline-spec.js'

/**
 * The references in a compiled pipeline that neither KFP's protobuf schema nor the kfp SDK's loader
 * check (a `componentRef` to a missing component, a `dependentTasks` entry naming no task, …): each is
 * one problem, as a sentence. The DAG must also be acyclic and every task's inputs declared and fed.
 */
export function checkPipelineSpec(pipeline: CompiledKfpPipeline): string[] {
  const { pipelineSpec: spec, platformSpec } = pipeline
  const problems: string[] = []
  const tasks = spec.root.dag.tasks
  const executors = spec.deploymentSpec.executors
  const rootInputs = spec.root.inputDefinitions?.parameters ?? {}
  for (const [name, component] of Object.entries(spec.components)) {
    if (!executors[component.executorLabel])
      problems.push(`component ${name} names executor ${component.executorLabel}, which does not exist`)
  }
  for (const [key, task] of Object.entries(tasks)) {
    const component = spec.components[task.componentRef.name]
    if (!component) {
      problems.push(`task ${key} refers to component ${task.componentRef.name}, which does not exist`)
      continue
    }
    const dependencies = new Set(task.dependentTasks ?? [])
    for (const dependency of dependencies) {
      if (dependency === key) problems.push(`task ${key} depends on itself`)
      else if (!tasks[dependency])
        problems.push(`task ${key} depends on task ${dependency}, which does not exist`)
    }
    const declared = component.inputDefinitions?.parameters ?? {}
    const given = task.inputs?.parameters ?? {}
    for (const input of Object.keys(declared)) {
      if (!given[input] && !declared[input]?.isOptional)
        problems.push(`task ${key} gives no value for input ${input} of ${task.componentRef.name}`)
    }
    for (const [input, source] of Object.entries(given)) {
      if (!declared[input])
        problems.push(`task ${key} gives input ${input}, which ${task.componentRef.name} does not declare`)
      if ('taskOutputParameter' in source) {
        const { producerTask, outputParameterKey } = source.taskOutputParameter
        const producer = tasks[producerTask]
        const outputs = producer && spec.components[producer.componentRef.name]?.outputDefinitions?.parameters
        if (!producer)
          problems.push(`task ${key} takes ${input} from task ${producerTask}, which does not exist`)
        else if (!outputs?.[outputParameterKey])
          problems.push(
            `task ${key} takes ${input} from output ${outputParameterKey} of ${producerTask}, which it does not declare`,
          )
        if (!dependencies.has(producerTask))
          problems.push(`task ${key} takes ${input} from task ${producerTask} without depending on it`)
      }
      if ('componentInputParameter' in source && !rootInputs[source.componentInputParameter])
        problems.push(
          `task ${key} takes ${input} from pipeline input ${source.componentInputParameter}, which does not exist`,
        )
    }
  }
  for (const label of Object.keys(platformSpec.platforms.kubernetes.deploymentSpec.executors)) {
    if (!executors[label])
      problems.push(`the platform spec configures executor ${label}, which does not exist`)
  }
  const cycle = findCycle(
    Object.fromEntries(Object.entries(tasks).map(([key, task]) => [key, task.dependentTasks ?? []])),
  )
  if (cycle) problems.push(`tasks depend on each other in a cycle: ${cycle.join(' → ')}`)
  return problems
}

/** A cycle in the dependency graph, as the tasks on it, or undefined. */
function findCycle(graph: Record<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done' || !graph[node]) return undefined
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node]
    state.set(node, 'open')
    path.push(node)
    for (const next of graph[node]) {
      const found = visit(next)
      if (found) return found
    }
    path.pop()
    state.set(node, 'done')
    return undefined
  }
  for (const node of Object.keys(graph)) {
    const found = visit(node)
    if (found) return found
  }
  return undefined
}
