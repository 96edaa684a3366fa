import type { StackRecord, StrataWorkspace } from '@strata/sdk/stack-state'
import type { Io } from './output/io.js'

/** The active stack, or `undefined` (with a warning) when the project names a stack the store lacks. */
export async function activeStackOrWarn(
  context: { readonly io: Io },
  workspace: StrataWorkspace,
): Promise<StackRecord | undefined> {
  const { resolveActiveStack } = await import('@strata/sdk/stack-state')
  try {
    return (await resolveActiveStack(workspace)).stack
  } catch (error) {
    context.io.warn((error as Error).message)
    return undefined
  }
}

/**
 * The stack a command's optional NAME names, else the active one.
 * @throws StrataError `STACK_NOT_FOUND`
 */
export async function namedOrActiveStack(
  workspace: StrataWorkspace,
  name: string | undefined,
): Promise<StackRecord> {
  if (name !== undefined) return await workspace.store.stacks.get(name)
  const { resolveActiveStack } = await import('@strata/sdk/stack-state')
  return (await resolveActiveStack(workspace)).stack
}
