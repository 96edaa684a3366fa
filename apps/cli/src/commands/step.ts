import { defineCommand, defineGroup } from '../kit.js'

export default defineGroup({
  summary: 'Run one step of a run (what orchestrators start in step processes and pods)',
  commands: {
    run: defineCommand({
      summary: 'Run one step with nothing but the artifact store (the orchestrator hands it over)',
      options: [
        { name: 'run', placeholder: 'URI', help: "The run's location in the artifact store" },
        { name: 'step', placeholder: 'ID', help: "The step's invocation id" },
      ],
      async run(context) {
        const { runStepProcess } = await import('@strata/sdk/step-process')
        return runStepProcess(['--run', context.arg('run') ?? '', '--step', context.arg('step') ?? ''])
      },
    }),
  },
})
