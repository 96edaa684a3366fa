import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StrataError } from '@strata/core'
import { sdkPackageDir } from './code-bundle.js'

const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts')

/** A self-contained Strata runtime: what a pod with nothing but Node.js runs. */
export interface RuntimeBundle {
  code: Uint8Array
  /** sha256 of `code`, hex. */
  digest: string
}

/** Built runtimes by their plugin entries: a process that submits several runs builds once. */
const built = new Map<string, Promise<RuntimeBundle>>()

/**
 * Bundles the runtime's main (`step run`, `orchestrate`) with the plugins whose flavors a run's stack
 * uses, into one ES module with no imports but Node's built-ins. Each plugin is keyed by the entry URL
 * the run's components name, so the runtime finds its flavors without any `node_modules`.
 * @param pluginEntries the `entry` URLs of the stack's components (file URLs of installed plugins)
 * @throws StrataError `RUNTIME_BUNDLE_FAILED` naming what could not be bundled
 */
export function buildRuntimeBundle(pluginEntries: readonly string[]): Promise<RuntimeBundle> {
  const entries = [...new Set(pluginEntries)].sort()
  const key = entries.join('\n')
  let bundle = built.get(key)
  if (!bundle) {
    bundle = cachedRuntime(entries)
    built.set(key, bundle)
    bundle.catch(() => built.delete(key))
  }
  return bundle
}

/** Where built runtimes are kept between processes: `$XDG_CACHE_HOME/strata/runtime`, else `~/.cache/…`. */
function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'strata', 'runtime')
}

/** The files a build read, with what they were: a cached runtime is good while they all still are. */
type Inputs = Record<string, [mtimeMs: number, size: number]>

function unchanged(inputs: Inputs): boolean {
  for (const [path, [mtimeMs, size]] of Object.entries(inputs)) {
    try {
      const now = statSync(path)
      if (now.mtimeMs !== mtimeMs || now.size !== size) return false
    } catch {
      return false
    }
  }
  return true
}

/**
 * The runtime from the disk cache when nothing it was built from changed (every input file's mtime and
 * size, as esbuild's metafile lists them), else built and cached: a build takes about a second, a process
 * that submits a run usually finds it already built. A cache that cannot be read or written is skipped.
 */
async function cachedRuntime(entries: readonly string[]): Promise<RuntimeBundle> {
  const cached = runtimeFromCache(entries)
  if (cached) return cached
  const { bundle, inputs } = await bundleRuntime(entries)
  try {
    mkdirSync(cacheDir(), { recursive: true })
    writeFileSync(join(cacheDir(), `${bundle.digest}.mjs`), bundle.code)
    writeFileSync(cacheIndex(entries), JSON.stringify({ digest: bundle.digest, inputs }))
  } catch {}
  return bundle
}

function cacheIndex(entries: readonly string[]): string {
  const key = [sdkPackageDir(), ...new Set(entries)].sort().join('\n')
  return join(cacheDir(), `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`)
}

/** The cached runtime of these entries, if one was built from files that have not changed since. */
export function runtimeFromCache(entries: readonly string[]): RuntimeBundle | undefined {
  try {
    const cached = JSON.parse(readFileSync(cacheIndex(entries), 'utf8')) as { digest: string; inputs: Inputs }
    if (!unchanged(cached.inputs)) return undefined
    const code = readFileSync(join(cacheDir(), `${cached.digest}.mjs`))
    if (createHash('sha256').update(code).digest('hex') !== cached.digest) return undefined
    return { code: new Uint8Array(code), digest: cached.digest }
  } catch {
    return undefined
  }
}

async function bundleRuntime(entries: readonly string[]): Promise<{ bundle: RuntimeBundle; inputs: Inputs }> {
  const main = RUNNING_FROM_SOURCE
    ? join(sdkPackageDir(), 'src', 'process', 'runtime-main.ts')
    : join(sdkPackageDir(), 'dist', 'process', 'runtime-main.js')
  const paths = entries.map((entry) => (entry.startsWith('file:') ? fileURLToPath(entry) : entry))
  const contents = [
    ...paths.map((path, index) => `import * as plugin${index} from ${JSON.stringify(path)}`),
    `import { runtimeMain } from ${JSON.stringify(main)}`,
    `const plugins = { ${entries.map((entry, index) => `${JSON.stringify(entry)}: plugin${index}`).join(', ')} }`,
    'export function main(argv) { return runtimeMain(argv, plugins) }',
  ].join('\n')
  const esbuild = await import('esbuild')
  let code: string
  const inputs: Inputs = {}
  try {
    const result = await esbuild.build({
      stdin: { contents, resolveDir: sdkPackageDir(), loader: 'js', sourcefile: 'strata-runtime-entry.js' },
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      // Names stay (errors and stack traces read well); whitespace and syntax shrink it for a ConfigMap.
      minifyWhitespace: true,
      minifySyntax: true,
      keepNames: true,
      external: ['esbuild', 'fsevents', '*.node'],
      ...(RUNNING_FROM_SOURCE ? { conditions: ['source'] } : {}),
      banner: {
        js: "import { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);",
      },
      logLevel: 'silent',
      legalComments: 'none',
      metafile: true,
    })
    const [output] = result.outputFiles
    if (!output) throw new Error('esbuild returned no output file')
    code = output.text
    // Paths relative to the working directory esbuild ran in (the default: this process's).
    for (const path of Object.keys(result.metafile.inputs)) {
      // The generated entry (stdin) is no file; everything else the bundle read is.
      if (path.startsWith('<') || path.endsWith('strata-runtime-entry.js')) continue
      const absolute = resolve(path)
      const stat = statSync(absolute)
      inputs[absolute] = [stat.mtimeMs, stat.size]
    }
  } catch (error) {
    const problems = (error as { errors?: Array<{ text: string }> }).errors
      ?.map((problem) => problem.text)
      .join('; ')
    throw new StrataError(
      'RUNTIME_BUNDLE_FAILED',
      `cannot bundle the Strata runtime for remote steps (${problems ?? (error as Error).message}) — reinstall the stack's plugins`,
      { cause: error },
    )
  }
  const bytes = new TextEncoder().encode(code)
  return { bundle: { code: bytes, digest: createHash('sha256').update(bytes).digest('hex') }, inputs }
}
