import { createHash } from 'node:crypto'

/** Labels every object of a run carries (`kubectl get jobs -l app.kubernetes.io/managed-by=strata`). */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  runId: 'strata.dev/run-id',
  pipeline: 'strata.dev/pipeline',
  step: 'strata.dev/step',
  role: 'strata.dev/role',
  schedule: 'strata.dev/schedule',
} as const

/** Annotations holding the raw names (labels must be sanitised; annotations need not). */
export const ANNOTATIONS = {
  runName: 'strata.dev/run-name',
  pipeline: 'strata.dev/pipeline',
  step: 'strata.dev/step',
  stop: 'strata.dev/stop',
} as const

const MAX = 63

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 6)
}

/**
 * A label value: at most 63 characters of `[A-Za-z0-9_.-]`, starting and ending alphanumeric. A value that
 * had to change gets a short hash of the original, so two names never collapse into one.
 */
export function labelValue(value: string): string {
  let clean = value.replaceAll(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '')
  clean = clean.replace(/[^A-Za-z0-9]+$/, '')
  if (clean === value && clean.length <= MAX) return clean
  const hash = shortHash(value)
  return `${clean.slice(0, MAX - hash.length - 1).replace(/[^A-Za-z0-9]+$/, '')}-${hash}`.replace(/^-/, '')
}

/** A DNS-1123 label (object names of Jobs, Secrets, ConfigMaps): lower-case, at most `max` characters. */
export function dnsName(parts: readonly string[], max = MAX): string {
  const raw = parts.join('-')
  const clean = cleanDns(raw)
  if (clean === raw && clean.length <= max) return clean
  const hash = shortHash(raw)
  return `${clean.slice(0, max - hash.length - 1).replace(/-+$/, '')}-${hash}`.replace(/^-/, '')
}

function cleanDns(text: string): string {
  return text
    .toLowerCase()
    .replaceAll(/[^a-z0-9-]+/g, '-')
    .replaceAll(/-+/g, '-')
    .replace(/^-+/, '')
    .replace(/-+$/, '')
}

/** The names of the objects one run creates. */
export interface RunObjectNames {
  orchestratorJob: string
  /** A schedule's CronJob (its Jobs get 11 more characters). */
  schedule: string
  secret: string
  runtime: string
  stepJob(stepId: string): string
}

/**
 * Job names: `<prefix>-<run id's first 8>-<step>`; Jobs name their pods with 5 more characters, so Job
 * names stay within 52 characters (a pod name must fit a label, 63).
 */
export function runObjectNames(runId: string, prefix: string): RunObjectNames {
  const run = runId.replaceAll('-', '').slice(0, 8)
  // The prefix only reads well: the run id makes names unique, so it needs no hash when cleaned.
  const base = [cleanDns(prefix).slice(0, 20).replace(/-+$/, '') || 'strata', run]
  return {
    orchestratorJob: dnsName([...base, 'orchestrator'], 52),
    schedule: dnsName([...base, 'schedule'], 41),
    secret: dnsName([...base, 'env']),
    runtime: dnsName([...base, 'runtime']),
    stepJob: (stepId) => dnsName([...base, stepId], 52),
  }
}
