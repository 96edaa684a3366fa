#!/usr/bin/env node
// Runs one pipeline step in this process: `strata-step step run --run <uri> --step <id>` (what
// `strata step run` does, for projects without @strata/cli). Started by orchestrators.
const major = Number(process.versions.node.split('.')[0])
const minor = Number(process.versions.node.split('.')[1])
if (major < 22 || (major === 22 && minor < 16)) {
  console.error(
    `strata: Node.js 22.16 or newer is needed, this is ${process.versions.node} — use the project's pinned Node`,
  )
  process.exit(1)
}
const { runStepProcess } = await import('../dist/process/step-process.js')
const args = process.argv.slice(2)
if (args[0] === 'step' && args[1] === 'run') args.splice(0, 2)
try {
  process.exitCode = await runStepProcess(args)
} catch (error) {
  console.error(`strata step run: ${error instanceof Error ? error.message : String(error)}`)
  if (process.env.STRATA_DEBUG && error instanceof Error) console.error(error.stack)
  process.exitCode = 1
}
