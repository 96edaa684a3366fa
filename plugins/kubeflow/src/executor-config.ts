import { StrataError } from '@strata/core'
import type { KubernetesExecutorConfig, SelectorRequirement } from './pipeline-spec.js'
import type { PodSettings } from './pod-settings.js'

/** Where a task finds the Strata runtime: chunk 0's ConfigMap (with the bootstrap) here, chunk i below. */
export const RUNTIME_DIR = '/strata/runtime'

/** What every task's pod is handed: the run's Secret (as variables) and the runtime ConfigMaps. */
export interface RunHandover {
  secretName: string
  /** The Secret's keys: each becomes the variable of the same name. */
  secretKeys: readonly string[]
  /** The runtime ConfigMaps, chunk 0 first. */
  runtimeConfigMaps: readonly string[]
}

const constant = (value: string) => ({ runtimeValue: { constant: value } })

type KubernetesObject = Record<string, unknown>

function unsupported(where: string, what: string, fix: string): StrataError {
  return new StrataError('KUBEFLOW_UNSUPPORTED_SETTING', `${where}: ${what} — ${fix}`)
}

/** The Kubernetes `affinity` object as kfp-kubernetes's node and pod affinity terms. */
function affinityTerms(
  affinity: KubernetesObject,
  where: string,
): Pick<KubernetesExecutorConfig, 'nodeAffinity' | 'podAffinity'> {
  const result: Pick<KubernetesExecutorConfig, 'nodeAffinity' | 'podAffinity'> = {}
  const node = affinity.nodeAffinity as
    | {
        requiredDuringSchedulingIgnoredDuringExecution?: {
          nodeSelectorTerms?: Array<{
            matchExpressions?: SelectorRequirement[]
            matchFields?: SelectorRequirement[]
          }>
        }
        preferredDuringSchedulingIgnoredDuringExecution?: Array<{
          weight: number
          preference: { matchExpressions?: SelectorRequirement[]; matchFields?: SelectorRequirement[] }
        }>
      }
    | undefined
  if (node) {
    const terms: NonNullable<KubernetesExecutorConfig['nodeAffinity']> = []
    for (const term of node.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [])
      terms.push(selectorTerm(term))
    for (const preferred of node.preferredDuringSchedulingIgnoredDuringExecution ?? [])
      terms.push({ ...selectorTerm(preferred.preference), weight: preferred.weight })
    if (terms.length > 0) result.nodeAffinity = terms
  }
  const podTerms: NonNullable<KubernetesExecutorConfig['podAffinity']> = []
  for (const [key, anti] of [
    ['podAffinity', false],
    ['podAntiAffinity', true],
  ] as const) {
    const section = affinity[key] as
      | {
          requiredDuringSchedulingIgnoredDuringExecution?: KubernetesObject[]
          preferredDuringSchedulingIgnoredDuringExecution?: Array<{
            weight: number
            podAffinityTerm: KubernetesObject
          }>
        }
      | undefined
    if (!section) continue
    for (const term of section.requiredDuringSchedulingIgnoredDuringExecution ?? [])
      podTerms.push(podTerm(term, anti, undefined, where))
    for (const preferred of section.preferredDuringSchedulingIgnoredDuringExecution ?? [])
      podTerms.push(podTerm(preferred.podAffinityTerm, anti, preferred.weight, where))
  }
  if (podTerms.length > 0) result.podAffinity = podTerms
  const other = Object.keys(affinity).filter(
    (key) => !['nodeAffinity', 'podAffinity', 'podAntiAffinity'].includes(key),
  )
  if (other.length > 0)
    throw unsupported(where, `podSettings.affinity.${other[0]} is not Kubernetes affinity`, 'remove it')
  return result
}

function selectorTerm(term: {
  matchExpressions?: SelectorRequirement[]
  matchFields?: SelectorRequirement[]
}) {
  return {
    ...(term.matchExpressions?.length ? { matchExpressions: term.matchExpressions } : {}),
    ...(term.matchFields?.length ? { matchFields: term.matchFields } : {}),
  }
}

function podTerm(term: KubernetesObject, anti: boolean, weight: number | undefined, where: string) {
  const selector = (term.labelSelector ?? {}) as {
    matchLabels?: Record<string, string>
    matchExpressions?: SelectorRequirement[]
  }
  const namespaceSelector = term.namespaceSelector as KubernetesObject | undefined
  if (namespaceSelector && Object.keys(namespaceSelector).length > 0)
    throw unsupported(where, 'pod affinity with a namespaceSelector', 'name the namespaces instead')
  return {
    ...(selector.matchExpressions?.length ? { matchPodExpressions: selector.matchExpressions } : {}),
    ...(selector.matchLabels ? { matchPodLabels: selector.matchLabels } : {}),
    topologyKey: String(term.topologyKey ?? ''),
    ...(Array.isArray(term.namespaces) ? { namespaces: term.namespaces as string[] } : {}),
    ...(weight === undefined ? {} : { weight }),
    ...(anti ? { anti: true } : {}),
  }
}

