/** Customers of a subscription service: the quickstart's synthetic, reproducible dataset. */
export interface Customer {
  /** Months since the customer joined. */
  tenure: number
  monthlyCharges: number
  supportCalls: number
  /** 0 = month-to-month, 1 = one year, 2 = two years. */
  contract: number
}

export interface LabeledCustomer extends Customer {
  churned: 0 | 1
}

export const FEATURES = ['tenure', 'monthlyCharges', 'supportCalls', 'contract'] as const

/** A small seeded generator (mulberry32): the same seed gives the same data on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function customers(count: number, seed: number): Customer[] {
  const next = random(seed)
  return Array.from({ length: count }, () => ({
    tenure: Math.round(next() * 72),
    monthlyCharges: Math.round((20 + next() * 100) * 100) / 100,
    supportCalls: Math.floor(next() * next() * 10),
    contract: Math.floor(next() * 3),
  }))
}

/** Labels customers with the hidden rule the model has to learn, plus noise. */
export function labeled(count: number, seed: number): LabeledCustomer[] {
  const noise = random(seed + 1)
  return customers(count, seed).map((customer) => {
    const score =
      3 *
      (-0.06 * customer.tenure +
        0.03 * customer.monthlyCharges +
        0.45 * customer.supportCalls -
        1.1 * customer.contract -
        0.2)
    const probability = 1 / (1 + Math.exp(-score))
    return { ...customer, churned: noise() < probability ? 1 : 0 }
  })
}
