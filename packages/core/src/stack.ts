import { type ComponentType, componentCliName, REQUIRED_COMPONENT_TYPES } from './component-types.js'
import { maskConfig, secretReferencesOf } from './config-secrets.js'
import { isStrataError, StrataError } from './errors.js'
import type { StackIssue } from './flavor.js'
import type { FlavorCatalog } from './flavor-catalog.js'
import { parseFlavorConfig } from './flavor-config.js'
import { resolveSecretReference, type SecretResolver } from './secret-reference.js'

/** A component as a stack holds it. */
export interface StackComponentSpec {
  name: string
  type: ComponentType
  flavor: string
  config: Record<string, unknown>
}

export interface StackSpec {
  name: string
  components: readonly StackComponentSpec[]
}

/** What a flavor's `validateStack` sees of a component. Secret values are masked. */
export interface StackComponentView {
  name: string
  flavor: string
  isLocal: boolean
  isRemote: boolean
  config: Record<string, unknown>
}

/** What a flavor's `validateStack` sees: at most one component per type. */
export interface StackView {
  name: string
  components: Partial<Record<ComponentType, StackComponentView>>
}

export interface ValidateStackOptions {
  registry: FlavorCatalog
  /** When given, every secret reference must resolve. */
  secrets?: SecretResolver
}

function label(type: ComponentType): string {
  return type.replace('_', ' ')
}

/**
 * Checks a stack: one component per type, an orchestrator and an artifact store, known flavors, valid
 * configs, a remote orchestrator only with remote storage, every flavor's own validator, and (with
 * `secrets`) every secret reference. Imports flavor definitions, never their implementations.
 * @throws StrataError `INVALID_STACK` listing every problem, each with its fix
 */
export async function validateStack(stack: StackSpec, options: ValidateStackOptions): Promise<StackView> {
  const issues: StackIssue[] = []
  const view: StackView = { name: stack.name, components: {} }
  const validators: Array<(view: StackView) => StackIssue[]> = []

  for (const component of stack.components) {
    const existing = view.components[component.type]
    if (existing) {
      issues.push({
        component: component.name,
        message: `it has two ${label(component.type)}s ('${existing.name}' and '${component.name}') — keep one`,
      })
      continue
    }
    try {
      const entry = options.registry.get(component.type, component.flavor)
      const flavor = await options.registry.load(component.type, component.flavor)
      const config = parseFlavorConfig(flavor, component.config, { componentName: component.name })
      view.components[component.type] = {
        name: component.name,
        flavor: component.flavor,
        isLocal: entry.isLocal,
        // A remote flavor whose component points at this machine (a cluster here) may use local components.
        isRemote: entry.isRemote && !(flavor.runsOnThisMachine?.(config as never) ?? false),
        config: maskConfig(component.config, entry.configSchema),
      }
      if (flavor.validateStack) validators.push(flavor.validateStack.bind(flavor))
      if (options.secrets) {
        for (const reference of secretReferencesOf(component.config, entry.configSchema)) {
          await resolveSecretReference(reference, options.secrets)
        }
      }
    } catch (error) {
      if (!isStrataError(error)) throw error
      issues.push({ component: component.name, message: error.message })
    }
  }

  for (const type of REQUIRED_COMPONENT_TYPES) {
    if (!stack.components.some((component) => component.type === type)) {
      issues.push({
        message: `it has no ${label(type)} — add one with 'strata stack update ${stack.name} --${componentCliName(type)} NAME'`,
      })
    }
  }

  const orchestrator = view.components.orchestrator
  if (orchestrator?.isRemote) {
    for (const [type, component] of Object.entries(view.components)) {
      if (type === 'orchestrator' || !component?.isLocal) continue
      const fix =
        type === 'artifact_store'
          ? `use a remote artifact store (s3, gcp) instead: --artifact-store NAME with 'strata stack register' or 'strata stack update ${stack.name}'`
          : `use a remote ${label(type as ComponentType)} instead`
      issues.push({
        component: component.name,
        message: `orchestrator '${orchestrator.name}' (${orchestrator.flavor}) runs steps remotely, but ${label(type as ComponentType)} '${component.name}' (${component.flavor}) is local to this machine — ${fix}`,
      })
    }
  }

  if (issues.length === 0) {
    for (const validate of validators) issues.push(...validate(view))
  }

  if (issues.length > 0) {
    const lines = issues.map((issue) =>
      issue.component ? `'${issue.component}': ${issue.message}` : issue.message,
    )
    throw new StrataError('INVALID_STACK', `stack '${stack.name}' is invalid: ${lines.join('; ')}`, {
      details: { stack: stack.name, issues },
    })
  }
  return view
}
