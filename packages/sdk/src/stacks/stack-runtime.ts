import {
  ArtifactStoreHost,
  COMPONENT_TYPES,
  type ComponentInterfaces,
  type ComponentType,
  errorMessage,
  type FlavorCatalog,
  hostComponent,
  isStrataError,
  type SecretResolver,
  type StackSpec,
  type StackView,
  StrataError,
  validateStack,
} from '@strata/core'
import type { StackRecord } from '@strata/store'
import { artifactStoreTimeout } from './artifact-store-timeout.js'
import { type CreateComponentOptions, createComponent } from './components.js'

/** The stack's components in type order, as `validateStack` takes them. */
export function stackSpec(stack: StackRecord): StackSpec {
  return {
    name: stack.name,
    components: COMPONENT_TYPES.flatMap((type) => {
      const component = stack.components[type]
      return component
        ? [{ name: component.name, type, flavor: component.flavor, config: component.config }]
        : []
    }),
  }
}

/**
 * Validates a stored stack: known flavors, valid configs, an orchestrator and an artifact store, no remote
 * orchestrator with local storage, every flavor's own validator, and (given `secrets`) every reference.
 * @throws StrataError `INVALID_STACK` listing every problem with its fix
 */
export async function validateStoredStack(
  stack: StackRecord,
  options: { registry: FlavorCatalog; secrets?: SecretResolver },
): Promise<StackView> {
  return validateStack(stackSpec(stack), options)
}

/** A stack's components, built. */
export type StackComponents = { [T in ComponentType]?: ComponentInterfaces[T] }

/** A stack ready to run: its record and its built components. */
export interface StackInstance {
  stack: StackRecord
  components: StackComponents
  /** Releases every component that holds clients or sockets (`close()`). */
  close(): Promise<void>
}

/**
 * Builds every component of a stack (see {@link createComponent}). A failure closes what was built.
 * @throws StrataError from `createComponent`
 */
export async function instantiateStack(
  stack: StackRecord,
  options: CreateComponentOptions,
): Promise<StackInstance> {
  const components: StackComponents = {}
  const close = async (): Promise<void> => {
    for (const component of Object.values(components) as Array<{ close?: () => Promise<void> }>) {
      await component.close?.().catch(() => {})
    }
  }
  try {
    for (const type of COMPONENT_TYPES) {
      const record = stack.components[type]
      if (record)
        (components as Record<string, unknown>)[type] = await createComponent({ ...record, type }, options)
    }
  } catch (error) {
    await close()
    throw error
  }
  return { stack, components, close }
}

/** How long one component's check may take: `strata stack validate` never hangs. */
const VERIFY_TIMEOUT_MS = 30_000

/** `promise`, or `COMPONENT_VERIFY_TIMEOUT` once the bound passed. */
async function withinBound<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StrataError(
            'COMPONENT_VERIFY_TIMEOUT',
            `${what} did not finish within ${VERIFY_TIMEOUT_MS / 1000} s (its bound) — check that it is reachable`,
          ),
        ),
      VERIFY_TIMEOUT_MS,
    )
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

/** What `verifyStack` found for one component. */
export interface ComponentVerification {
  type: ComponentType
  name: string
  /** `ok`: its `verify()` passed; `skipped`: it has no `verify()` capability; `failed`: see `error`. */
  status: 'ok' | 'skipped' | 'failed'
  error?: string
}

/**
 * Builds each component and calls its `verify()` capability when it has one (an artifact store is checked
 * through its host, which lists the root when the store has no `verify()`): the bucket is reachable, the
 * credentials work. Each check is bounded (30 s). Never throws for a component that fails: see each result.
 */
export async function verifyStack(
  stack: StackRecord,
  options: CreateComponentOptions,
): Promise<ComponentVerification[]> {
  const results: ComponentVerification[] = []
  for (const type of COMPONENT_TYPES) {
    const record = stack.components[type]
    if (!record) continue
    let component: { verify?: () => Promise<void>; close?: () => Promise<void> } | undefined
    try {
      component = (await createComponent({ ...record, type }, options)) as typeof component
      if (type === 'artifact_store') {
        const host = new ArtifactStoreHost(component as ComponentInterfaces['artifact_store'], {
          name: record.name,
          flavor: record.flavor,
          ...(options.logger ? { logger: options.logger } : {}),
          // Its check is bounded by the host: 30 s, or the store timeout when that is shorter.
          ...artifactStoreTimeout(),
        })
        await host.verify()
        results.push({ type, name: record.name, status: 'ok' })
      } else if (typeof component?.verify === 'function') {
        const hosted = hostComponent(component, { type, name: record.name, flavor: record.flavor })
        await withinBound(
          Promise.resolve(hosted.verify?.()),
          `${type} '${record.name}' (${record.flavor}): its check`,
        )
        results.push({ type, name: record.name, status: 'ok' })
      } else {
        results.push({ type, name: record.name, status: 'skipped' })
      }
    } catch (error) {
      const message = isStrataError(error)
        ? error.message
        : new StrataError(
            'COMPONENT_VERIFY_FAILED',
            `${type} '${record.name}' (${record.flavor}) failed its check: ${errorMessage(error)} — check its config and credentials`,
          ).message
      results.push({ type, name: record.name, status: 'failed', error: message })
    } finally {
      await component?.close?.().catch(() => {})
    }
  }
  return results
}
