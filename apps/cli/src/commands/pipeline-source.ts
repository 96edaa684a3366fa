import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Pipeline } from '@strata/sdk'
import { CommandError } from '../kit.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of every command in this group; getBuiltinModule hands over the already-loaded module.
const { existsSync, readFileSync } = process.getBuiltinModule('node:fs')

let tsxRegistered = false

/**
 * Imports a user's module — TypeScript included, with no build step — with `pipeline.run()` turned off
 * while it loads (a module may end with `await training.run()`).
 * @throws CommandError `MODULE_IMPORT_FAILED` when the module (or one it imports) cannot load: the file,
 * what went wrong and the fix, in one line
 */
export async function importUserModule(
  path: string,
  cwd: string = process.cwd(),
): Promise<Record<string, unknown>> {
  const sdk = await import('@strata/sdk/internal')
  if (!tsxRegistered && /\.[cm]?tsx?$/.test(path)) {
    const { register } = await import('tsx/esm/api')
    register()
    tsxRegistered = true
  }
  try {
    return await sdk.importingPipelines(
      () => import(pathToFileURL(path).href) as Promise<Record<string, unknown>>,
    )
  } catch (error) {
    // A StrataError thrown while the module loads (a step defined wrongly) already says what to fix.
    if (sdk.isStrataError(error)) throw error
    throw moduleFormatFailure(path, cwd) ?? (await importFailure(error, path, cwd))
  }
}

/** A path as the user would write it: relative to where they are, when it is below it. */
function shown(path: string, cwd: string): string {
  const file = path.startsWith('file://') ? fileURLToPath(path) : path
  const from = relative(cwd, file)
  return from !== '' && !from.startsWith('..') && !isAbsolute(from) ? from : file
}

/** Where in the user's code (not Node's, not a package's) an error was thrown: `file:line:column`. */
function userFrame(stack: string, cwd: string): string | undefined {
  for (const match of stack.matchAll(/\(?((?:file:\/\/|\/)[^\s()]+):(\d+):(\d+)\)?$/gm)) {
    const file = match[1]!
    if (file.includes('/node_modules/')) continue
    return `${shown(file, cwd)}:${match[2]}:${match[3]}`
  }
  return undefined
}

/** The nearest package.json at or above `directory`, with its path. */
function nearestPackageJson(directory: string): { path: string; type?: unknown } | undefined {
  for (let folder = directory; ; folder = dirname(folder)) {
    const path = join(folder, 'package.json')
    if (existsSync(path)) {
      try {
        return { path, type: (JSON.parse(readFileSync(path, 'utf8')) as { type?: unknown }).type }
      } catch {
        return { path }
      }
    }
    if (dirname(folder) === folder) return undefined
  }
}

/**
 * A .ts/.js module that failed to load where Node treats it as CommonJS (no `"type": "module"` in the
 * nearest package.json, or no package.json at all): Strata's packages are ES modules only, so the import
 * fails with a message about `exports` or `require` that does not name the fix. This names it.
 */
function moduleFormatFailure(path: string, cwd: string): CommandError | undefined {
  if (!/\.(?:ts|tsx|js|jsx)$/.test(path)) return undefined
  const pkg = nearestPackageJson(dirname(path))
  if (pkg?.type === 'module') return undefined
  const file = shown(path, cwd)
  if (!pkg)
    return new CommandError(
      'MODULE_FORMAT',
      `cannot load ${file}: there is no package.json above it, so Node loads it as CommonJS, and Strata is ES modules only — create one with "type": "module" ('npm init -y && npm pkg set type=module'), or start a project with 'npm create strata@latest'`,
    )
  return new CommandError(
    'MODULE_FORMAT',
    `cannot load ${file}: ${shown(pkg.path, cwd)} has no "type": "module", so Node loads it as CommonJS, and Strata is ES modules only — add "type": "module" to ${shown(pkg.path, cwd)} ('npm pkg set type=module'), or rename the file to .mts`,
  )
}

/** How the user adds a package: their project's package manager (its lockfile, else the one running us). */
async function addCommand(name: string, directory: string): Promise<string> {
  const { detectPackageManager } = await import('@strata/sdk/internal')
  const detected = detectPackageManager(directory)
  let manager: string = detected.manager
  if (manager === 'npm' && !existsSync(join(detected.root, 'package-lock.json'))) {
    const agent = (process.env.npm_config_user_agent ?? '').split('/')[0]
    if (agent === 'pnpm' || agent === 'yarn' || agent === 'bun') manager = agent
  }
  return `${manager} ${manager === 'npm' ? 'install' : 'add'} ${name}`
}

