import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isBuiltin } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { StrataError } from '@strata/core'
import { findPackageDir } from '../discovery/discover-flavors.js'
import { canonicalJson } from '../util/json.js'

/** What a step module's code fingerprint is made of. */
export interface ModuleFingerprint {
  digest: string
  /** Local files reachable from the module (relative to the project root) → sha256 of their content. */
  files: Record<string, string>
  /** Third-party packages they import → installed version. */
  packages: Record<string, string>
}

function packageName(specifier: string): string | undefined {
  if (
    specifier.startsWith('node:') ||
    isBuiltin(specifier) ||
    specifier.startsWith('.') ||
    specifier.startsWith('/')
  ) {
    return undefined
  }
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/**
 * Fingerprints step modules with one esbuild pass (the same resolution that makes the code bundle): the
 * content of every local file each module reaches (a helper two imports down, a re-export through an
 * index file, an imported JSON file) and the installed version of every package among its imports.
 * @param modules absolute paths of the modules that define steps
 * @param root the project root; fingerprint keys are relative to it
 * @throws StrataError `CODE_FINGERPRINT_FAILED` naming the module esbuild could not follow
 */
export async function fingerprintModules(
  modules: readonly string[],
  root: string,
): Promise<Map<string, ModuleFingerprint>> {
  const fingerprints = new Map<string, ModuleFingerprint>()
  if (modules.length === 0) return fingerprints
  const esbuild = await import('esbuild')
  let metafile: import('esbuild').Metafile
  try {
    const result = await esbuild.build({
      entryPoints: [...modules],
      absWorkingDir: root,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      packages: 'external',
      outdir: join(root, '.strata', 'fingerprint'),
      outbase: root,
      logLevel: 'silent',
    })
    metafile = result.metafile
  } catch (error) {
    const message = (error as { errors?: Array<{ text: string; location?: { file: string } }> }).errors
      ?.map((problem) => `${problem.location?.file ?? ''}: ${problem.text}`)
      .join('; ')
    throw new StrataError(
      'CODE_FINGERPRINT_FAILED',
      `cannot follow the imports of the step modules (${message ?? (error as Error).message}) — fix the import, or disable caching for the step`,
      { cause: error },
    )
  }
  const contents = new Map<string, Promise<string>>()
  const hashFile = (file: string): Promise<string> => {
    let hash = contents.get(file)
    if (!hash) {
      hash = readFile(resolve(root, file)).then((bytes) => createHash('sha256').update(bytes).digest('hex'))
      contents.set(file, hash)
    }
    return hash
  }
  const versions = new Map<string, string>()
  for (const output of Object.values(metafile.outputs)) {
    if (!output.entryPoint) continue
    const entry = resolve(root, output.entryPoint)
    const files: Record<string, string> = {}
    for (const input of Object.keys(output.inputs).sort()) {
      files[relative(root, resolve(root, input)).split('\\').join('/')] = await hashFile(input)
    }
    const packages: Record<string, string> = {}
    for (const imported of output.imports) {
      if (!imported.external) continue
      const name = packageName(imported.path)
      if (!name || packages[name]) continue
      let version = versions.get(name)
      if (version === undefined) {
        const packageDir = findPackageDir(name, dirname(entry))
        version = packageDir
          ? ((JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version?: string })
              .version ?? 'unknown')
          : 'not installed'
        versions.set(name, version)
      }
      packages[name] = version
    }
    const sortedPackages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : 1)))
    fingerprints.set(entry, {
      digest: createHash('sha256')
        .update(canonicalJson({ files, packages: sortedPackages }))
        .digest('hex'),
      files,
      packages: sortedPackages,
    })
  }
  return fingerprints
}
