// A copy of @strata/kubernetes's pod settings (plugins import only @strata/core): the same shape, so a
// stack can move between the two orchestrators with its settings unchanged. Keep the two in step.
import { z } from 'zod'

/** A Kubernetes object passed through as written (affinity, a toleration, a volume, …). */
const kubernetesObject = z.record(z.string(), z.unknown())
const stringMap = z.record(z.string(), z.string())

/**
 * What a pod of a run may carry besides what Strata sets: ZenML's `KubernetesPodSettings`, with
 * Kubernetes objects (affinity, tolerations, volumes, env, …) written as the Kubernetes API spells them.
 */
export const podSettings = z
  .object({
    nodeSelectors: stringMap.optional().describe('Node labels the pod must run on (spec.nodeSelector)'),
    affinity: kubernetesObject.optional().describe('spec.affinity, as the Kubernetes API spells it'),
    tolerations: z.array(kubernetesObject).optional().describe('spec.tolerations'),
    resources: z
      .object({ requests: stringMap.optional(), limits: stringMap.optional() })
      .strict()
      .optional()
      .describe("The container's resources, e.g. { requests: { cpu: '500m', memory: '1Gi' } }"),
    annotations: stringMap.optional().describe('Extra pod annotations'),
    labels: stringMap.optional().describe('Extra pod labels'),
    volumes: z.array(kubernetesObject).optional().describe('Extra spec.volumes'),
    volumeMounts: z.array(kubernetesObject).optional().describe("Extra volumeMounts of the 'main' container"),
    env: z.array(kubernetesObject).optional().describe("Extra env of the 'main' container (EnvVar objects)"),
    envFrom: z.array(kubernetesObject).optional().describe("Extra envFrom of the 'main' container"),
    imagePullSecrets: z.array(z.string()).optional().describe('Names of image pull secrets'),
    additionalPodSpecArgs: kubernetesObject
      .optional()
      .describe('Any other PodSpec fields, merged last (e.g. { priorityClassName: "high" })'),
  })
  .strict()

export type PodSettings = z.output<typeof podSettings>

const squash = (key: string): string => key.toLowerCase().replaceAll('_', '')

/**
 * Renames keys spelled ZenML's way (`node_selectors`, `pod_settings`) to the schema's spelling
 * (`nodeSelectors`, `podSettings`), for the schema's own fields only: keys inside user maps (labels,
 * annotations) and Kubernetes objects are data and stay as written.
 */
export function acceptSnakeCase(value: unknown, schema: z.ZodType): unknown {
  const inner = unwrap(schema)
  if (!(inner instanceof z.ZodObject) || typeof value !== 'object' || value === null || Array.isArray(value))
    return value
  const shape = inner.shape as Record<string, z.ZodType>
  const byKey = new Map(Object.keys(shape).map((key) => [squash(key), key]))
  const result: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    const own = key in shape ? key : (byKey.get(squash(key)) ?? key)
    result[own] = shape[own] ? acceptSnakeCase(item, shape[own]) : item
  }
  return result
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
    current = current.unwrap() as z.ZodType
  }
  return current
}
