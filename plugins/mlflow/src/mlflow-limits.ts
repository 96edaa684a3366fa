import type { MlflowErrorCode } from './mlflow-errors.js'

/** MLflow's server-side limits (mlflow/utils/validation.py, unchanged from 2.x to 3.x). */
export const MLFLOW_LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  paramsPerRequest: 100,
  tagsPerRequest: 100,
  metricsPerRequest: 1000,
  entitiesPerRequest: 1000,
  /** MLflow refuses `log-batch` bodies over 1 MB; keep a margin for the envelope. */
  requestBytes: 900_000,
} as const

export type EntryKind = 'param' | 'metric' | 'tag'

export interface LimitProblem {
  code: MlflowErrorCode
  what: string
  fix: string
}

export interface KeyValue {
  key: string
  value: string
}

export interface MetricEntry {
  key: string
  /** A number, or `NaN`/`Infinity`/`-Infinity` spelled as MLflow's JSON expects them. */
  value: number | string
  timestamp: number
  step: number
}

export interface LogBatch {
  params: KeyValue[]
  tags: KeyValue[]
  metrics: MetricEntry[]
}

// Python's `\w` is Unicode letters, digits and `_`; MLflow also allows `/ . - :` and spaces.
const VALID_KEY = /^[\p{L}\p{N}_/.\- :]+$/u

/** Characters as Python counts them (code points), which is how MLflow measures lengths. */
function codePointLength(text: string): number {
  let length = 0
  for (const _ of text) length++
  return length
}

/** Why MLflow would refuse this key, or `undefined`. */
export function keyProblem(kind: EntryKind, key: string): LimitProblem | undefined {
  const segments = key.split('/')
  if (
    !VALID_KEY.test(key) ||
    key.startsWith('/') ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  ) {
    return {
      code: 'MLFLOW_INVALID_VALUE',
      what: `${kind} key ${JSON.stringify(key.slice(0, 100))} is not a valid MLflow key`,
      fix: "use letters, digits, '_', '-', '.', ' ', ':' and '/' only, with no empty, '.' or '..' path segments",
    }
  }
  const length = codePointLength(key)
  if (length > MLFLOW_LIMITS.keyLength) {
    return {
      code: 'MLFLOW_LIMIT_EXCEEDED',
      what: `${kind} key '${key.slice(0, 40)}…' is ${length} characters long, over MLflow's limit of ${MLFLOW_LIMITS.keyLength}`,
      fix: 'use a shorter key',
    }
  }
  return undefined
}

/** Why MLflow would refuse (or silently truncate) this param or tag value, or `undefined`. */
export function valueProblem(kind: 'param' | 'tag', key: string, value: string): LimitProblem | undefined {
  const limit = kind === 'param' ? MLFLOW_LIMITS.paramValueLength : MLFLOW_LIMITS.tagValueLength
  const length = codePointLength(value)
  if (length <= limit) return undefined
  return {
    code: 'MLFLOW_LIMIT_EXCEEDED',
    what: `${kind} '${key}' has a value of ${length} characters, over MLflow's limit of ${limit}`,
    fix: 'log a shorter value, or store the full text as an artifact with logArtifact()',
  }
}

/** Why MLflow would refuse this metric point, or `undefined`. */
export function metricProblem(key: string, value: unknown, step: unknown): LimitProblem | undefined {
  if (typeof value !== 'number') {
    return {
      code: 'MLFLOW_INVALID_VALUE',
      what: `metric '${key}' got a ${typeof value} (${String(value).slice(0, 40)}), not a number`,
      fix: 'log numbers only; log text as a param, a tag or an artifact',
    }
  }
  if (step !== undefined && (typeof step !== 'number' || !Number.isSafeInteger(step))) {
    return {
      code: 'MLFLOW_INVALID_VALUE',
      what: `metric '${key}' got step ${String(step)}, which is not an integer`,
      fix: 'pass an integer step (e.g. the epoch or batch number)',
    }
  }
  return keyProblem('metric', key)
}

/** A metric value as MLflow's JSON API expects it (protobuf JSON spells non-finite doubles as strings). */
export function encodeMetricValue(value: number): number | string {
  if (Number.isFinite(value)) return value
  if (Number.isNaN(value)) return 'NaN'
  return value > 0 ? 'Infinity' : '-Infinity'
}

function entryBytes(entry: KeyValue | MetricEntry): number {
  return Buffer.byteLength(JSON.stringify(entry)) + 1
}

/**
 * Splits pending entries into `runs/log-batch` requests within MLflow's limits: at most 100 params,
 * 100 tags, 1000 metrics and 1000 entries in all per request, and under 1 MB of JSON.
 */
export function splitIntoBatches(pending: LogBatch): LogBatch[] {
  const batches: LogBatch[] = []
  let current: LogBatch = { params: [], tags: [], metrics: [] }
  let entries = 0
  let bytes = 0
  const add = (kind: keyof LogBatch, entry: KeyValue | MetricEntry, perRequest: number): void => {
    const size = entryBytes(entry)
    if (
      current[kind].length >= perRequest ||
      entries >= MLFLOW_LIMITS.entitiesPerRequest ||
      bytes + size > MLFLOW_LIMITS.requestBytes
    ) {
      batches.push(current)
      current = { params: [], tags: [], metrics: [] }
      entries = 0
      bytes = 0
    }
    ;(current[kind] as Array<KeyValue | MetricEntry>).push(entry)
    entries++
    bytes += size
  }
  for (const param of pending.params) add('params', param, MLFLOW_LIMITS.paramsPerRequest)
  for (const tag of pending.tags) add('tags', tag, MLFLOW_LIMITS.tagsPerRequest)
  for (const metric of pending.metrics) add('metrics', metric, MLFLOW_LIMITS.metricsPerRequest)
  if (entries > 0) batches.push(current)
  return batches
}
