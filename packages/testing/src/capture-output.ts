// Loaded with `node --import` into processes a test starts (set through NODE_OPTIONS): appends everything
// the process writes to its stdout and stderr to `$STRATA_TEST_CAPTURE_DIR/<pid>.stdout|stderr`, so that a
// test can read what step processes printed. Plain erasable TypeScript: Node runs it without a build.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'

const directory = process.env.STRATA_TEST_CAPTURE_DIR
if (directory) {
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name]
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
    const file = join(directory, `${process.pid}.${name}`)
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      try {
        appendFileSync(file, chunk)
      } catch {}
      return write(chunk, ...rest)
    }) as typeof stream.write
  }
}
