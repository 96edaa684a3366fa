// A wide DAG for the compiler's tests: a fan-out of 6, a fan-in, pipeline parameters of every JSON type,
// retries, and every pod setting the Kubeflow orchestrator maps to KFP's kubernetes platform spec.
import { input, pipeline, step } from '@strata/sdk'
import { z } from 'zod'

export const source = step({ name: 'source', params: z.object({ rows: z.number() }) }, async (_inputs, ctx) =>
  Array.from({ length: ctx.params.rows }, (_, index) => index),
)
export const shard = step(
  {
    name: 'shard',
    inputs: { rows: input<number[]>() },
    params: z.object({ index: z.number() }),
    retry: { maxRetries: 2 },
  },
  async ({ rows }, ctx) => rows.filter((row) => row % 6 === ctx.params.index),
)
export const merge = step(
  { name: 'merge', inputs: { a: input<number[]>(), b: input<number[]>(), c: input<number[]>() } },
  async ({ a, b, c }) => [...a, ...b, ...c],
)
export const report = step({ name: 'Report.Step' }, async () => 'done')

export const wide = pipeline(
  {
    name: 'Wide_DAG',
    params: z.object({
      rows: z.number().int().default(60),
      share: z.number().default(0.25),
      label: z.string().default('nightly'),
      strict: z.boolean().default(true),
      tags: z.array(z.string()).default(['a', 'b']),
      limits: z.object({ max: z.number() }).default({ max: 3 }),
    }),
  },
  ({ rows }) => {
    const rowsOut = source({ params: { rows } })
    const shards = Array.from({ length: 6 }, (_, index) =>
      shard({ rows: rowsOut }, { id: `shard_${index}`, params: { index } }),
    )
    const first = merge({ a: shards[0]!, b: shards[1]!, c: shards[2]! })
    const second = merge({ a: shards[3]!, b: shards[4]!, c: shards[5]! }, { id: 'merge-2' })
    report({ after: [first, second] })
  },
)

/** Every pod setting, ZenML's spelling where ZenML has one. */
export const EVERY_POD_SETTING = {
  image: 'node:24-bookworm-slim',
  pod_settings: {
    node_selectors: { 'cloud.google.com/gke-nodepool': 'training' },
    tolerations: [
      { key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
      { key: 'spot', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
    ],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['eu-1a', 'eu-1b'] }] },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 10,
            preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
          },
        ],
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 5,
            podAffinityTerm: {
              labelSelector: { matchLabels: { app: 'strata' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          },
        ],
      },
    },
    resources: {
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '1' },
    },
    labels: { team: 'ml' },
    annotations: { 'example.com/owner': 'data-team' },
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: 'training-data' } },
      { name: 'creds', secret: { secretName: 'gcs-key' } },
      { name: 'conf', configMap: { name: 'train-conf', optional: true } },
      { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
    ],
    volume_mounts: [
      { name: 'data', mountPath: '/data', subPath: 'v2' },
      { name: 'creds', mountPath: '/var/secrets/gcs' },
      { name: 'conf', mountPath: '/etc/train' },
      { name: 'scratch', mountPath: '/scratch' },
    ],
    env: [
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'api', key: 'key' } } },
      { name: 'REGION', valueFrom: { configMapKeyRef: { name: 'cluster-info', key: 'region' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ],
    image_pull_secrets: ['regcred'],
  },
}
