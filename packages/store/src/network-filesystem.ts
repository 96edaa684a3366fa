import { StrataError } from '@strata/core/base'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of `strata stack list`; getBuiltinModule hands over the already-loaded module.
const { statfsSync } = process.getBuiltinModule('node:fs')

// statfs(2) magic numbers of network filesystems, where SQLite's locking is unreliable.
const NETWORK_FILESYSTEMS = new Map<number, string>([
  [0x6969, 'NFS'],
  [0x517b, 'SMB'],
  [0xff534d42, 'CIFS'],
  [0xfe534d42, 'SMB2'],
  [0x5346414f, 'AFS'],
  [0x00c36400, 'Ceph'],
  [0x013111a8, 'IBRIX'],
  [0x47504653, 'GPFS'],
  [0x0bd00bd0, 'Lustre'],
])

/**
 * Refuses a store directory on a network filesystem (SQLite's file locks do not work there, so concurrent
 * commands could corrupt it). `STRATA_ALLOW_NETWORK_FS=1` overrides.
 * @throws StrataError `NETWORK_FILESYSTEM` naming the filesystem and the fix
 */
export function refuseNetworkFilesystem(directory: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.STRATA_ALLOW_NETWORK_FS === '1' || process.platform !== 'linux') return
  const kind = NETWORK_FILESYSTEMS.get(Number(statfsSync(directory).type))
  if (!kind) return
  throw new StrataError(
    'NETWORK_FILESYSTEM',
    `the Strata store directory ${directory} is on a network filesystem (${kind}), where SQLite cannot lock safely — set STRATA_CONFIG_DIR to a local directory (or STRATA_ALLOW_NETWORK_FS=1 if only one machine uses it)`,
  )
}