/** Turns what `import()` of a user's module threw into the one-line error the CLI prints. */
async function importFailure(error: unknown, path: string, cwd: string): Promise<CommandError> {
  const file = shown(path, cwd)
  const fail = (problem: string, fix: string) =>
    new CommandError('MODULE_IMPORT_FAILED', `cannot load ${file}: ${problem} — ${fix}`)
  if (!(error instanceof Error)) return fail(`it threw ${String(error)}`, 'throw Errors, and fix what throws')
  const message = error.message
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ERR_MODULE_NOT_FOUND') {
    const found = /^Cannot find (package|module) '([^']+)' imported from (.+)$/.exec(message)
    if (found) {
      const [, kind, target, importer] = found as unknown as [string, string, string, string]
      const from = shown(importer, cwd)
      if (kind === 'package') {
        const name = target.startsWith('@') ? target.split('/').slice(0, 2).join('/') : target.split('/')[0]!
        return fail(
          `package '${target}' (imported by ${from}) is not installed`,
          `install it in the project ('${await addCommand(name, dirname(path))}'), or fix the import`,
        )
      }
      return fail(`${shown(target, cwd)} (imported by ${from}) does not exist`, 'fix the import path')
    }
    return fail(message, 'fix the import')
  }
  // tsx (esbuild) cannot compile a TypeScript file: `/abs/file.ts:3:12: ERROR: Unexpected ";"`.
  const transform = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(message)
  if (message.startsWith('Transform failed') && transform) {
    const [, where, line, column, problem] = transform as unknown as [string, string, string, string, string]
    return fail(`syntax error at ${shown(where, cwd)}:${line}:${column}: ${problem}`, 'fix the code there')
  }
  // Node cannot parse a JavaScript module (it does not say which: the first frame is Node's compiler).
  if (error instanceof SyntaxError && /^\s+at compileSourceTextModule /m.test(error.stack ?? '')) {
    return fail(
      `syntax error in it or in a JavaScript module it imports: ${message}`,
      "fix the code ('node --check FILE.js' shows the line)",
    )
  }
  if (typeof code === 'string' && code.startsWith('ERR_')) return fail(message, 'fix the import')
  // The module ran and threw while it loaded.
  const at = userFrame(error.stack ?? '', cwd)
  const what = error.name && error.name !== 'Error' ? `${error.name}: ${message}` : message
  return fail(
    `it threw while loading${at ? ` (at ${at})` : ''}: ${what}`,
    'fix the code that runs when the module is imported',
  )
}

/**
 * The pipeline a file exports: the only one, or the one named (by its name or its export name).
 * @throws CommandError naming the file, the pipelines it has, and the fix
 */
export async function pipelineFrom(cwd: string, file: string, name: string | undefined): Promise<Pipeline> {
  const path = resolve(cwd, file)
  if (!existsSync(path))
    throw new CommandError('FILE_NOT_FOUND', `no file ${path} — pass the module that exports your pipeline`)
  const sdk = await import('@strata/sdk/internal')
  const module = await importUserModule(path, cwd)
  const pipelines = Object.entries(module).filter(([, value]) => sdk.isPipeline(value)) as Array<
    [string, Pipeline]
  >
  if (pipelines.length === 0) {
    throw new CommandError(
      'NO_PIPELINE',
      `${file} exports no pipeline — export one (export const training = pipeline({ name: 'training' }, ...))`,
    )
  }
  if (name === undefined) {
    if (pipelines.length === 1) return pipelines[0]![1]
    throw new CommandError(
      'AMBIGUOUS_PIPELINE',
      `${file} exports several pipelines (${pipelines.map(([, pipeline]) => pipeline.name).join(', ')}) — choose one with --name`,
    )
  }
  const found = pipelines.find(([exported, pipeline]) => pipeline.name === name || exported === name)
  if (found) return found[1]
  throw new CommandError(
    'UNKNOWN_PIPELINE',
    `${file} has no pipeline '${name}' — it exports: ${pipelines.map(([, pipeline]) => pipeline.name).join(', ')}`,
  )
}
