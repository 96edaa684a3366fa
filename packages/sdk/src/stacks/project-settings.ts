import { join } from 'node:path'
import { StrataError } from '@strata/core/base'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of `strata stack list`; getBuiltinModule hands over the already-loaded module.
const { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } =
  process.getBuiltinModule('node:fs')

/** The folder `strata init` creates: it marks a project root and holds the project's settings. */
export const PROJECT_DIR = '.strata'
/** The project's settings file inside {@link PROJECT_DIR}. */
export const PROJECT_SETTINGS_FILE = 'config.json'

/** What a project's `.strata/config.json` holds. */
export interface ProjectSettings {
  /** The project's active stack, by name (names travel between users' stores; ids do not). */
  activeStack?: string
}

/** `<root>/.strata/config.json` */
export function projectSettingsPath(projectRoot: string): string {
  return join(projectRoot, PROJECT_DIR, PROJECT_SETTINGS_FILE)
}

/** True when `strata init` ran in `projectRoot`. */
export function isInitializedProject(projectRoot: string | undefined): projectRoot is string {
  return projectRoot !== undefined && existsSync(join(projectRoot, PROJECT_DIR))
}

/**
 * The project's settings; `{}` when the project has none.
 * @throws StrataError `INVALID_PROJECT_SETTINGS` naming the file
 */
export function readProjectSettings(projectRoot: string): ProjectSettings {
  const path = projectSettingsPath(projectRoot)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return {}
  }
  try {
    const parsed = JSON.parse(text) as unknown
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object')
    const settings = parsed as Record<string, unknown>
    if (settings.activeStack !== undefined && typeof settings.activeStack !== 'string') {
      throw new Error("'activeStack' must be a string")
    }
    return settings as ProjectSettings
  } catch (error) {
    throw new StrataError(
      'INVALID_PROJECT_SETTINGS',
      `cannot read ${path}: ${(error as Error).message} — fix the JSON, or delete the file and run 'strata stack set NAME'`,
    )
  }
}

/** Replaces a file's contents in one step (a temporary file renamed over it): readers see old or new. */
function replaceFile(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`
  try {
    writeFileSync(temporary, text)
    renameSync(temporary, path)
  } catch (error) {
    try {
      rmSync(temporary, { force: true })
    } catch {
      // Not ours to remove (a directory in its place): the write's own error is the one to report.
    }
    throw error
  }
}

/** Writes the project's settings (atomically), creating `.strata/` when needed. */
export function writeProjectSettings(projectRoot: string, settings: ProjectSettings): void {
  mkdirSync(join(projectRoot, PROJECT_DIR), { recursive: true })
  replaceFile(projectSettingsPath(projectRoot), `${JSON.stringify(settings, null, 2)}\n`)
}

/**
 * Writes the project's settings like {@link writeProjectSettings}, and returns how to undo it: put back
 * the bytes the file held, or remove a file that did not exist.
 */
export function replaceProjectSettings(projectRoot: string, settings: ProjectSettings): () => void {
  const path = projectSettingsPath(projectRoot)
  let previous: string | undefined
  try {
    previous = readFileSync(path, 'utf8')
  } catch {
    previous = undefined
  }
  writeProjectSettings(projectRoot, settings)
  return () => {
    if (previous === undefined) rmSync(path, { force: true })
    else replaceFile(path, previous)
  }
}

/** Marks `directory` as a project root (`.strata/config.json`); returns false when it already was one. */
export function initProject(directory: string): boolean {
  if (existsSync(projectSettingsPath(directory))) return false
  writeProjectSettings(directory, {})
  return true
}
