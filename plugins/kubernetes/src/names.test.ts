import { describe, expect, it } from 'vitest'
import { dnsName, labelValue, runObjectNames } from './names.js'

const LABEL = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/
const DNS = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

describe('Kubernetes names', () => {
  it('keeps a valid label value as it is', () => {
    expect(labelValue('training')).toBe('training')
    expect(labelValue('train_2.v1')).toBe('train_2.v1')
  })

  it('sanitises label values to 63 characters, with a hash so two names never collide', () => {
    const long = `${'a'.repeat(70)}`
    const value = labelValue(long)
    expect(value.length).toBeLessThanOrEqual(63)
    expect(value).toMatch(LABEL)
    expect(labelValue('my pipeline!')).toMatch(LABEL)
    expect(labelValue('my pipeline!')).not.toBe(labelValue('my pipeline?'))
    expect(labelValue('-x-')).toMatch(LABEL)
  })

  it('makes DNS names of Jobs short enough for their pods', () => {
    const names = runObjectNames('9c9ae5e1-7d3b-4c1e-9d7a-1234567890ab', 'Churn_Training')
    expect(names.orchestratorJob).toBe('churn-training-9c9ae5e1-orchestrator')
    for (const name of [
      names.orchestratorJob,
      names.stepJob('Evaluate_Model.v2'),
      names.secret,
      names.runtime,
    ])
      expect(name).toMatch(DNS)
    expect(names.stepJob('s'.repeat(80)).length).toBeLessThanOrEqual(52)
    expect(names.schedule.length).toBeLessThanOrEqual(41)
    expect(names.stepJob('a_b')).not.toBe(names.stepJob('a-b'))
    expect(dnsName(['x', 'y'])).toBe('x-y')
  })
})
