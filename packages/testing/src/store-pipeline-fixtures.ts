import { input, pipeline, step } from '@strata/sdk'
import { consume, produce, transform } from './orchestrator-fixtures.js'

/**
 * Prints every way a step can: its logger, `console`, and the process's own stdout and stderr. When the test hands it
 * values through `STRATA_TEST_ECHO` (space-separated), it logs them too: the runtime must mask them.
 */
export const report = step(
  { name: 'report', inputs: { summary: input<{ sum: number }>() }, cache: false },
  async ({ summary }, ctx) => {
    ctx.logger.info(`report: the sum is ${summary.sum}`)
    console.log('report: a console.log line')
    console.error('report: a console.error line')
    process.stderr.write('report: a line written to the process stderr\n')
    // In two writes, the second with the newline: a line is masked whole, however it was written.
    process.stdout.write('report: a line written to the process stdout')
    process.stdout.write(Buffer.from('\n'))
    for (const value of (process.env.STRATA_TEST_ECHO ?? '').split(' ').filter(Boolean)) {
      ctx.logger.warn(`report: logging a secret value: ${value}`)
      console.error(`report: printing a secret value: ${value}`)
      process.stdout.write(`report: writing a secret value: ${value.slice(0, 3)}`)
      process.stdout.write(`${value.slice(3)} to stdout\n`)
      process.stderr.write(`report: writing a secret value: ${value} to stderr\n`)
    }
    return { reported: summary.sum }
  },
)

/** produce → transform → consume → report: dataFlow with a step that logs. */
export const loggedDataFlow = pipeline({ name: 'conformance-logged-data-flow' }, () => {
  const { doubled, weights } = transform({ data: produce() })
  report({ summary: consume({ doubled, weights }) })
})
