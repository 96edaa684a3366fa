import { createHash } from 'node:crypto'
import { join } from 'node:path'
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
    bundle = bundleRuntime(entries)
    built.set(key, bundle)
    bundle.catch(() => built.delete(key))
  }
  return bundle
}

async function bundleRuntime(entries: readonly string[]): Promise<RuntimeBundle> {
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
    })
    const [output] = result.outputFiles
    if (!output) throw new Error('esbuild returned no output file')
    code = output.text
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
  return { code: bytes, digest: createHash('sha256').update(bytes).digest('hex') }
}
