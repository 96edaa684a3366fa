import { join } from 'node:path'
import {
  ArtifactStoreHost,
  type ArtifactStoreV1,
  componentCliName,
  type FlavorContext,
  type JsonSchema,
  type Logger,
  resolveConfigSecrets,
  StrataError,
  silentLogger,
} from '@strata/core/base'
import { artifactStoreTimeout } from '../stacks/artifact-store-timeout.js'
import { storeSecretResolver } from '../stacks/secret-resolver.js'
import { resolveActiveStack, type StrataWorkspace } from '../stacks/stack-state.js'
import { discoverWorkspaceFlavors } from '../stacks/workspace-flavors.js'

/** `config` with each absent top-level field that the JSON Schema gives a default set to that default. */
function withDefaults(config: Record<string, unknown>, schema: JsonSchema): Record<string, unknown> {
  const filled = { ...config }
  for (const [key, field] of Object.entries(schema.properties ?? {})) {
    if (filled[key] === undefined && field.default !== undefined) filled[key] = structuredClone(field.default)
  }
  return filled
}

/**
 * A stack's artifact store for reading (the active stack's unless `stackName`), built from its flavor's
 * `createModule` without importing the plugin, so without zod and without building the rest of the stack:
 * `strata pipeline runs logs` and `strata artifact describe` stay within the start-up budget. The config is
 * the stored one with its secrets resolved and the JSON Schema's defaults filled in; the flavor promised
 * (by declaring `createModule`) that its `create` needs no more. `undefined` when the flavor declares no
 * `createModule` (or is unknown): the caller then builds the stack, which validates everything.
 * @throws StrataError `SECRET_NOT_FOUND`, or `COMPONENT_CREATE_FAILED` wrapping what `create()` threw
 */
export async function openArtifactStoreForReading(
  workspace: StrataWorkspace,
  options: { stackName?: string; logger?: Logger } = {},
): Promise<ArtifactStoreHost | undefined> {
  const stack = options.stackName
    ? await workspace.store.stacks.get(options.stackName)
    : (await resolveActiveStack(workspace)).stack
  const record = stack.components.artifact_store
  if (!record) return undefined
  const { registry } = await discoverWorkspaceFlavors(workspace)
  const entry = registry.find('artifact_store', record.flavor)
  if (!entry?.createUrl) return undefined
  const resolved = await resolveConfigSecrets(
    record.config,
    entry.configSchema,
    storeSecretResolver(workspace.store.secrets),
  )
  const logger = options.logger ?? silentLogger
  const context: FlavorContext = {
    componentName: record.name,
    componentId: record.id,
    dataDir: join(workspace.configDir, 'local_stores', record.id),
    logger,
  }
  let store: ArtifactStoreV1
  try {
    const create = ((await import(entry.createUrl)) as { default: FlavorCreate }).default
    store = await create(withDefaults(resolved, entry.configSchema), context)
  } catch (error) {
    if (error instanceof StrataError) throw error
    throw new StrataError(
      'COMPONENT_CREATE_FAILED',
      `artifact_store '${record.name}' (${record.flavor}) could not be created: ${(error as Error).message ?? String(error)} — check its config ('strata ${componentCliName('artifact_store')} describe ${record.name}') and that ${entry.source.package} is installed correctly`,
      { cause: error },
    )
  }
  return new ArtifactStoreHost(store, {
    name: record.name,
    flavor: record.flavor,
    logger,
    ...artifactStoreTimeout(),
  })
}

type FlavorCreate = (config: Record<string, unknown>, context: FlavorContext) => Promise<ArtifactStoreV1>
