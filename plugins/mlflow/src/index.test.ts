import { recordingLogger } from '@strata/testing'
import { describe, expect, it, vi } from 'vitest'

// Records when the implementation module (and the HTTP client it brings) is first evaluated.
const loaded = vi.hoisted(() => ({ implementation: false, undici: false }))
vi.mock('./mlflow-experiment-tracker.js', async (importOriginal) => {
  loaded.implementation = true
  return importOriginal()
})
vi.mock('undici', async (importOriginal) => {
  loaded.undici = true
  return importOriginal()
})

describe('@strata/mlflow index', () => {
  it('does not import the implementation until create() is called', async () => {
    const { default: plugin } = await import('./index.js')
    const [flavor] = plugin.flavors
    expect(flavor).toMatchObject({ type: 'experiment_tracker', name: 'mlflow' })
    expect(loaded.implementation).toBe(false)

    const tracker = await flavor!.create(
      {
        trackingUri: 'http://127.0.0.1:9',
        nested: true,
        insecureTls: false,
        requestTimeoutMs: 1000,
        maxRetries: 0,
      },
      { componentName: 'm', componentId: 'c', dataDir: '/tmp', logger: recordingLogger() },
    )
    expect(tracker.apiVersion).toBe(1)
    expect(loaded.implementation).toBe(true)
    expect(loaded.undici).toBe(false)
  })
})
