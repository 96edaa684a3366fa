import { StrataError } from '@strata/core'
import { findNonJson } from '../util/json.js'
import { BUILTIN_MATERIALIZERS } from './builtin.js'
import type { Materializer } from './materializer.js'

/**
 * The materializer for an output value: the one named explicitly, else the first custom one that claims
 * the value, else the first built-in. There is no opaque fallback.
 * @throws StrataError `UNKNOWN_MATERIALIZER` or `NO_MATERIALIZER` naming the output, the offending part and the fix
 */
export function selectMaterializer(
  value: unknown,
  options: { explicit?: string | undefined; custom?: readonly Materializer[]; where: string },
): Materializer {
  const custom = options.custom ?? []
  if (options.explicit !== undefined) return materializerById(options.explicit, custom, options.where)
  const found =
    custom.find((materializer) => materializer.canSave(value)) ??
    BUILTIN_MATERIALIZERS.find((m) => m.canSave(value))
  if (found) return found
  const problem = findNonJson(value, { negativeZero: true })
  const what = problem ? `${problem.path} is ${problem.found}` : 'the value has no materializer'
  throw new StrataError(
    'NO_MATERIALIZER',
    `${options.where} cannot be saved: ${what}, which no materializer handles — ${problem?.hint ?? 'convert it'}, or add a materializer for it (defineMaterializer: see 'Materializers' in node_modules/@strata/sdk/README.md)`,
    { details: { path: problem?.path } },
  )
}

/**
 * @throws StrataError `UNKNOWN_MATERIALIZER` listing the known ids
 */
export function materializerById(id: string, custom: readonly Materializer[], where: string): Materializer {
  const found = custom.find((m) => m.id === id) ?? BUILTIN_MATERIALIZERS.find((m) => m.id === id)
  if (found) return found
  const known = [...custom, ...BUILTIN_MATERIALIZERS].map((m) => m.id)
  throw new StrataError(
    'UNKNOWN_MATERIALIZER',
    `${where}: no materializer '${id}' — known: ${known.join(', ')}; pass yours with materializers: [...] on the step or pipeline`,
  )
}

/**
 * What an output's materializer contributes to its step's cache key: the explicit materializer as
 * `id@version`, or for automatic choice `auto:` and every candidate (custom ones in order, then the
 * built-ins) as `id@version` — the choice is made after the step ran, so any candidate's new version
 * invalidates (new code may store the same value differently).
 * @throws StrataError `UNKNOWN_MATERIALIZER` for an explicit id nobody provides
 */
export function materializerCacheKey(
  explicit: string | undefined,
  custom: readonly Materializer[],
  where: string,
): string {
  const identity = (materializer: Materializer) => `${materializer.id}@${materializer.version}`
  if (explicit !== undefined) return identity(materializerById(explicit, custom, where))
  return `auto:${[...custom, ...BUILTIN_MATERIALIZERS].map(identity).join(',')}`
}
