// Runs before any Strata package loads, so it uses Node built-ins only. Inside a project, `strata` must use
// the project's own @strata/cli (or at least its @strata/sdk), as vitest and eslint do: then one copy of
// core, the SDK and every plugin runs, whichever `strata` the user typed.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of `strata stack list`; getBuiltinModule hands over the already-loaded module.
const { existsSync, readFileSync, realpathSync } = process.getBuiltinModule('node:fs')

interface PackageJson {
  version?: string
  bin?: string | Record<string, string>
}

function findPackageDir(name: string, from: string): string | undefined {
  for (let directory = resolve(from); ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(directory) === directory) return undefined
  }
}

function readPackage(directory: string): PackageJson {
  return JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as PackageJson
}

/** 0.x minors are breaking; otherwise the major decides. */
function compatible(a: string, b: string): boolean {
  const [aMajor, aMinor] = a.split('.')
  const [bMajor, bMinor] = b.split('.')
  return aMajor === bMajor && (aMajor !== '0' || aMinor === bMinor)
}

function debug(message: string): void {
  if (process.env.STRATA_DEBUG) process.stderr.write(`strata: ${message}\n`)
}

/** The outcome: `ran` when another CLI ran the command, `refused` with a message, or `continue`. */
export type HandOver = { kind: 'ran' } | { kind: 'refused'; message: string } | { kind: 'continue' }

/**
 * Hands the command to the project's @strata/cli when it has one (other than this one); else, when the
 * project has its own @strata/sdk, makes this CLI load that SDK (and the core, store and plugins it
 * resolves) instead of its own — or refuses when the versions are incompatible, with the fix.
 */
export async function handOver(cwd: string = process.cwd()): Promise<HandOver> {
  if (process.env.STRATA_NO_HANDOVER === '1') return { kind: 'continue' }
  const ownDir = realpathSync(fileURLToPath(new URL('..', import.meta.url)))
  const projectCli = findPackageDir('@strata/cli', cwd)
  if (projectCli && projectCli !== ownDir) {
    const pkg = readPackage(projectCli)
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.strata
    if (bin) {
      debug(`handing over to the project's @strata/cli ${pkg.version} at ${projectCli}`)
      await import(pathToFileURL(join(projectCli, bin)).href)
      return { kind: 'ran' }
    }
  }
  const projectSdk = findPackageDir('@strata/sdk', cwd)
  const ownSdk = findPackageDir('@strata/sdk', ownDir)
  if (!projectSdk || !ownSdk || projectSdk === ownSdk) return { kind: 'continue' }
  const projectVersion = readPackage(projectSdk).version ?? '0.0.0'
  const ownVersion = readPackage(ownSdk).version ?? '0.0.0'
  const cliVersion = readPackage(ownDir).version ?? '0.0.0'
  const fix = `add the CLI to the project ('pnpm add -D @strata/cli@${projectVersion}', or npm/yarn/bun's equivalent) and run it as 'pnpm exec strata'`
  const registerHooks = (
    process.getBuiltinModule('node:module') as { registerHooks?: (hooks: object) => void }
  ).registerHooks
  if (!compatible(projectVersion, ownVersion) || !registerHooks) {
    return {
      kind: 'refused',
      message: `this project uses @strata/sdk ${projectVersion} (${projectSdk}), but this strata is @strata/cli ${cliVersion} built for @strata/sdk ${ownVersion} — ${fix}`,
    }
  }
  debug(`using the project's @strata/sdk ${projectVersion} at ${projectSdk}`)
  const ownUrl = pathToFileURL(`${ownDir}/`).href
  const projectUrl = pathToFileURL(join(cwd, 'package.json')).href
  const sdkUrl = pathToFileURL(join(projectSdk, 'package.json')).href
  registerHooks({
    resolve(
      specifier: string,
      context: { parentURL?: string },
      nextResolve: (specifier: string, context: object) => unknown,
    ) {
      const match = /^@strata\/(sdk|core|store|local)(\/|$)/.exec(specifier)
      if (!match || !context.parentURL?.startsWith(ownUrl)) return nextResolve(specifier, context)
      // The SDK as the project resolves it; core, store and local as that SDK resolves them.
      return nextResolve(specifier, { ...context, parentURL: match[1] === 'sdk' ? projectUrl : sdkUrl })
    },
  })
  return { kind: 'continue' }
}
