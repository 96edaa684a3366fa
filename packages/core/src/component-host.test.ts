import { describe, expect, it } from 'vitest'
import { hostComponent } from './component-host.js'
import { StrataError } from './errors.js'

const identity = { type: 'experiment_tracker', name: 'tracking', flavor: 'acme' } as const

class Vendor {
  readonly #secretField = 'private state'
  calls = 0
  async ok(): Promise<string> {
    this.calls++
    return this.#secretField
  }
  async broken(): Promise<never> {
    throw new TypeError('socket hang up')
  }
  coded(): never {
    throw new StrataError('ACME_QUOTA', 'acme: quota exceeded — raise the quota')
  }
  async start(): Promise<{ log(): void }> {
    return {
      log() {
        throw new Error('closed')
      },
    }
  }
}

describe('hostComponent', () => {
  it('calls through with the component as `this`, and logs each call with its duration', async () => {
    const lines: string[] = []
    const log = (line: string) => lines.push(line)
    const vendor = new Vendor()
    const hosted = hostComponent(vendor, identity, {
      logger: { debug: log, info: log, warn: log, error: log },
    })
    expect(await hosted.ok()).toBe('private state')
    expect(vendor.calls).toBe(1)
    expect(lines[0]).toMatch(/^experiment_tracker 'tracking' \(acme\): ok took \d+\.\d ms$/)
  })

  it('turns a vendor error into a coded one naming the component and the call, keeping the cause', async () => {
    const hosted = hostComponent(new Vendor(), identity)
    const error = await hosted.broken().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(StrataError)
    expect((error as StrataError).code).toBe('COMPONENT_CALL_FAILED')
    expect((error as Error).message).toBe(
      "experiment_tracker 'tracking' (acme): broken failed: socket hang up — check its configuration ('strata experiment-tracker describe tracking')",
    )
    expect((error as Error).cause).toBeInstanceOf(TypeError)
  })

  it('lets coded errors through as they are, synchronous ones included', () => {
    const hosted = hostComponent(new Vendor(), identity)
    expect(() => hosted.coded()).toThrow('acme: quota exceeded — raise the quota')
  })

  it('hosts the plugin objects that named methods return', async () => {
    const hosted = hostComponent(new Vendor(), identity, { hostResultsOf: ['start'] })
    const tracking = await hosted.start()
    expect(() => tracking.log()).toThrow("experiment_tracker 'tracking' (acme): log failed: closed")
  })
})
