import { fileURLToPath } from 'node:url'

const SDK_DIRECTORY = fileURLToPath(new URL('..', import.meta.url))

/**
 * The file of the first stack frame outside the SDK: the module that called `step()`. Its code and what it
 * imports make the step's code fingerprint.
 */
export function callerModule(): string | undefined {
  const original = Error.prepareStackTrace
  const limit = Error.stackTraceLimit
  try {
    Error.stackTraceLimit = 20
    Error.prepareStackTrace = (_error, frames) => frames
    const frames = new Error().stack as unknown as NodeJS.CallSite[]
    for (const frame of frames) {
      let file = frame.getFileName() ?? undefined
      if (!file) continue
      if (file.startsWith('file://')) file = fileURLToPath(file)
      if (file.startsWith('node:') || file.startsWith(SDK_DIRECTORY) || file.includes('/@strata/sdk/'))
        continue
      return file
    }
    return undefined
  } finally {
    Error.prepareStackTrace = original
    Error.stackTraceLimit = limit
  }
}
