import { existsSync, mkdtempSync, rmSync, statfsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { refuseNetworkFilesystem } from './network-filesystem.js'
import { SqliteStore } from './sqlite/sqlite-store.js'

let directory: string
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'strata-fs-'))
})
afterEach(() => rmSync(directory, { recursive: true, force: true }))

/** statfs(2) answering with one filesystem magic number, as the kernel would for a mount of that kind. */
const on = (type: number) => ({ statfs: () => ({ type }), platform: 'linux' as const })

describe('refuseNetworkFilesystem', () => {
  it.each([
    ['NFS', 0x6969],
    ['CIFS', 0xff534d42],
    ['SMB2', 0xfe534d42],
    ['AFS', 0x5346414f],
    ['Ceph', 0x00c36400],
    ['Lustre', 0x0bd00bd0],
    ['GPFS', 0x47504653],
  ])('refuses a directory on %s, with the fix', (kind, type) => {
    expect(() => refuseNetworkFilesystem(directory, {}, on(type))).toThrow(
      `the Strata store directory ${directory} is on a network filesystem (${kind}), where SQLite cannot lock safely — set STRATA_CONFIG_DIR to a local directory (or STRATA_ALLOW_NETWORK_FS=1 if only one machine uses it)`,
    )
  })

  it('accepts local filesystems (ext4, tmpfs, overlayfs, btrfs, xfs) and reads bigint magic numbers', () => {
    for (const type of [0xef53, 0x01021994, 0x794c7630, 0x9123683e, 0x58465342])
      expect(() => refuseNetworkFilesystem(directory, {}, on(type))).not.toThrow()
    expect(() =>
      refuseNetworkFilesystem(directory, {}, { statfs: () => ({ type: 0x6969n }), platform: 'linux' }),
    ).toThrow('(NFS)')
  })

  it('lets STRATA_ALLOW_NETWORK_FS=1 override, and refuses nothing off Linux (other magic numbers)', () => {
    expect(() =>
      refuseNetworkFilesystem(directory, { STRATA_ALLOW_NETWORK_FS: '1' }, on(0x6969)),
    ).not.toThrow()
    expect(() => refuseNetworkFilesystem(directory, { STRATA_ALLOW_NETWORK_FS: 'yes' }, on(0x6969))).toThrow()
    expect(() =>
      refuseNetworkFilesystem(directory, {}, { statfs: on(0x6969).statfs, platform: 'darwin' }),
    ).not.toThrow()
  })

  it('asks the real statfs(2) by default: the temporary directory here is local', () => {
    let asked: string | undefined
    refuseNetworkFilesystem(
      directory,
      {},
      {
        statfs: (path) => {
          asked = path
          return statfsSync(path)
        },
      },
    )
    expect(asked).toBe(directory)
    // The production path, nothing injected.
    expect(() => refuseNetworkFilesystem(directory, {})).not.toThrow()
  })

  it('makes SqliteStore.open refuse before it creates a database file', () => {
    const configDir = join(directory, 'config')
    expect(() => SqliteStore.open({ configDir, filesystem: on(0x6969) })).toThrow(
      expect.objectContaining({ code: 'NETWORK_FILESYSTEM' }),
    )
    expect(existsSync(join(configDir, 'strata.db'))).toBe(false)
    SqliteStore.open({ configDir }).close()
    expect(existsSync(join(configDir, 'strata.db'))).toBe(true)
  })
})
