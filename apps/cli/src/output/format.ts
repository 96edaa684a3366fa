import type { Options } from '../command.js'
import type { Io } from './io.js'

export type OutputFormat = 'table' | 'json' | 'yaml'

/** `--output table|json|yaml`: every list and describe command declares it. */
export const outputOption = {
  output: {
    choices: ['table', 'json', 'yaml'],
    default: 'table',
    placeholder: 'FORMAT',
    help: 'table (default), json or yaml',
  },
} as const satisfies Options

/** Prints data for scripts as JSON or YAML (the YAML library loads only when asked for). */
export async function printData(io: Io, format: 'json' | 'yaml', data: unknown): Promise<void> {
  if (format === 'json') {
    io.out(JSON.stringify(data, null, 2))
    return
  }
  const { stringify } = await import('yaml')
  io.out(stringify(data).trimEnd())
}
