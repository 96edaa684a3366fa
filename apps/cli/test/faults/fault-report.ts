import { afterAll, afterEach } from 'vitest'

/** What a fault test file records: each fault it tried, and whether Strata came through it as promised. */
export interface FaultReport {
  /** Records one fault: `survived` when every check after it held. */
  tried(fault: string, survived: boolean): void
}

/**
 * A fault file's tally, printed when the file ends: `faults hostile-text: 161 tried, 161 survived`, then
 * each fault that was not survived. A test that fails counts as a fault not survived, even when it failed
 * before it could record one (the tally never reads "all survived" over a failed test). A file creates one
 * report at its top level.
 */
export function faultReport(suite: string): FaultReport {
  const results: Array<{ fault: string; survived: boolean }> = []
  /** Whether the current test has recorded a fault it did not survive. */
  let recordedFailure = false
  afterEach(({ task }) => {
    if (task.result?.state === 'fail' && !recordedFailure) {
      const message = task.result.errors?.[0]?.message?.split('\n')[0] ?? 'no message'
      results.push({ fault: `${task.name} (the test failed: ${message})`, survived: false })
    }
    recordedFailure = false
  })
  afterAll(() => {
    const failed = results.filter((result) => !result.survived)
    const lines = [
      `faults ${suite}: ${results.length} tried, ${results.length - failed.length} survived`,
      ...failed.map((result) => `  not survived: ${result.fault}`),
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  })
  return {
    tried(fault, survived) {
      results.push({ fault, survived })
      if (!survived) recordedFailure = true
    },
  }
}
