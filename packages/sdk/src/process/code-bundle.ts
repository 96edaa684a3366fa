import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StrataError } from '@strata/core'

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

/** Never bundled: native modules and build tools a step process does not use. */
const EXTERNAL = ['better-sqlite3', 'esbuild', 'tsx', 'vitest', 'fsevents', '*.node']

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
      external: EXTERNAL,
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
