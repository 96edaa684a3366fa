import { defineCommand, defineGroup } from '../kit.js'

export default defineGroup({
  summary: 'Run one step of a run (what orchestrators start in step processes and pods)',
  commands: {
    run: defineCommand({
      summary: 'Run one step with nothing but the artifact store (the orchestrator hands it over)',
      options: {
        run: { placeholder: 'URI', help: "The run's location in the artifact store" },
        step: { placeholder: 'ID', help: "The step's invocation id" },
        'one-attempt': {
          type: 'boolean',
          help: 'Make only the next attempt (counted in the journal); the orchestrator starts the one after',
        },
      },
      async run(context) {
        const { runStepProcess, stepProcessSecretValues } = await import('@strata/sdk/step-process')
        // The run's secret values, as the orchestrator handed them over: never in this process's output.
        // Optional: a project's own (handed-over) SDK of an older patch may not have it.
        for (const value of stepProcessSecretValues?.() ?? []) context.io.sensitive(value)
        const { run, step } = context.options
        return runStepProcess([
          '--run',
          run ?? '',
          '--step',
          step ?? '',
          ...(context.options['one-attempt'] ? ['--one-attempt'] : []),
        ])
      },
    }),
  },
})
