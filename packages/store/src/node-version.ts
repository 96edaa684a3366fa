import { StrataError } from '@strata/core/base'

/** The oldest Node.js major Strata runs on (its native SQLite binding needs Node-API 10). */
export const MINIMUM_NODE_MAJOR = 22

/**
 * Checks the running Node.js before anything loads a native module, which would crash instead of explaining.
 * @throws StrataError `NODE_VERSION` with the fix
 */
export function assertSupportedNode(version: string = process.versions.node): void {
  const major = Number(version.split('.')[0])
  if (major >= MINIMUM_NODE_MAJOR) return
  throw new StrataError(
    'NODE_VERSION',
    `Strata needs Node.js ${MINIMUM_NODE_MAJOR} or newer, but this is Node.js ${version} — run it through the project's pinned Node ('pnpm exec strata ...' or a pnpm script), or install Node.js 24 LTS`,
  )
}
