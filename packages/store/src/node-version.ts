import { StrataError } from '@strata/core/base'

/** The oldest Node.js Strata runs on: its built-in SQLite (`node:sqlite`, with a busy timeout) arrived in 22.16. */
export const MINIMUM_NODE = { major: 22, minor: 16 } as const

/**
 * Checks the running Node.js before the store opens, so an old Node gets the fix instead of a missing module.
 * @throws StrataError `NODE_VERSION` with the fix
 */
export function assertSupportedNode(version: string = process.versions.node): void {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  if (major > MINIMUM_NODE.major || (major === MINIMUM_NODE.major && minor >= MINIMUM_NODE.minor)) return
  throw new StrataError(
    'NODE_VERSION',
    `Strata needs Node.js ${MINIMUM_NODE.major}.${MINIMUM_NODE.minor} or newer, but this is Node.js ${version} — run it through the project's pinned Node ('pnpm exec strata ...' or a pnpm script), or install Node.js 24 LTS`,
  )
}
