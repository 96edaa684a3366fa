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

/** How the filesystem under a directory is found; tests pass their own, Strata uses the real one. */
export interface FilesystemProbe {
  /** statfs(2) of the directory (only `type`, the filesystem's magic number, is read). @default fs.statfsSync */
  statfs?: (directory: string) => { type: number | bigint }
  /** The magic numbers are Linux's; elsewhere nothing is refused. @default process.platform */
  platform?: NodeJS.Platform
}

/**
 * Refuses a store directory on a network filesystem (SQLite's file locks do not work there, so concurrent
 * commands could corrupt it). `STRATA_ALLOW_NETWORK_FS=1` overrides.
 * @throws StrataError `NETWORK_FILESYSTEM` naming the filesystem and the fix
 */
export function refuseNetworkFilesystem(
  directory: string,
  env: NodeJS.ProcessEnv = process.env,
  probe: FilesystemProbe = {},
): void {
  if (env.STRATA_ALLOW_NETWORK_FS === '1' || (probe.platform ?? process.platform) !== 'linux') return
  const kind = NETWORK_FILESYSTEMS.get(Number((probe.statfs ?? statfsSync)(directory).type))
  if (!kind) return
  throw new StrataError(
    'NETWORK_FILESYSTEM',
    `the Strata store directory ${directory} is on a network filesystem (${kind}), where SQLite cannot lock safely — set STRATA_CONFIG_DIR to a local directory (or STRATA_ALLOW_NETWORK_FS=1 if only one machine uses it)`,
  )
}
