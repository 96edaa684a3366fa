import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'

/**
 * Where Strata keeps the user's store, secrets key and local artifact stores:
 * `STRATA_CONFIG_DIR`, else `$XDG_CONFIG_HOME/strata`, else `~/.config/strata`. As the XDG Base Directory
 * specification asks, an empty or relative `XDG_CONFIG_HOME` is ignored.
 * @default `~/.config/strata`
 */
export function resolveConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STRATA_CONFIG_DIR) return env.STRATA_CONFIG_DIR
  if (env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME)) return join(env.XDG_CONFIG_HOME, 'strata')
  return join(homedir(), '.config', 'strata')
}
