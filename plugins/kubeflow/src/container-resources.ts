import { StrataError } from '@strata/core'
import type { ResourceSpec } from './pipeline-spec.js'

const CPU = /^([0-9]*[.])?[0-9]+m?$/
const MEMORY = /^[0-9]+(E|Ei|P|Pi|T|Ti|G|Gi|M|Mi|K|Ki)?$/

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
}

/** Cores, as the kfp SDK writes the deprecated `cpuLimit` (`500m` → 0.5). */
function cpuNumber(cpu: string): number {
  return cpu.endsWith('m') ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu)
}

/** Gigabytes (10^9), as the kfp SDK writes the deprecated `memoryLimit` (`1Gi` → 1.073741824). */
function memoryNumber(memory: string): number {
  const [, digits = '0', unit = ''] = /^([0-9]+)([A-Za-z]*)$/.exec(memory) ?? []
  return (Number(digits) * (MEMORY_UNITS[unit] ?? 1)) / 1e9
}

/**
 * A step's `podSettings.resources` as KFP's container resources: cpu and memory requests and limits
 * (both the `resource*` strings and, as the kfp SDK writes them for older backends, the numbers), and one
 * accelerator kind (`nvidia.com/gpu: 1` → accelerator type and count). KFP can express nothing else.
 * @throws StrataError `KUBEFLOW_UNSUPPORTED_SETTING` naming a value or resource KFP cannot take
 */
export function containerResources(
  resources: { requests?: Record<string, string>; limits?: Record<string, string> } | undefined,
  where: string,
): ResourceSpec | undefined {
  if (!resources) return undefined
  const spec: ResourceSpec = {}
  const refuse = (problem: string): never => {
    throw new StrataError(
      'KUBEFLOW_UNSUPPORTED_SETTING',
      `${where}: podSettings.resources ${problem} — Kubeflow Pipelines sets cpu, memory and one accelerator kind (e.g. nvidia.com/gpu) per task`,
    )
  }
  const accelerators = new Map<string, string>()
  for (const [kind, values] of [
    ['requests', resources.requests ?? {}],
    ['limits', resources.limits ?? {}],
  ] as const) {
    for (const [name, value] of Object.entries(values)) {
      const side = kind === 'requests' ? 'Request' : 'Limit'
      if (name === 'cpu') {
        if (!CPU.test(value)) refuse(`${kind}.cpu '${value}' is not a number of cores or millicores`)
        spec[`resourceCpu${side}`] = value
        spec[`cpu${side}`] = cpuNumber(value)
      } else if (name === 'memory') {
        if (!MEMORY.test(value))
          refuse(`${kind}.memory '${value}' is not a whole number with a unit (Gi, G, Mi, …)`)
        spec[`resourceMemory${side}`] = value
        spec[`memory${side}`] = memoryNumber(value)
      } else if (name.includes('/')) {
        // An extended resource (a device): Kubernetes requires requests = limits, KFP takes the count once.
        const earlier = accelerators.get(name)
        if (earlier !== undefined && earlier !== value)
          refuse(`${name}: requests and limits differ (${earlier}, ${value})`)
        if (!/^[0-9]+$/.test(value)) refuse(`${name} '${value}' is not a whole number`)
        accelerators.set(name, value)
      } else {
        refuse(`${kind}.${name} cannot be set`)
      }
    }
  }
  if (accelerators.size > 1) refuse(`asks for ${[...accelerators.keys()].join(' and ')}: one kind only`)
  const [accelerator] = accelerators
  if (accelerator) {
    const [type, count] = accelerator
    spec.accelerator = { type, count, resourceType: type, resourceCount: count }
  }
  return Object.keys(spec).length > 0 ? spec : undefined
}
