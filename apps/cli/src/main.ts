import { run } from './cli.js'
import { handOver } from './hand-over.js'
import { neutralise } from './output/io.js'

// The CLI's own modules import no package at load time (commands import them when they run), so the
// hand-over below still decides which copy of @strata/sdk, core and store this process uses.
const outcome = await handOver()
if (outcome.kind === 'refused') {
  process.stderr.write(`Error: ${neutralise(outcome.message)}\n`)
  process.exitCode = 1
} else if (outcome.kind === 'continue') {
  process.exitCode = await run(process.argv.slice(2))
}
