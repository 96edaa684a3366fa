import { afterEach, describe, expect, it } from 'vitest'
import { freePort, spawnServer, startTestServer } from './test-server.js'

describe('test servers', () => {
  const saved = process.env.CI
  afterEach(() => {
    process.env.CI = saved
  })

  it('starts a real server, waits for it, and stops it', async () => {
    const port = await freePort()
    const server = await spawnServer({
      command: process.execPath,
      args: ['-e', `require('http').createServer((q, s) => s.end('up')).listen(${port}, '127.0.0.1')`],
      port,
    })
    expect(await (await fetch(server.url)).text()).toBe('up')
    await server.stop()
    await expect(fetch(server.url)).rejects.toThrow()
  })

  it('skips with the reason on a user machine and fails on CI', async () => {
    const broken = () => spawnServer({ command: '/nonexistent/server', args: [], port: 1, timeoutMs: 2000 })
    process.env.CI = 'false'
    const result = await startTestServer('ghost', 'install ghost with: pip install ghost', broken)
    expect(result.skip).toMatch(/^ghost could not start \(.*\) — install ghost with: pip install ghost$/)
    process.env.CI = 'true'
    await expect(startTestServer('ghost', 'install it', broken)).rejects.toThrow(
      'CI=true and ghost could not start',
    )
  })
})
