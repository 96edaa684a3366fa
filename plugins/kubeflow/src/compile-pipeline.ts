import type { JsonValue, PipelineSnapshot } from '@strata/core'
import { StrataError } from '@strata/core'
import { checkPipelineSpec } from './check-pipeline-spec.js'
import { containerResources } from './container-resources.js'
import { executorConfig, RUNTIME_DIR, type RunHandover } from './executor-config.js'
import { kfpName, RUN_URI_PARAMETER, START_TASK, type StepNames, stepNames } from './names.js'
import type {
  CompiledKfpPipeline,
  KubernetesExecutorConfig,
  ParameterSpec,
  ParameterType,
  PipelineSpec,
  PipelineTaskSpec,
} from './pipeline-spec.js'
import { type RunSettings, runSettings } from './run-settings.js'

/** The placeholder KFP replaces with a task's `run_uri` input (the start task's output). */
const RUN_URI_INPUT = `{{$.inputs.parameters['${RUN_URI_PARAMETER}']}}`
/** The placeholder KFP replaces with the file the start task writes its `run_uri` output to. */
const RUN_URI_OUTPUT_FILE = `{{$.outputs.parameters['${RUN_URI_PARAMETER}'].output_file}}`

export const SDK_VERSION = 'strata-kubeflow'

export interface CompileOptions {
  /**
   * What the first task does: adopt a run the client staged (`run`: its URI), or start a fresh run from a
   * template staged under `schedules/<id>/` (`template`: its URI) — a schedule's or an exported pipeline's.
   */
  start: { run: string } | { template: string }
  /** The Secret and runtime ConfigMaps every task's pod gets. */
  handover: RunHandover
  /** Steps resolved before submitting (cached): not tasks; their outputs reach later steps through the plan. */
  skip?: ReadonlySet<string>
  /**
   * The runtime's arguments for one step (`RemoteRunStaging.stepArgs`); the `--run` value is replaced by the
   * start task's output and `--prepare` added. Default: `step run --run <uri> --step <id> --one-attempt`.
   */
  stepArgs?: (stepId: string) => string[]
  /**
   * With a template: the handle (JSON) the start task records with each run it starts, so that `runs sync`
   * can follow runs no client submitted; KFP placeholders in it (`{{$.pipeline_job_uuid}}`) are filled in.
   */
  startHandle?: string
}

function parameterType(value: JsonValue): ParameterType {
  if (typeof value === 'string') return 'STRING'
  if (typeof value === 'boolean') return 'BOOLEAN'
  if (typeof value === 'number') return Number.isInteger(value) ? 'NUMBER_INTEGER' : 'NUMBER_DOUBLE'
  if (Array.isArray(value)) return 'LIST'
  return 'STRUCT'
}

function stepTaskArgs(stepId: string, stepArgs: CompileOptions['stepArgs']): string[] {
  const args = stepArgs?.(stepId) ?? ['step', 'run', '--run', '', '--step', stepId, '--one-attempt']
  const run = args.indexOf('--run')
  if (run < 0 || run + 1 >= args.length)
    throw new StrataError('KUBEFLOW_COMPILE', `the runtime's step arguments have no --run: ${args.join(' ')}`)
  const result = [...args.slice(0, run + 1), RUN_URI_INPUT, ...args.slice(run + 2)]
  // No driver stages a step's inputs or resolves its cache on Kubeflow: the step's own pod does.
  if (!result.includes('--prepare')) result.push('--prepare')
  return result
}

const CONTAINER_COMMAND = ['node', `${RUNTIME_DIR}/bootstrap.mjs`]

/**
 * Compiles a Strata pipeline to KFP v2 IR (schema 2.1.0) and its Kubernetes platform spec: a
 * `strata-start` task that adopts (or starts) the Strata run and outputs its URI, then one container task
 * per step, each depending on `strata-start` and on its upstream steps, running
 * `node /strata/runtime/bootstrap.mjs step run … --one-attempt --prepare` on a stock Node image. Task
 * names are cleaned as the kfp SDK cleans them; KFP's own caching is off (Strata's cache decides); a
 * step's retries are the task's `retryPolicy` (its delay is the step process's own); the pipeline's
 * parameters are the root's inputs (their values as compiled). Pure: nothing is staged or submitted.
 * @throws StrataError `INVALID_SETTINGS`, `KUBEFLOW_UNSUPPORTED_SETTING` (a pod setting KFP cannot take),
 *   `KUBEFLOW_COMPILE` (the result failed its own reference checks: a bug)
 */
