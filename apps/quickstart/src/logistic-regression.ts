import { type Customer, FEATURES, type LabeledCustomer } from './data.js'

/** A trained classifier: standardisation and weights, plain JSON (stored with the JSON materializer). */
export interface Classifier {
  features: readonly string[]
  means: number[]
  scales: number[]
  weights: number[]
  bias: number
}

function vector(customer: Customer): number[] {
  return FEATURES.map((feature) => customer[feature])
}

function standardize(classifier: Classifier, customer: Customer): number[] {
  return vector(customer).map(
    (value, index) => (value - classifier.means[index]!) / classifier.scales[index]!,
  )
}

/** Batch gradient descent on the log loss, with a little L2 regularisation. */
export function train(
  rows: LabeledCustomer[],
  options: {
    epochs: number
    learningRate: number
    l2?: number
    onEpoch?: (epoch: number, loss: number) => void
  },
): Classifier {
  const columns = FEATURES.map((_, index) => rows.map((row) => vector(row)[index]!))
  const means = columns.map((column) => column.reduce((sum, value) => sum + value, 0) / column.length)
  const scales = columns.map((column, index) => {
    const variance = column.reduce((sum, value) => sum + (value - means[index]!) ** 2, 0) / column.length
    return Math.sqrt(variance) || 1
  })
  const classifier: Classifier = {
    features: FEATURES,
    means,
    scales,
    weights: FEATURES.map(() => 0),
    bias: 0,
  }
  const inputs = rows.map((row) => standardize(classifier, row))
  const l2 = options.l2 ?? 0.001
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const gradient = classifier.weights.map(() => 0)
    let biasGradient = 0
    for (const [index, row] of rows.entries()) {
      const error = probability(classifier, inputs[index]!) - row.churned
      for (let feature = 0; feature < gradient.length; feature++)
        gradient[feature]! += error * inputs[index]![feature]!
      biasGradient += error
    }
    for (let feature = 0; feature < gradient.length; feature++) {
      classifier.weights[feature]! -=
        options.learningRate * (gradient[feature]! / rows.length + l2 * classifier.weights[feature]!)
    }
    classifier.bias -= options.learningRate * (biasGradient / rows.length)
    if (options.onEpoch) {
      const loss =
        rows.reduce((sum, row, index) => {
          const p = Math.min(Math.max(probability(classifier, inputs[index]!), 1e-12), 1 - 1e-12)
          return sum - (row.churned ? Math.log(p) : Math.log(1 - p))
        }, 0) / rows.length
      options.onEpoch(epoch, loss)
    }
  }
  return classifier
}

function probability(classifier: Classifier, standardized: number[]): number {
  const score = standardized.reduce(
    (sum, value, index) => sum + value * classifier.weights[index]!,
    classifier.bias,
  )
  return 1 / (1 + Math.exp(-score))
}

/** The probability that a customer churns. */
export function predict(classifier: Classifier, customer: Customer): number {
  return probability(classifier, standardize(classifier, customer))
}

export function accuracy(classifier: Classifier, rows: LabeledCustomer[]): number {
  const correct = rows.filter((row) => (predict(classifier, row) >= 0.5 ? 1 : 0) === row.churned).length
  return correct / rows.length
}
