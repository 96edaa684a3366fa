import { handOver } from './hand-over.js'

const outcome = await handOver()
if (outcome.kind === 'refused') {
  process.stderr.write(`Error: ${outcome.message}\n`)
  process.exitCode = 1
} else if (outcome.kind === 'continue') {
  const { run } = await import('./cli.js')
  process.exitCode = await run(process.argv.slice(2))
}
