import { type ComponentType, componentCliName } from './component-types.js'
import { errorMessage, isStrataError, StrataError } from './errors.js'
import type { Logger } from './logger.js'

/** Which component a host stands for, for its log lines and errors. */
export interface ComponentIdentity {
  type: ComponentType
  name: string
  flavor: string
}

export interface ComponentHostOptions {
  /** Where each call's duration is logged (debug). */
  logger?: Logger
  /**
   * Methods whose result is itself a plugin object (an experiment tracker's `startStep`): the result is put
   * behind a host too, so its calls are timed and wrapped like the component's.
   */
  hostResultsOf?: readonly string[]
  /** Properties that are groups of methods (an orchestrator's `schedules`): hosted the same way. */
  hostPropertiesOf?: readonly string[]
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/**
 * Puts a component behind its host, the one seam through which Strata calls plugin code: every method call
 * is timed and logged, and a failure that is not already a `StrataError` becomes one (`COMPONENT_CALL_FAILED`)
 * naming the component, the call and where to look, with the vendor's error as its cause. Coded errors a
 * plugin raises pass through untouched: they already say what failed and how to fix it. (Artifact stores
 * have a richer host, {@link ArtifactStoreHost}, which also normalises keys.)
 */
export function hostComponent<T extends object>(
  component: T,
  identity: ComponentIdentity,
  options: ComponentHostOptions = {},
): T {
  const label = `${identity.type} '${identity.name}' (${identity.flavor})`
  const fail = (method: string, error: unknown): unknown => {
    if (isStrataError(error)) return error
    if (error instanceof Error && error.name === 'AbortError') return error
    return new StrataError(
      'COMPONENT_CALL_FAILED',
      `${label}: ${method} failed: ${errorMessage(error)} — check its configuration ('strata ${componentCliName(identity.type)} describe ${identity.name}')`,
      { cause: error, details: { component: identity.name, type: identity.type, method } },
    )
  }
  const nested = new Set(options.hostResultsOf ?? [])
  const groups = new Set(options.hostPropertiesOf ?? [])
  const settle = (method: string, started: number, value: unknown): unknown => {
    options.logger?.debug(`${label}: ${method} took ${(performance.now() - started).toFixed(1)} ms`)
    if (nested.has(method) && typeof value === 'object' && value !== null)
      return hostComponent(value, identity, { ...(options.logger ? { logger: options.logger } : {}) })
    return value
  }
  return new Proxy(component, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof property !== 'string' || property === 'constructor') return value
      if (groups.has(property) && typeof value === 'object' && value !== null)
        return hostComponent(value, identity, { ...(options.logger ? { logger: options.logger } : {}) })
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const started = performance.now()
        let result: unknown
        try {
          // The component itself is `this`: its private fields stay reachable.
          result = (value as (...parameters: unknown[]) => unknown).apply(target, args)
        } catch (error) {
          throw fail(property, error)
        }
        if (!isPromiseLike(result)) return settle(property, started, result)
        return Promise.resolve(result).then(
          (resolved) => settle(property, started, resolved),
          (error: unknown) => {
            throw fail(property, error)
          },
        )
      }
    },
  })
}
