import { chmod, chown, mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { V1HostPathVolumeSource, V1KeyToPath, V1Pod, V1VolumeProjection } from '@kubernetes/client-node'
import { fieldValue, resourceValue } from './container-env.js'
import { ContainerConfigError, type PodObjects } from './pod-objects.js'

/** A volume made real as a host path, ready to be bind-mounted into the pod's containers. */
export interface PodVolume {
  name: string
  hostPath: string
  /** Secret, configMap, downwardAPI and projected volumes are always read-only, as on a kubelet. */
  forceReadOnly: boolean
}

/** A projected service-account token the agent must renew before it expires. */
export interface TokenFile {
  path: string
  audience: string | undefined
  expirationSeconds: number
  expiresAt: Date
}

/** What materialising a pod's volumes needs. */
export interface VolumeContext {
  pod: V1Pod
  /** The pod's own directory on the host; volumes go under `<podDir>/volumes/<name>`. */
  podDir: string
  objects: PodObjects
  allocatable: Record<string, string>
}

const EMULATED = 'configMap, secret, emptyDir, projected, downwardAPI, hostPath'

interface Entry {
  path: string
  data: Buffer
  mode: number
}

/** Fails a volume as `MountVolume.SetUp` does; the kubelet retries, and so does the agent. */
function setUpFailed(volume: string, message: string): ContainerConfigError {
  return new ContainerConfigError(`MountVolume.SetUp failed for volume "${volume}" : ${message}`, {
    reason: 'ContainerCreating',
  })
}

function selectKeys(
  volume: string,
  kind: 'configmap' | 'secret',
  data: Map<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  defaultMode: number,
): Entry[] {
  if (!items) return [...data].map(([key, value]) => ({ path: key, data: value, mode: defaultMode }))
  return items.map((item) => {
    const value = data.get(item.key)
    if (value === undefined) {
      throw setUpFailed(
        volume,
        `${kind === 'configmap' ? 'configmap' : 'secret'} references non-existent ${kind === 'configmap' ? 'config' : 'secret'} key: ${item.key}`,
      )
    }
    return { path: item.path, data: value, mode: item.mode ?? defaultMode }
  })
}

async function projection(
  context: VolumeContext,
  volume: string,
  source: V1VolumeProjection,
  defaultMode: number,
  tokens: Array<Omit<TokenFile, 'path'> & { relative: string }>,
): Promise<Entry[]> {
  const namespace = context.pod.metadata?.namespace ?? 'default'
  const reference = source.configMap ?? source.secret
  if (reference) {
    const kind = source.configMap ? 'configmap' : 'secret'
    const data =
      kind === 'configmap'
        ? await context.objects.configMap(namespace, reference.name ?? '')
        : await context.objects.secret(namespace, reference.name ?? '')
    if (!data) {
      if (reference.optional) return []
      throw setUpFailed(volume, `${kind} "${reference.name}" not found`)
    }
    return selectKeys(volume, kind, data, reference.items, defaultMode)
  }
  if (source.downwardAPI) {
    return (source.downwardAPI.items ?? []).map((item) => {
      const value = item.fieldRef
        ? fieldValue(context.pod, item.fieldRef.fieldPath)
        : item.resourceFieldRef
          ? resourceValue(context.pod, undefined, item.resourceFieldRef, context.allocatable)
          : undefined
      if (value === undefined) {
        throw new ContainerConfigError(
          `volume "${volume}": downwardAPI item "${item.path}" names neither a fieldRef nor a resourceFieldRef`,
          { retryable: false },
        )
      }
      return { path: item.path, mode: item.mode ?? defaultMode, data: Buffer.from(value) }
    })
  }
  if (source.serviceAccountToken) {
    const { audience, expirationSeconds = 3600, path } = source.serviceAccountToken
    const { token, expiresAt } = await context.objects.token(context.pod, audience, expirationSeconds)
    tokens.push({ relative: path, audience, expirationSeconds, expiresAt })
    return [{ path, data: Buffer.from(token), mode: defaultMode }]
  }
  throw new ContainerConfigError(
    `volume "${volume}": this projected source (${Object.keys(source).join(', ')}) is not emulated by the Strata test plane (emulated: configMap, secret, downwardAPI, serviceAccountToken)`,
    { retryable: false },
  )
}

async function writeEntries(directory: string, entries: Entry[], group: number | undefined): Promise<void> {
  for (const entry of entries) {
    const file = join(directory, entry.path)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, entry.data)
    await chmod(file, entry.mode)
    if (group !== undefined) await chown(file, 0, group)
  }
}