/** podSettings.volumes and volumeMounts as kfp-kubernetes's volume kinds (PVC, Secret, ConfigMap, emptyDir). */
function volumeMounts(settings: PodSettings, config: KubernetesExecutorConfig, where: string): void {
  const volumes = new Map(
    (settings.volumes ?? []).map((volume) => [String(volume.name), volume as KubernetesObject]),
  )
  const fix =
    'Kubeflow Pipelines mounts persistentVolumeClaim, secret, configMap and emptyDir volumes (whole, by name)'
  for (const mount of settings.volumeMounts ?? []) {
    const name = String(mount.name)
    const mountPath = String(mount.mountPath)
    const volume = volumes.get(name)
    if (!volume)
      throw unsupported(where, `volumeMount '${name}' names no volume of podSettings.volumes`, 'add it')
    volumes.delete(name)
    const extra = Object.keys(mount).filter(
      (key) => !['name', 'mountPath', 'subPath', 'readOnly'].includes(key),
    )
    if (extra.length > 0 || (mount.subPath !== undefined && !volume.persistentVolumeClaim))
      throw unsupported(where, `volumeMount '${name}' uses ${[...extra, 'subPath'][0]}`, fix)
    const claim = volume.persistentVolumeClaim as { claimName: string } | undefined
    const secret = volume.secret as { secretName: string; optional?: boolean; items?: unknown } | undefined
    const configMap = volume.configMap as { name: string; optional?: boolean; items?: unknown } | undefined
    const emptyDir = volume.emptyDir as { medium?: string; sizeLimit?: string } | undefined
    if ((secret?.items ?? configMap?.items) !== undefined)
      throw unsupported(where, `volume '${name}' picks items`, fix)
    if (mount.readOnly === true && (claim || emptyDir))
      throw unsupported(where, `volumeMount '${name}' is readOnly`, `${fix}, read-write`)
    if (claim) {
      config.pvcMount = [
        ...(config.pvcMount ?? []),
        {
          constant: claim.claimName,
          pvcNameParameter: constant(claim.claimName),
          mountPath,
          ...(mount.subPath === undefined ? {} : { subPath: String(mount.subPath) }),
        },
      ]
    } else if (secret) {
      config.secretAsVolume = [
        ...(config.secretAsVolume ?? []),
        {
          secretName: secret.secretName,
          secretNameParameter: constant(secret.secretName),
          mountPath,
          optional: secret.optional === true,
        },
      ]
    } else if (configMap) {
      config.configMapAsVolume = [
        ...(config.configMapAsVolume ?? []),
        {
          configMapName: configMap.name,
          configMapNameParameter: constant(configMap.name),
          mountPath,
          optional: configMap.optional === true,
        },
      ]
    } else if (emptyDir) {
      config.emptyDirMounts = [
        ...(config.emptyDirMounts ?? []),
        {
          volumeName: name,
          mountPath,
          ...(emptyDir.medium ? { medium: emptyDir.medium } : {}),
          ...(emptyDir.sizeLimit ? { sizeLimit: String(emptyDir.sizeLimit) } : {}),
        },
      ]
    } else {
      const kind = Object.keys(volume).find((key) => key !== 'name') ?? 'an empty volume'
      throw unsupported(where, `volume '${name}' is ${kind}`, fix)
    }
  }
  const [unmounted] = volumes.keys()
  if (unmounted !== undefined)
    throw unsupported(where, `volume '${unmounted}' is mounted by no volumeMount`, 'mount it or remove it')
}

