import { createHash } from 'node:crypto'
import type { JsonObject } from '@strata/core'
import { canonicalJson } from '../util/json.js'

/** Everything a step's cache key is made of, stored with the step run so changes can be explained. */
export interface CacheParts {
  /** The step definition's name: steps of one module share its fingerprint. */
  step: string
  /** The step module's code fingerprint (covers `files` and `packages`). */
  code: string
  files: Record<string, string>
  packages: Record<string, string>
  parameters: JsonObject
  /** Input name → content digest of the artifact version. */
  inputs: Record<string, string>
  /**
   * Output name → the explicit materializer as `id@version`, or `auto:` and every candidate of the
   * automatic choice as `id@version` (older runs recorded a bare id or `auto`).
   */
  outputs: Record<string, string>
  artifactStore: string
  env: string[]
  secrets: string[]
  cacheVersion: string | null
}

export function cacheKey(parts: CacheParts): string {
  const { files: _files, packages: _packages, ...keyed } = parts
  return createHash('sha256').update(canonicalJson(keyed)).digest('hex')
}

function changedEntries(before: Record<string, string>, after: Record<string, string>): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
  return names.filter((name) => before[name] !== after[name])
}

const AUTO = 'auto:'

/** `materializer strata.json@1 → acme.json@1`, or for two automatic choices only the candidates that moved. */
function materializerChange(before: string | undefined, after: string | undefined): string {
  if (before?.startsWith(AUTO) && after?.startsWith(AUTO)) {
    const versions = (entry: string) =>
      new Map(
        entry
          .slice(AUTO.length)
          .split(',')
          .map((identity) => [identity.slice(0, identity.lastIndexOf('@')), identity] as const),
      )
    const was = versions(before)
    const now = versions(after)
    const moved = [...new Set([...was.keys(), ...now.keys()])]
      .filter((id) => was.get(id) !== now.get(id))
      .map((id) => `${was.get(id) ?? `(no ${id})`} → ${now.get(id) ?? `(no ${id})`}`)
    // Same candidates in another order: another one may claim the value first.
    return moved.length > 0
      ? `automatic materializers changed: ${moved.join(', ')}`
      : 'automatic materializers reordered'
  }
  const show = (entry: string | undefined) =>
    entry === undefined ? '(none)' : entry.startsWith(AUTO) ? 'automatic' : entry
  return `materializer ${show(before)} → ${show(after)}`
}

/**
 * Which parts differ between two executions of a step, in words: the files that changed, the packages
 * that moved, the parameters, inputs and settings that differ. Empty when the keys are equal.
 */
export function explainCacheParts(before: CacheParts, after: CacheParts): string[] {
  const reasons: string[] = []
  if (before.step !== after.step) reasons.push(`step: ${before.step} → ${after.step}`)
  for (const file of changedEntries(before.files, after.files)) {
    if (!(file in before.files)) reasons.push(`code: ${file} is newly imported`)
    else if (!(file in after.files)) reasons.push(`code: ${file} is no longer imported`)
    else reasons.push(`code: ${file} changed`)
  }
  for (const name of changedEntries(before.packages, after.packages)) {
    reasons.push(
      `package: ${name} ${before.packages[name] ?? '(none)'} → ${after.packages[name] ?? '(none)'}`,
    )
  }
  if (reasons.length === 0 && before.code !== after.code) reasons.push('code: the step module changed')
  const beforeParams = before.parameters
  const afterParams = after.parameters
  for (const name of [...new Set([...Object.keys(beforeParams), ...Object.keys(afterParams)])].sort()) {
    const was = canonicalJson(beforeParams[name])
    const now = canonicalJson(afterParams[name])
    if (was !== now) reasons.push(`parameter: ${name} ${was ?? '(unset)'} → ${now ?? '(unset)'}`)
  }
  for (const name of changedEntries(before.inputs, after.inputs)) {
    reasons.push(
      `input: '${name}' content changed (${before.inputs[name]?.slice(0, 12) ?? 'none'} → ${after.inputs[name]?.slice(0, 12) ?? 'none'})`,
    )
  }
  for (const name of changedEntries(before.outputs, after.outputs)) {
    reasons.push(`output: '${name}' ${materializerChange(before.outputs[name], after.outputs[name])}`)
  }
  if (before.artifactStore !== after.artifactStore)
    reasons.push(`artifact store: ${before.artifactStore} → ${after.artifactStore}`)
  const names = (list: string[]) => (list.length > 0 ? list.join(', ') : '(none)')
  if (canonicalJson(before.env) !== canonicalJson(after.env))
    reasons.push(`env: ${names(before.env)} → ${names(after.env)}`)
  if (canonicalJson(before.secrets) !== canonicalJson(after.secrets))
    reasons.push(`secrets: ${names(before.secrets)} → ${names(after.secrets)}`)
  if (before.cacheVersion !== after.cacheVersion)
    reasons.push(`cacheVersion: ${before.cacheVersion ?? '(none)'} → ${after.cacheVersion ?? '(none)'}`)
  return reasons
}
