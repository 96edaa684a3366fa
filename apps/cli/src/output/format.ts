import type { Options } from '../command.js'
import { hasControlCharacter, type Io } from './io.js'

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

/**
 * Data as YAML in which every string holding a control character is double-quoted: Io writes such a
 * character as `\u001b`, which a double-quoted YAML string reads back as the character (in a plain or
 * block string it would be text), so the YAML printed means what the data says.
 */
export async function toYaml(data: unknown): Promise<string> {
  const { Document, visit } = await import('yaml')
  const document = new Document(data)
  visit(document, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && hasControlCharacter(node.value)) node.type = 'QUOTE_DOUBLE'
    },
  })
  return document.toString()
}

/**
 * Prints data for scripts as JSON or YAML (the YAML library loads only when asked for). Control characters
 * in the values reach the terminal escaped (`\u001b`) and read back as themselves: JSON.stringify escapes
 * C0 controls, and Io writes the rest in the same JSON (and YAML double-quoted) escape.
 */
export async function printData(io: Io, format: 'json' | 'yaml', data: unknown): Promise<void> {
  if (format === 'json') {
    io.out(JSON.stringify(data, null, 2))
    return
  }
  io.out((await toYaml(data)).trimEnd())
}
