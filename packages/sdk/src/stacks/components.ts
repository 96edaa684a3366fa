import { join } from 'node:path'
import {
  type ComponentInterfaces,
  type ComponentType,
  componentCliName,
  type FlavorCatalog,
  type FlavorContext,
  type FlavorEntry,
  type Logger,
  parseFlavorConfig,
  parseSecretReference,
  resolveConfigSecrets,
  type SecretResolver,
  StrataError,
  secretFieldPaths,
  secretReferencesOf,
  silentLogger,
} from '@strata/core'
import type { ComponentRecord, NewComponent, SecretRepository } from '@strata/store'
import { type MissingSecret, missingSecrets } from './secret-resolver.js'

/** The package (and version) a component records as the provider of its flavor. */
export function pluginOf(entry: FlavorEntry): { plugin: string; pluginVersion: string } {
  return { plugin: entry.source.package, pluginVersion: entry.source.version }
}

/** A component about to be registered: validated, not yet written. */
export interface PreparedComponent extends NewComponent {
  /** References whose secret or key is not in the store yet (`strata stack register-secrets` adds them). */
  missingSecrets: MissingSecret[]
}

export interface PrepareComponentOptions {
  registry: FlavorCatalog
  /** To report references to secrets that do not exist yet. */
  secrets?: SecretRepository
}

/**
 * Validates a component's config with its flavor (importing the flavor's definition, not its
 * implementation) and refuses secret values given in clear: secret fields must hold `{{secret.key}}`
 * references, so that no secret value is ever stored with a component, listed or exported.
 * The config is kept as given (defaults stay implicit, so a newer plugin's defaults apply).
 * @throws StrataError `UNKNOWN_FLAVOR`, `INVALID_CONFIG`, `SECRET_REFERENCE_NOT_ALLOWED`,
 *   `INVALID_SECRET_REFERENCE`, `SECRET_VALUE_NOT_ALLOWED`
 */
export async function prepareComponent(
  input: { type: ComponentType; name: string; flavor: string; config: Record<string, unknown> },
  options: PrepareComponentOptions,
): Promise<PreparedComponent> {
  const entry = options.registry.get(input.type, input.flavor)
  const flavor = await options.registry.load(input.type, input.flavor)
  parseFlavorConfig(flavor, input.config, { componentName: input.name })
  refuseSecretValues(input, entry)
  const references = secretReferencesOf(input.config, entry.configSchema)
  return {
    type: input.type,
    name: input.name,
    flavor: input.flavor,
    config: input.config,
    ...pluginOf(entry),
    missingSecrets: options.secrets ? await missingSecrets(options.secrets, references) : [],
  }
}

function refuseSecretValues(
  input: { type: ComponentType; name: string; config: Record<string, unknown> },
  entry: FlavorEntry,
): void {
  for (const path of secretFieldPaths(entry.configSchema)) {
    let value: unknown = input.config
    for (const key of path) {
      value =
        typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
    }
    if (value === undefined || parseSecretReference(value)) continue
    const field = path.join('.')
    const secret = input.name.replaceAll('.', '_')
    throw new StrataError(
      'SECRET_VALUE_NOT_ALLOWED',
      `${input.type} '${input.name}' config: '${field}' is a secret field, so its value belongs in the secrets store, not in the component — run 'strata secret create ${secret} --${field}=VALUE' and pass --${field}={{${secret}.${field}}}`,
      { details: { type: input.type, field } },
    )
  }
}

export interface CreateComponentOptions {
  registry: FlavorCatalog
  /** Resolves the config's `{{secret.key}}` references. */
  secrets: SecretResolver
  /** The user's Strata directory; the component's `dataDir` is `<configDir>/local_stores/<component id>`. */
  configDir: string
  /** @default silentLogger */
  logger?: Logger
}

/**
 * Builds a registered component's implementation: validates its config with the flavor, resolves secret
 * references, and calls the flavor's `create()` (which imports the implementation).
 * @throws StrataError `UNKNOWN_FLAVOR`, `PLUGIN_LOAD_FAILED`, `INVALID_CONFIG`, `SECRET_NOT_FOUND`, or
 *   `COMPONENT_CREATE_FAILED` wrapping what `create()` threw
 */
export async function createComponent<T extends ComponentType>(
  component: Pick<ComponentRecord, 'id' | 'name' | 'flavor' | 'config'> & { type: T },
  options: CreateComponentOptions,
): Promise<ComponentInterfaces[T]> {
  const entry = options.registry.get(component.type, component.flavor)
  const flavor = await options.registry.load(component.type, component.flavor)
  parseFlavorConfig(flavor, component.config, { componentName: component.name })
  const resolved = await resolveConfigSecrets(component.config, entry.configSchema, options.secrets)
  const config = parseFlavorConfig(flavor, resolved, { componentName: component.name })
  const context: FlavorContext = {
    componentName: component.name,
    componentId: component.id,
    dataDir: join(options.configDir, 'local_stores', component.id),
    logger: options.logger ?? silentLogger,
  }
  try {
    return (await flavor.create(config as never, context)) as ComponentInterfaces[T]
  } catch (error) {
    if (error instanceof StrataError) throw error
    throw new StrataError(
      'COMPONENT_CREATE_FAILED',
      `${component.type} '${component.name}' (${component.flavor}) could not be created: ${(error as Error).message ?? String(error)} — check its config ('strata ${componentCliName(component.type)} describe ${component.name}') and that ${entry.source.package} is installed correctly`,
      { cause: error },
    )
  }
}