export function compilePipeline(snapshot: PipelineSnapshot, options: CompileOptions): CompiledKfpPipeline {
  const settings: RunSettings = runSettings(snapshot)
  const skip = options.skip ?? new Set<string>()
  const steps = snapshot.steps.filter((step) => !skip.has(step.id))
  const names = stepNames(steps.map((step) => step.id))
  const runUriOutput: Record<string, ParameterSpec> = { [RUN_URI_PARAMETER]: { parameterType: 'STRING' } }

  const startArgs =
    'run' in options.start
      ? ['start', '--run', options.start.run, '--output', RUN_URI_OUTPUT_FILE]
      : [
          'start',
          '--template',
          options.start.template,
          ...(options.startHandle ? ['--handle', options.startHandle] : []),
          '--output',
          RUN_URI_OUTPUT_FILE,
        ]
  const startSettings = settings.pipeline
  const startExecutor = executorConfig(startSettings.podSettings, options.handover, 'the strata-start task')
  const spec: PipelineSpec = {
    pipelineInfo: {
      name: kfpName(snapshot.pipeline.name) || 'strata-pipeline',
      displayName: snapshot.pipeline.name,
    },
    sdkVersion: SDK_VERSION,
    schemaVersion: '2.1.0',
    components: {
      [`comp-${START_TASK}`]: {
        executorLabel: `exec-${START_TASK}`,
        outputDefinitions: { parameters: runUriOutput },
      },
    },
    deploymentSpec: {
      executors: {
        [`exec-${START_TASK}`]: {
          container: {
            image: startSettings.image,
            command: CONTAINER_COMMAND,
            args: startArgs,
            ...(startExecutor.env.length > 0 ? { env: startExecutor.env } : {}),
          },
        },
      },
    },
    root: {
      dag: {
        tasks: {
          [START_TASK]: {
            taskInfo: { name: START_TASK },
            componentRef: { name: `comp-${START_TASK}` },
            cachingOptions: { enableCache: false },
          },
        },
      },
    },
  }
  const executors: Record<string, KubernetesExecutorConfig> = { [`exec-${START_TASK}`]: startExecutor.config }

  const nameOf = (stepId: string): StepNames => {
    const name = names.get(stepId)
    if (!name)
      throw new StrataError(
        'KUBEFLOW_COMPILE',
        `step '${stepId}' has no task name — a bug in @strata/kubeflow`,
      )
    return name
  }
  for (const step of steps) {
    const name = nameOf(step.id)
    const stepSettings = settings.step(step.id)
    const where = `step '${step.id}'`
    const { config, env } = executorConfig(stepSettings.podSettings, options.handover, where)
    const resources = containerResources(stepSettings.podSettings?.resources, where)
    spec.components[name.component] = {
      executorLabel: name.executor,
      inputDefinitions: { parameters: { [RUN_URI_PARAMETER]: { parameterType: 'STRING' } } },
    }
    spec.deploymentSpec.executors[name.executor] = {
      container: {
        image: stepSettings.image,
        command: CONTAINER_COMMAND,
        args: stepTaskArgs(step.id, options.stepArgs),
        ...(env.length > 0 ? { env } : {}),
        ...(resources ? { resources } : {}),
      },
    }
    executors[name.executor] = config
    const upstream = step.upstream.filter((id) => !skip.has(id)).map((id) => nameOf(id).task)
    const task: PipelineTaskSpec = {
      taskInfo: { name: step.id },
      componentRef: { name: name.component },
      dependentTasks: [START_TASK, ...upstream].sort(),
      inputs: {
        parameters: {
          [RUN_URI_PARAMETER]: {
            taskOutputParameter: { producerTask: START_TASK, outputParameterKey: RUN_URI_PARAMETER },
          },
        },
      },
      cachingOptions: { enableCache: false },
      ...(step.retry.maxRetries > 0
        ? {
            // The step process waits the step's own delay before a retry; KFP adds none.
            retryPolicy: {
              maxRetryCount: step.retry.maxRetries,
              backoffDuration: '0s',
              backoffFactor: 2,
              backoffMaxDuration: '3600s',
            },
          }
        : {}),
    }
    spec.root.dag.tasks[name.task] = task
  }

  const parameters = Object.entries(snapshot.pipeline.parameters)
  if (parameters.length > 0) {
    spec.root.inputDefinitions = {
      parameters: Object.fromEntries(
        parameters.map(([key, value]) => [
          key,
          { parameterType: parameterType(value), defaultValue: value, isOptional: true },
        ]),
      ),
    }
  }
  const compiled: CompiledKfpPipeline = {
    pipelineSpec: spec,
    platformSpec: { platforms: { kubernetes: { deploymentSpec: { executors } } } },
  }
  const problems = checkPipelineSpec(compiled)
  if (problems.length > 0) {
    throw new StrataError(
      'KUBEFLOW_COMPILE',
      `pipeline '${snapshot.pipeline.name}' compiled to an inconsistent KFP pipeline (${problems.join('; ')}) — this is a bug in @strata/kubeflow, please report it`,
    )
  }
  return compiled
}
