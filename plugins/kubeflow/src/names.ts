import { createHash } from 'node:crypto'

/**
 * A name as the kfp SDK cleans it for Kubernetes (`kfp.dsl.utils.maybe_rename_for_k8s`): lower case,
 * runs of anything but `[-0-9a-z]` become one `-`, no leading or trailing `-`.
 */
export function kfpName(name: string): string {
  return name
    .toLowerCase()
    .replaceAll(/[^-0-9a-z]+/g, '-')
    .replaceAll(/-+/g, '-')
    .replace(/^-+/, '')
    .replace(/-+$/, '')
}

/** `name`, or `name-2`, `name-3`, … when taken (`kfp.dsl.utils.make_name_unique_by_adding_index`). */
export function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name
  for (let index = 2; ; index++) {
    const candidate = `${name}-${index}`
    if (!taken.has(candidate)) return candidate
  }
}

/** The task that adopts (or starts) the Strata run and hands its URI to every step task. */
export const START_TASK = 'strata-start'
export const RUN_URI_PARAMETER = 'run_uri'

/** What one step is called in the IR. */
export interface StepNames {
  task: string
  component: string
  executor: string
}

/**
 * Task keys, component names and executor labels of a pipeline's steps, as the kfp SDK would name tasks
 * of these names: sanitised, and made unique with `-2`, `-3`, … in step order (`train_model` and
 * `train-model` both clean to `train-model`). `strata-start` is taken first.
 */
export function stepNames(stepIds: readonly string[]): Map<string, StepNames> {
  const taken = new Set([START_TASK])
  const names = new Map<string, StepNames>()
  for (const stepId of stepIds) {
    const task = uniqueName(kfpName(stepId) || 'step', taken)
    taken.add(task)
    names.set(stepId, { task, component: `comp-${task}`, executor: `exec-${task}` })
  }
  return names
}

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 6)
}

/** A DNS-1123 label for a Kubernetes object (Secret, ConfigMap): at most `max` characters, a hash when cut. */
export function dnsName(parts: readonly string[], max = 63): string {
  const raw = parts.join('-')
  const clean = kfpName(raw)
  if (clean === raw && clean.length <= max) return clean
  const hash = shortHash(raw)
  return `${clean.slice(0, max - hash.length - 1).replace(/-+$/, '')}-${hash}`.replace(/^-/, '')
}

/** The Kubernetes objects a run (or a schedule, or an exported pipeline) hands its pods. */
export interface RunObjectNames {
  secret: string
  /** Runtime ConfigMap `i`: `<runtime>-<i>`. */
  runtime: string
}

/** `<pipeline>-<id's first 8>-env` and `…-runtime`: unique by the run's (or schedule's) id. */
export function runObjectNames(id: string, pipelineName: string): RunObjectNames {
  const prefix = kfpName(pipelineName).slice(0, 30).replace(/-+$/, '') || 'strata'
  const short = id.replaceAll('-', '').slice(0, 8)
  return { secret: dnsName([prefix, short, 'env']), runtime: dnsName([prefix, short, 'runtime'], 58) }
}

/** Labels on every object Strata creates for Kubeflow runs (`kubectl get cm -l app.kubernetes.io/managed-by=strata`). */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  runId: 'strata.dev/run-id',
  pipeline: 'strata.dev/pipeline',
  schedule: 'strata.dev/schedule',
  role: 'strata.dev/role',
} as const

/** A label value: `[A-Za-z0-9_.-]`, at most 63 characters, alphanumeric at both ends. */
export function labelValue(value: string): string {
  let clean = value.replaceAll(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '')
  clean = clean.replace(/[^A-Za-z0-9]+$/, '')
  if (clean === value && clean.length <= 63) return clean
  const hash = shortHash(value)
  return `${clean.slice(0, 56).replace(/[^A-Za-z0-9]+$/, '')}-${hash}`.replace(/^-/, '')
}
