import { errorMessage } from '@strata/core'
import { runDriverProcess, runStartProcess } from './driver-process.js'
import { registerBundledPlugins, runStepProcess } from './step-process.js'

const USAGE = `usage: strata-runtime step run --run <run uri> --step <step id> [--one-attempt] [--prepare]
       strata-runtime orchestrate --run <run uri>
       strata-runtime orchestrate --schedule <schedule uri>
       strata-runtime start --template <schedule uri> [--run <run uri>] [--handle <json>] --output <file>`

/**
 * The entry of the self-contained Strata runtime (see runtime-bundle.ts), which a pod runs with nothing
 * but Node.js: one step (`step run`), or the driver of a whole run (`orchestrate`). Resolves with the
 * process's exit code; errors are one line on stderr (secret values already masked).
 */
export async function runtimeMain(
  argv: readonly string[],
  plugins: Record<string, Record<string, unknown>>,
): Promise<number> {
  registerBundledPlugins(plugins)
  const [command, ...rest] = argv
  try {
    if (command === 'step' && rest[0] === 'run') return await runStepProcess(rest.slice(1))
    if (command === 'orchestrate') return await runDriverProcess(rest)
    if (command === 'start') return await runStartProcess(rest)
    console.error(USAGE)
    return 2
  } catch (error) {
    console.error(`strata: ${errorMessage(error)}`)
    if (process.env.STRATA_DEBUG && error instanceof Error) console.error(error.stack)
    return 1
  }
}
