// Strata as a benchmark framework: its CLI and the step-workload driver, on the pinned Node, each in a
// fresh process with the benchmark's own store (STRATA_CONFIG_DIR) and the bench folder as the project.
import { join } from 'node:path'
import { benchDir, fail, measure, strata } from '../lib.mjs'

export function strataFramework(workDir) {
  const env = { ...process.env, STRATA_CONFIG_DIR: join(workDir, 'strata-config'), NO_COLOR: '1' }
  const cli = (args, environment = env) =>
    measure(strata.node, [strata.cli, ...args], { env: environment, cwd: benchDir })
  const driver = (args, environment = env) =>
    measure(strata.node, [strata.driver, ...args.map(String)], { env: environment, cwd: benchDir })
  return {
    id: 'strata',
    name: 'Strata',
    cli,
    driver,
    fanOut: (width, ms) => driver(['fanout', width, ms]),
    /** Registers into a fresh store (created before the clock starts), then lists through the CLI. */
    register(round, components, stacks) {
      const fresh = { ...env, STRATA_CONFIG_DIR: join(workDir, `strata-register-${round}`) }
      cli(['stack', 'list'], fresh)
      const { ms } = driver(['register', components, stacks], fresh)
      const listStacks = cli(['stack', 'list', '--size', '100'], fresh).wallMs
      const listComponents = cli(['orchestrator', 'list', '--size', '100'], fresh).wallMs
      const listed = cli(['stack', 'list', '--size', '100', '--output', 'json'], fresh)
      if (listed.pagination?.total !== stacks + 1) {
        fail(
          `Strata listed ${listed.pagination?.total} stacks after registering ${stacks} (expected ${stacks + 1})`,
        )
      }
      return { ms, listStacks, listComponents }
    },
  }
}
