import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cachedTool, findTool } from './installed-tool.js'

let root: string
let tool: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-installed-tool-'))
  await mkdir(join(root, '.cache/venv/bin'), { recursive: true })
  await mkdir(join(root, 'packages/plugin/src'), { recursive: true })
  tool = join(root, '.cache/venv/bin/server')
  await writeFile(tool, '#!/bin/sh\n')
  await chmod(tool, 0o755)
  await writeFile(join(root, '.cache/venv/bin/not-executable'), '')
})
afterAll(() => rm(root, { recursive: true, force: true }))

describe('cachedTool', () => {
  it("finds .cache/ in the folder or any folder above it, from a repository's root or a package", () => {
    expect(cachedTool('venv/bin/server', root)).toBe(tool)
    expect(cachedTool('venv/bin/server', join(root, 'packages/plugin/src'))).toBe(tool)
  })

  it('skips what is missing or not executable', () => {
    expect(cachedTool('venv/bin/other', root)).toBeUndefined()
    expect(cachedTool('venv/bin/not-executable', root)).toBeUndefined()
  })
})

describe('findTool', () => {
  it('takes an explicit executable, else PATH, and says where it looked', () => {
    expect(findTool('server', 'venv/bin/server', tool)).toBe(tool)
    expect(() => findTool('server', 'venv/bin/server', join(root, 'nope'))).toThrow(
      `${join(root, 'nope')} is missing`,
    )
    expect(findTool('node', 'no/such/node')).toMatch(/node$/)
    expect(() => findTool('strata-no-such-server', 'no/such/tool')).toThrow(
      'strata-no-such-server is neither in .cache/no/such/tool nor on PATH',
    )
  })
})