async function hostPath(volume: string, source: V1HostPathVolumeSource): Promise<string> {
  const { path, type = '' } = source
  const info = await stat(path).catch(() => undefined)
  const fail = (what: string) => setUpFailed(volume, `hostPath type check failed: ${path} is not ${what}`)
  switch (type) {
    case 'DirectoryOrCreate':
      if (!info) await mkdir(path, { recursive: true, mode: 0o755 })
      else if (!info.isDirectory()) throw fail('a directory')
      break
    case 'FileOrCreate':
      if (!info) await writeFile(path, '', { mode: 0o644 })
      else if (!info.isFile()) throw fail('a file')
      break
    case 'Directory':
      if (!info?.isDirectory()) throw fail('a directory')
      break
    case 'File':
      if (!info?.isFile()) throw fail('a file')
      break
    case 'Socket':
      if (!info?.isSocket()) throw fail('a socket file')
      break
    case 'CharDevice':
      if (!info?.isCharacterDevice()) throw fail('a character device')
      break
    case 'BlockDevice':
      if (!info?.isBlockDevice()) throw fail('a block device')
      break
  }
  return path
}

/**
 * Makes each of the pod's volumes a directory on the host (hostPath: the path itself), fetching Secrets,
 * ConfigMaps and service-account tokens as the node. Idempotent, so a failed attempt can be retried:
 * API data volumes are rewritten, emptyDirs keep their content.
 * @throws ContainerConfigError `ContainerCreating` (retry) for a missing object, `CreateContainerConfigError`
 * (permanent) for a volume type the agent does not emulate
 */
export async function materialiseVolumes(
  context: VolumeContext,
): Promise<{ volumes: Map<string, PodVolume>; tokens: TokenFile[] }> {
  const volumes = new Map<string, PodVolume>()
  const tokens: TokenFile[] = []
  const group = context.pod.spec?.securityContext?.fsGroup
  for (const volume of context.pod.spec?.volumes ?? []) {
    const directory = join(context.podDir, 'volumes', volume.name)
    if (volume.hostPath) {
      volumes.set(volume.name, {
        name: volume.name,
        hostPath: await hostPath(volume.name, volume.hostPath),
        forceReadOnly: false,
      })
      continue
    }
    if (volume.emptyDir) {
      await mkdir(directory, { recursive: true, mode: 0o777 })
      await chmod(directory, 0o777)
      if (group !== undefined) await chown(directory, 0, group)
      volumes.set(volume.name, { name: volume.name, hostPath: directory, forceReadOnly: false })
      continue
    }
    const pending: Array<Omit<TokenFile, 'path'> & { relative: string }> = []
    let entries: Entry[]
    if (volume.configMap) {
      entries = await projection(
        context,
        volume.name,
        { configMap: volume.configMap },
        volume.configMap.defaultMode ?? 0o644,
        pending,
      )
    } else if (volume.secret) {
      const { secretName, ...rest } = volume.secret
      entries = await projection(
        context,
        volume.name,
        { secret: { ...rest, name: secretName } },
        volume.secret.defaultMode ?? 0o644,
        pending,
      )
    } else if (volume.downwardAPI) {
      entries = await projection(
        context,
        volume.name,
        { downwardAPI: volume.downwardAPI },
        volume.downwardAPI.defaultMode ?? 0o644,
        pending,
      )
    } else if (volume.projected) {
      const mode = volume.projected.defaultMode ?? 0o644
      entries = []
      for (const source of volume.projected.sources ?? []) {
        entries.push(...(await projection(context, volume.name, source, mode, pending)))
      }
    } else {
      const kind = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown'
      throw new ContainerConfigError(
        `volume "${volume.name}": ${kind} volumes are not emulated by the Strata test plane's node agent (emulated: ${EMULATED})`,
        { retryable: false },
      )
    }
    await rm(directory, { recursive: true, force: true })
    await mkdir(directory, { recursive: true, mode: 0o755 })
    await writeEntries(directory, entries, group)
    tokens.push(...pending.map(({ relative, ...token }) => ({ ...token, path: join(directory, relative) })))
    volumes.set(volume.name, { name: volume.name, hostPath: directory, forceReadOnly: true })
  }
  return { volumes, tokens }
}
