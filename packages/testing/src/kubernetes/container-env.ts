import type { V1Container, V1Pod, V1ResourceFieldSelector } from '@kubernetes/client-node'
import { ContainerConfigError, type PodObjects } from './pod-objects.js'
import { divideQuantity, parseQuantity } from './quantity.js'

/**
 * Expands `$(NAME)` from `variables` as the kubelet does in env values, command and args: `$$` is a literal
 * `$`, and a reference to an undefined variable stays as written.
 */
export function expandReferences(text: string, variables: Record<string, string>): string {
  let out = ''
  for (let index = 0; index < text.length; index++) {
    const char = text[index]
    const next = text[index + 1]
    if (char !== '$' || next === undefined) {
      out += char
    } else if (next === '$') {
      out += '$'
      index++
    } else if (next === '(') {
      const close = text.indexOf(')', index + 2)
      if (close < 0) {
        out += text.slice(index)
        break
      }
      const name = text.slice(index + 2, close)
      out += Object.hasOwn(variables, name) ? variables[name] : `$(${name})`
      index = close
    } else {
      out += char
    }
  }
  return out
}

/**
 * The value of a downward-API `fieldPath`. @throws ContainerConfigError for a path the kubelet does not
 * support either
 */
export function fieldValue(pod: V1Pod, fieldPath: string): string {
  const [, kind, key] = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath) ?? []
  if (key !== undefined)
    return (kind === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[key] ?? ''
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? ''
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? ''
    case 'metadata.uid':
      return pod.metadata?.uid ?? ''
    case 'metadata.labels':
    case 'metadata.annotations': {
      const map = (fieldPath === 'metadata.labels' ? pod.metadata?.labels : pod.metadata?.annotations) ?? {}
      return Object.keys(map)
        .sort()
        .map((key) => `${key}=${JSON.stringify(map[key])}`)
        .join('\n')
    }
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? ''
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? ''
    case 'status.hostIP':
    case 'status.podIP':
    case 'status.hostIPs':
    case 'status.podIPs':
      // No cluster network: every pod shares the host's loopback address.
      return '127.0.0.1'
    default:
      throw new ContainerConfigError(`unsupported fieldPath: ${fieldPath}`, { retryable: false })
  }
}

/** The value of a `resourceFieldRef`: the container's limit (the node's allocatable when unset) or request. */
export function resourceValue(
  pod: V1Pod,
  container: V1Container | undefined,
  selector: V1ResourceFieldSelector,
  allocatable: Record<string, string>,
): string {
  const target = selector.containerName
    ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
        (each) => each.name === selector.containerName,
      )
    : container
  const [kind, resource] = selector.resource.split('.', 2) as ['limits' | 'requests', string]
  const limit = target?.resources?.limits?.[resource]
  const value =
    kind === 'limits'
      ? (limit ?? allocatable[resource] ?? '0')
      : (target?.resources?.requests?.[resource] ?? limit ?? '0')
  return divideQuantity(parseQuantity(value), selector.divisor)
}

/**
 * A container's variables as the kubelet builds them: `base` (service variables), then `envFrom` in order
 * (with `prefix`), then `env` with `$(VAR)` expansion and `valueFrom`. A missing Secret, ConfigMap or key
 * that is not `optional` fails with the kubelet's message, which names the object and key, never a value.
 * @throws ContainerConfigError
 */
export async function containerEnv(
  pod: V1Pod,
  container: V1Container,
  objects: PodObjects,
  base: Record<string, string>,
  allocatable: Record<string, string>,
): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default'
  const variables: Record<string, string> = { ...base }
  const load = async (kind: 'secret' | 'configmap', name: string) =>
    kind === 'secret' ? objects.secret(namespace, name) : objects.configMap(namespace, name)
  for (const source of container.envFrom ?? []) {
    const reference = source.secretRef ?? source.configMapRef
    if (!reference) continue
    const kind = source.secretRef ? 'secret' : 'configmap'
    const data = await load(kind, reference.name ?? '')
    if (!data) {
      if (reference.optional) continue
      throw new ContainerConfigError(`${kind} "${reference.name}" not found`)
    }
    for (const [key, value] of data) {
      // The API lets keys hold characters a variable name cannot ('='): the kubelet skips those.
      if (key.includes('=')) continue
      variables[`${source.prefix ?? ''}${key}`] = value.toString('utf8')
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom
    if (!from) {
      variables[variable.name] = expandReferences(variable.value ?? '', variables)
      continue
    }
    const keyRef = from.secretKeyRef ?? from.configMapKeyRef
    if (keyRef) {
      const kind = from.secretKeyRef ? 'secret' : 'configmap'
      const data = await load(kind, keyRef.name ?? '')
      const value = data?.get(keyRef.key)
      if (value === undefined) {
        if (keyRef.optional) continue
        throw new ContainerConfigError(
          data
            ? `couldn't find key ${keyRef.key} in ${kind === 'secret' ? 'Secret' : 'ConfigMap'} ${namespace}/${keyRef.name}`
            : `${kind} "${keyRef.name}" not found`,
        )
      }
      variables[variable.name] = value.toString('utf8')
    } else if (from.fieldRef) {
      variables[variable.name] = fieldValue(pod, from.fieldRef.fieldPath)
    } else if (from.resourceFieldRef) {
      variables[variable.name] = resourceValue(pod, container, from.resourceFieldRef, allocatable)
    } else {
      throw new ContainerConfigError(
        `env ${variable.name}: this valueFrom source is not emulated by the Strata test plane`,
        {
          retryable: false,
        },
      )
    }
  }
  return variables
}
