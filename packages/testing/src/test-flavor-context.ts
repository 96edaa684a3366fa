import { tmpdir } from 'node:os'
import type { FlavorContext, Logger } from '@strata/core'

/** A logger that keeps every line (`level message {fields}`), so a test can check what reached it. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`)
    }
  return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') }
}

/**
 * The context Strata hands a flavor's `create()`, for calling it in a test: `componentName` names the
 * component in the flavor's messages.
 */
export function testFlavorContext(
  componentName: string,
  options: { componentId?: string; logger?: Logger; dataDir?: string } = {},
): FlavorContext {
  return {
    componentName,
    componentId: options.componentId ?? 'test',
    dataDir: options.dataDir ?? tmpdir(),
    logger: options.logger ?? recordingLogger(),
  }
}
