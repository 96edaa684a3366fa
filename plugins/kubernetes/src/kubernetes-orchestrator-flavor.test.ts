import type { StackView } from '@strata/core'
import { describe, expect, it } from 'vitest'
import { kubernetesOrchestrator } from './kubernetes-orchestrator-flavor.js'

function stack(config: Record<string, unknown>): StackView {
  return {
    name: 'dev',
    components: {
      orchestrator: { name: 'kind', flavor: 'kubernetes', isLocal: false, isRemote: false, config },
      artifact_store: { name: 'disk', flavor: 'local', isLocal: true, isRemote: false, config: {} },
    },
  }
}

describe('orchestrator/kubernetes', () => {
  it('lets a cluster on this machine use local components only once their folders are mounted', () => {
    const validate = kubernetesOrchestrator.validateStack
    expect(validate?.(stack({ local: true }))).toEqual([
      {
        component: 'kind',
        message: expect.stringContaining(
          "its pods cannot see the local component 'disk' unless its folder is mounted into them at the same path",
        ),
      },
    ])
    expect(validate?.(stack({ local: true, skipLocalValidations: true }))).toEqual([])
    expect(kubernetesOrchestrator.runsOnThisMachine?.({ local: true } as never)).toBe(true)
    expect(kubernetesOrchestrator.runsOnThisMachine?.({ local: false } as never)).toBe(false)
  })
})
