import { availableParallelism } from 'node:os'
import { defineFlavor } from '@strata/core'
import { z } from 'zod'

const isolation = z
  .enum(['inline', 'process'])
  .describe(
    "'inline': steps run in this process, concurrently on its event loop; 'process': each step runs as its own `strata step run` process",
  )

export const localOrchestratorConfig = z.object({
  isolation: isolation.default('inline'),
  concurrency: z
    .number()
    .int()
    .min(1)
    .default(32)
    .describe(
      'Most in-process steps running at once (steps are async and mostly wait on I/O, so more than the CPU count)',
    ),
  processConcurrency: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Most step processes at once. Default: the number of CPUs'),
})

export const localOrchestratorSettings = z.object({ isolation: isolation.optional() })

export type LocalOrchestratorConfig = z.output<typeof localOrchestratorConfig>

export const localOrchestrator = defineFlavor({
  apiVersion: 1,
  type: 'orchestrator',
  name: 'local',
  description: 'Runs steps on this machine, concurrently, in-process or one process per step',
  isLocal: true,
  config: localOrchestratorConfig,
  settings: localOrchestratorSettings,
  create: async (config) => {
    const { LocalOrchestrator } = await import('./local-orchestrator.js')
    return new LocalOrchestrator({
      ...config,
      processConcurrency: config.processConcurrency ?? availableParallelism(),
    })
  },
})
