const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
}
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
}

/**
 * A Kubernetes resource quantity (`500m`, `2`, `1.5Gi`, `1e3`) as a number of base units: cores for cpu,
 * bytes for memory. @throws Error for text that is not a quantity
 */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity
  const match = /^([+-]?[0-9.]+)(([eE][+-]?[0-9]+)|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(
    quantity.trim(),
  )
  if (!match) throw new Error(`'${quantity}' is not a Kubernetes quantity`)
  const value = Number(match[1])
  const suffix = match[2] ?? ''
  if (match[3]) return value * 10 ** Number(match[3].slice(1))
  return value * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1)
}

/** A resource value for the downward API: cpu rounded up to whole `divisor`s, memory likewise. */
export function divideQuantity(value: number, divisor: string | number | undefined): string {
  const unit = divisor === undefined ? 1 : parseQuantity(divisor)
  return String(Math.ceil(value / (unit || 1)))
}