/** podSettings.env: plain values go on the container; values from Secrets, ConfigMaps and fields here. */
function environment(
  settings: PodSettings,
  config: KubernetesExecutorConfig,
  where: string,
): Array<{ name: string; value: string }> {
  const plain: Array<{ name: string; value: string }> = []
  for (const variable of settings.env ?? []) {
    const name = String(variable.name)
    const from = variable.valueFrom as
      | {
          secretKeyRef?: { name: string; key: string; optional?: boolean }
          configMapKeyRef?: { name: string; key: string; optional?: boolean }
          fieldRef?: { fieldPath: string }
        }
      | undefined
    if (!from) {
      plain.push({ name, value: String(variable.value ?? '') })
    } else if (from.secretKeyRef) {
      const { name: secretName, key, optional } = from.secretKeyRef
      config.secretAsEnv = [
        ...(config.secretAsEnv ?? []),
        {
          secretName,
          secretNameParameter: constant(secretName),
          keyToEnv: [{ secretKey: key, envVar: name }],
          optional: optional === true,
        },
      ]
    } else if (from.configMapKeyRef) {
      const { name: configMapName, key, optional } = from.configMapKeyRef
      config.configMapAsEnv = [
        ...(config.configMapAsEnv ?? []),
        {
          configMapName,
          configMapNameParameter: constant(configMapName),
          keyToEnv: [{ configMapKey: key, envVar: name }],
          optional: optional === true,
        },
      ]
    } else if (from.fieldRef) {
      config.fieldPathAsEnv = [...(config.fieldPathAsEnv ?? []), { name, fieldPath: from.fieldRef.fieldPath }]
    } else {
      throw unsupported(
        where,
        `env '${name}' takes its value from ${Object.keys(from)[0]}`,
        'Kubeflow Pipelines takes values from a Secret key, a ConfigMap key or a pod field',
      )
    }
  }
  if (settings.envFrom?.length)
    throw unsupported(
      where,
      'podSettings.envFrom (a whole Secret or ConfigMap)',
      'Kubeflow Pipelines maps keys one by one: list them in podSettings.env with valueFrom.secretKeyRef / configMapKeyRef',
    )
  return plain
}

/**
 * One task's `KubernetesExecutorConfig`: the run's Secret as variables (`secretAsEnv`, key by key: KFP
 * has no `envFrom`), the runtime ConfigMaps as volumes, and the step's pod settings in kfp-kubernetes's
 * terms (node selector, affinity, tolerations, labels, annotations, image pull secrets, volumes, env).
 * Returns the plain variables too, which go on the container itself.
 * @throws StrataError `KUBEFLOW_UNSUPPORTED_SETTING` for a pod setting KFP cannot express (never ignored)
 */
export function executorConfig(
  settings: PodSettings | undefined,
  handover: RunHandover,
  where: string,
): { config: KubernetesExecutorConfig; env: Array<{ name: string; value: string }> } {
  const pod = settings ?? {}
  const config: KubernetesExecutorConfig = {
    secretAsEnv: [
      {
        secretName: handover.secretName,
        secretNameParameter: constant(handover.secretName),
        keyToEnv: [...handover.secretKeys].sort().map((key) => ({ secretKey: key, envVar: key })),
        optional: false,
      },
    ],
    configMapAsVolume: handover.runtimeConfigMaps.map((name, index) => ({
      configMapName: name,
      configMapNameParameter: constant(name),
      mountPath: index === 0 ? RUNTIME_DIR : `${RUNTIME_DIR}/chunk-${String(index).padStart(3, '0')}`,
      optional: false,
    })),
  }
  if (pod.additionalPodSpecArgs && Object.keys(pod.additionalPodSpecArgs).length > 0)
    throw unsupported(
      where,
      `podSettings.additionalPodSpecArgs (${Object.keys(pod.additionalPodSpecArgs).join(', ')})`,
      "Kubeflow Pipelines' platform spec has no free-form pod fields",
    )
  if (pod.nodeSelectors && Object.keys(pod.nodeSelectors).length > 0)
    config.nodeSelector = { labels: pod.nodeSelectors }
  if (pod.affinity) Object.assign(config, affinityTerms(pod.affinity, where))
  if (pod.tolerations?.length) {
    config.tolerations = pod.tolerations.map((toleration) => {
      const { key, operator, value, effect, tolerationSeconds } = toleration as Record<string, unknown>
      return {
        ...(key === undefined ? {} : { key: String(key) }),
        ...(operator === undefined ? {} : { operator: String(operator) }),
        ...(value === undefined ? {} : { value: String(value) }),
        ...(effect === undefined ? {} : { effect: String(effect) }),
        // int64: a string in protobuf's JSON, as the kfp SDK writes it.
        ...(tolerationSeconds === undefined ? {} : { tolerationSeconds: String(tolerationSeconds) }),
      }
    })
  }
  if (pod.labels || pod.annotations)
    config.podMetadata = {
      ...(pod.labels ? { labels: pod.labels } : {}),
      ...(pod.annotations ? { annotations: pod.annotations } : {}),
    }
  if (pod.imagePullSecrets?.length)
    config.imagePullSecret = pod.imagePullSecrets.map((name) => ({
      secretName: name,
      secretNameParameter: constant(name),
    }))
  volumeMounts(pod, config, where)
  const env = environment(pod, config, where)
  return { config, env }
}
