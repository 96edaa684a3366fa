import type { SqliteStore } from '../sqlite-store.js'
import { ComponentsRepository } from './components.js'
import { FlavorsRepository } from './flavors.js'
import { SecretsRepository } from './secrets.js'
import { loadSecretsKey } from './secrets-key.js'
import { SettingsRepository } from './settings.js'
import { StacksRepository } from './stacks.js'

/** The repositories behind stacks: what `strata stack|<component type>|secret` and the runtime use. */
export interface StackRepositories {
  settings: SettingsRepository
  flavors: FlavorsRepository
  components: ComponentsRepository
  stacks: StacksRepository
  secrets: SecretsRepository
}

export interface StackRepositoriesOptions {
  /**
   * The key for secret values, or a function returning it (called on first encryption or decryption).
   * @default loadSecretsKey({ configDir: store.configDir })
   */
  secretsKey?: Buffer | (() => Buffer)
}

/** The stack repositories of one open store. Cheap: no query runs until a method is called. */
export function stackRepositories(
  store: SqliteStore,
  options: StackRepositoriesOptions = {},
): StackRepositories {
  return {
    settings: new SettingsRepository(store),
    flavors: new FlavorsRepository(store),
    components: new ComponentsRepository(store),
    stacks: new StacksRepository(store),
    secrets: new SecretsRepository(
      store,
      options.secretsKey ?? (() => loadSecretsKey({ configDir: store.configDir })),
    ),
  }
}
