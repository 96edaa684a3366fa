import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Pipeline } from '@strata/sdk'
import { CommandError } from '../kit.js'

let tsxRegistered = false

/**
 * Imports a user's module — TypeScript included, with no build step — with `pipeline.run()` turned off
 * while it loads (a module may end with `await training.run()`).
 */
export async function importUserModule(path: string): Promise<Record<string, unknown>> {
  const sdk = await import('@strata/sdk')
  if (!tsxRegistered && /\.[cm]?tsx?$/.test(path)) {
    const { register } = await import('tsx/esm/api')
    register()
    tsxRegistered = true
  }
  return sdk.importingPipelines(() => import(pathToFileURL(path).href) as Promise<Record<string, unknown>>)
}

/**
 * The pipeline a file exports: the only one, or the one named (by its name or its export name).
 * @throws CommandError naming the file, the pipelines it has, and the fix
 */
export async function pipelineFrom(cwd: string, file: string, name: string | undefined): Promise<Pipeline> {
  const path = resolve(cwd, file)
  if (!existsSync(path))
    throw new CommandError('FILE_NOT_FOUND', `no file ${path} — pass the module that exports your pipeline`)
  const sdk = await import('@strata/sdk')
  const module = await importUserModule(path)
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
