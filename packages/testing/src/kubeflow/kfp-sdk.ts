import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { cachedTool } from '../servers/installed-tool.js'

export const KFP_INSTALL_HINT =
  "install it with: bash .ci/setup/kfp.sh in Strata's repository (kfp 2.17.3 into .cache/kfp-venv), or set STRATA_KFP_VENV to a virtualenv with kfp and kfp-kubernetes"

/** The Python of the kfp install: `$STRATA_KFP_VENV/bin/python`, else `.cache/kfp-venv/bin/python` above the current folder. */
export function kfpPython(): string | undefined {
  const venv = process.env.STRATA_KFP_VENV
  if (venv) return existsSync(join(venv, 'bin/python')) ? join(venv, 'bin/python') : undefined
  return cachedTool('kfp-venv/bin/python')
}

/**
 * Why the kfp SDK cannot judge pipelines here (not installed), naming the fix; `undefined` when it can.
 * @throws Error with `CI=true`, where CI installs it
 */
export function kfpUnavailable(): string | undefined {
  if (kfpPython()) return undefined
  const message = `the kfp SDK is not installed — ${KFP_INSTALL_HINT}`
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`)
  return message
}

/** The Python scripts this package ships (`python/`), found from source and from `dist/` alike. */
export function pythonScript(name: string): string {
  for (let folder = import.meta.dirname; dirname(folder) !== folder; folder = dirname(folder)) {
    const candidate = join(folder, 'python', name)
    if (existsSync(candidate) && existsSync(join(folder, 'package.json'))) {
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: string }
      if (manifest.name === '@strata/testing') return candidate
    }
  }
  throw new Error(`@strata/testing ships no python/${name}`)
}

async function runPython(script: string, args: string[], input?: string): Promise<string> {
  const python = kfpPython()
  if (!python) throw new Error(`the kfp SDK is not installed — ${KFP_INSTALL_HINT}`)
  return new Promise((resolve, reject) => {
    const child = execFile(
      python,
      [pythonScript(script), ...args],
      { maxBuffer: 64 * 1024 * 1024, timeout: 120_000, env: { ...process.env, PYTHONWARNINGS: 'ignore' } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${script} failed: ${stderr || error.message}`)) : resolve(stdout),
    )
    if (input !== undefined) child.stdin?.end(input)
  })
}

/** What the real kfp SDK made of a compiled pipeline file. */
export interface KfpJudgement {
  /** No problem found. */
  ok: boolean
  /**
   * Each problem as the SDK reported it: strict `ParseDict` of the `PipelineSpec`, of the `PlatformSpec`,
   * of each executor alone into `PipelineDeploymentConfig` and of each platform executor into
   * `KubernetesExecutorConfig`; `kfp.components.load_component_from_file`; recompiling it with
   * `kfp.compiler.Compiler`.
   */
  problems: string[]
  tasks: string[]
  platformExecutors: string[]
  recompiled: { tasks: string[]; platform: boolean } | null
  /** Both documents as the SDK's protobuf JSON (`MessageToDict`): canonical, defaults dropped. */
  canonical: { pipelineSpec: Record<string, unknown> | null; platformSpec: Record<string, unknown> | null }
}

/** Hands a pipeline YAML file's text to the real kfp SDK (see {@link KfpJudgement}). */
export async function judgeKfpPipeline(yamlText: string): Promise<KfpJudgement> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-kfp-'))
  try {
    const file = join(dir, 'pipeline.yaml')
    await writeFile(file, yamlText)
    return JSON.parse(await runPython('kfp_judge.py', [file])) as KfpJudgement
  } catch (error) {
    throw error instanceof Error ? error : new Error(String(error))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** A compiled pipeline in KFP's JSON form (the IR and its platform spec), as Strata's compiler makes it. */
export interface KfpPipelineDocuments {
  pipelineSpec: {
    pipelineInfo: { name: string }
    components: Record<
      string,
      { executorLabel: string; inputDefinitions?: unknown; outputDefinitions?: unknown }
    >
    deploymentSpec: {
      executors: Record<
        string,
        {
          container: {
            image: string
            command: string[]
            args: string[]
            env?: Array<{ name: string; value: string }>
            resources?: Record<string, unknown>
          }
        }
      >
    }
    root: {
      dag: {
        tasks: Record<
          string,
          {
            componentRef: { name: string }
            dependentTasks?: string[]
            retryPolicy?: { maxRetryCount: number }
            inputs?: unknown
          }
        >
      }
      inputDefinitions?: { parameters: Record<string, { defaultValue?: unknown }> }
    }
  }
  platformSpec: { platforms: { kubernetes: { deploymentSpec: { executors: Record<string, unknown> } } } }
}

/**
 * The golden for a compiled pipeline: the same graph — tasks, containers, dependencies, resources,
 * retries, caching off, pipeline parameters, kubernetes settings — built with the kfp SDK's own DSL
 * (`dsl.container_component`, `PipelineTask.set_*`, `kfp.kubernetes.*`) and compiled by its compiler.
 * @returns the YAML the kfp compiler wrote
 */
export async function kfpGolden(compiled: { pipelineSpec: object; platformSpec: object }): Promise<string> {
  const pipeline = compiled as KfpPipelineDocuments
  const spec = pipeline.pipelineSpec
  const platform = pipeline.platformSpec.platforms.kubernetes.deploymentSpec.executors
  const tasks = Object.entries(spec.root.dag.tasks)
  // The DSL needs producers first.
  const ordered: typeof tasks = []
  const placed = new Set<string>()
  while (ordered.length < tasks.length) {
    const before = ordered.length
    for (const entry of tasks) {
      if (placed.has(entry[0]) || !(entry[1].dependentTasks ?? []).every((key) => placed.has(key))) continue
      ordered.push(entry)
      placed.add(entry[0])
    }
    if (ordered.length === before) throw new Error('kfpGolden: the tasks depend on each other in a cycle')
  }
  const graph = {
    name: spec.pipelineInfo.name,
    parameters: Object.fromEntries(
      Object.entries(spec.root.inputDefinitions?.parameters ?? {}).map(([name, input]) => [
        name,
        input.defaultValue,
      ]),
    ),
    tasks: ordered.map(([key, task]) => {
      const component = spec.components[task.componentRef.name]
      const executor = component && spec.deploymentSpec.executors[component.executorLabel]?.container
      if (!component || !executor) throw new Error(`kfpGolden: task ${key} has no component or executor`)
      return {
        key,
        // The DSL names a component after its function, and a task after its component.
        component: key,
        image: executor.image,
        command: executor.command,
        args: executor.args,
        inputs: component.inputDefinitions !== undefined,
        outputs: component.outputDefinitions !== undefined,
        after: task.dependentTasks ?? [],
        retries: task.retryPolicy?.maxRetryCount ?? null,
        resources: executor.resources ?? null,
        env: Object.fromEntries((executor.env ?? []).map((variable) => [variable.name, variable.value])),
        kubernetes: platform[component.executorLabel] ?? {},
      }
    }),
  }
  return runPython('kfp_golden.py', [], JSON.stringify(graph))
}
