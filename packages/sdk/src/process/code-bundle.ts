import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { StrataError } from '@strata/core'
import type { Plugin } from 'esbuild'

/** The SDK's own package directory (source or built). */
export function sdkPackageDir(): string {
  let directory = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory)
    if (parent === directory) throw new Error('cannot find the @strata/sdk package directory')
    directory = parent
  }
  return directory
}

const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts')

/** Never bundled: native modules and build tools, which do not survive bundling. */
const EXTERNAL_PACKAGES = ['better-sqlite3', 'esbuild', 'tsx', 'vitest', 'fsevents']
const EXTERNAL_FILTER = new RegExp(`^(?:${EXTERNAL_PACKAGES.join('|')})(?:/.*)?$|\\.node$`)

/**
 * Leaves the packages that cannot be bundled out, as absolute locations resolved from the module that
 * imports them. A bare name would be resolved from the bundle's own folder, the step process's temporary
 * working directory, where nothing is installed: a step importing esbuild failed in its own process while
 * it ran in-process. On this machine (the local orchestrator) the location exists; elsewhere (a pod) the
 * import fails as it would have, and the step process names the package.
 */
const externalsWhereInstalled: Plugin = {
  name: 'strata-externals-where-installed',
  setup(build) {
    build.onResolve({ filter: EXTERNAL_FILTER }, async (args) => {
      if (args.pluginData === 'strata-external') return undefined
      const found = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'strata-external',
      })
      if (found.errors.length > 0 || !found.path) return { path: args.path, external: true }
      const byImport = args.kind === 'import-statement' || args.kind === 'dynamic-import'
      return { path: byImport ? pathToFileURL(found.path).href : found.path, external: true }
    })
  },
}

/**
 * Bundles the step modules, everything they import and the SDK's step runner into one ESM file: what a
 * step process (or a pod) imports, with no source tree and no install. Built from the same module graph
 * esbuild follows for code fingerprints.
 * @throws StrataError `CODE_BUNDLE_FAILED` naming what esbuild could not resolve
 */
export async function buildCodeBundle(modules: Record<string, string>, root: string): Promise<string> {
  const runner = RUNNING_FROM_SOURCE
    ? join(sdkPackageDir(), 'src', 'process', 'step-in-bundle.ts')
    : join(sdkPackageDir(), 'dist', 'process', 'step-in-bundle.js')
  const entries = Object.entries(modules)
  const contents = [
    ...entries.map(([, path], index) => `import * as module${index} from ${JSON.stringify(path)}`),
    `export const modules = { ${entries.map(([key], index) => `${JSON.stringify(key)}: module${index}`).join(', ')} }`,
    `export { runBundledStep } from ${JSON.stringify(runner)}`,
  ].join('\n')
  const esbuild = await import('esbuild')
  try {
    const result = await esbuild.build({
      stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'strata-bundle-entry.ts' },
      absWorkingDir: root,
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      plugins: [externalsWhereInstalled],
      ...(RUNNING_FROM_SOURCE ? { conditions: ['source'] } : {}),
      // Bundled CommonJS code may call require() for built-ins.
      banner: {
        js: "import { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);",
      },
      logLevel: 'silent',
      legalComments: 'none',
    })
    const [output] = result.outputFiles
    if (!output) throw new Error('esbuild returned no output file')
    return output.text
  } catch (error) {
    const problems = (error as { errors?: Array<{ text: string }> }).errors
      ?.map((problem) => problem.text)
      .join('; ')
    throw new StrataError(
      'CODE_BUNDLE_FAILED',
      `cannot bundle the pipeline's code for step processes (${problems ?? (error as Error).message}) — fix the import, or run steps in-process`,
      { cause: error },
    )
  }
}
