import { describe, expect, it } from 'vitest'
import type { NewSchedule } from './schedules.js'
import { useTempStore } from './temp-store.test-helpers.js'

const temp = useTempStore()

function newSchedule(id: string, name: string, overrides: Partial<NewSchedule> = {}): NewSchedule {
  return {
    id,
    name,
    pipelineName: 'training',
    stackName: 'cluster',
    orchestrator: 'k8s',
    artifactStoreUri: 's3://bucket/strata',
    cron: '*/5 * * * *',
    timeZone: null,
    handle: { namespace: 'ml', cronJob: name },
    ...overrides,
  }
}

describe('ScheduleRepository', () => {
  it('keeps a schedule as created, with its handle, and lists schedules by name', async () => {
    const { schedules, runs } = temp.current()
    const nightly = await schedules.create(
      newSchedule('b1f0c2d3-0000-4000-8000-000000000001', 'nightly', { timeZone: 'Europe/Paris' }),
    )
    expect(nightly).toMatchObject({
      name: 'nightly',
      pipelineName: 'training',
      timeZone: 'Europe/Paris',
      handle: { namespace: 'ml', cronJob: 'nightly' },
    })
    expect(Date.parse(nightly.createdAt)).not.toBeNaN()
    await schedules.create(newSchedule('a7e3c2d3-0000-4000-8000-000000000002', 'hourly'))
    expect((await schedules.list()).map((schedule) => schedule.name)).toEqual(['hourly', 'nightly'])
    // The schedule's pipeline is the one its runs are listed under.
    expect((await runs.listPipelines()).map((pipeline) => pipeline.name)).toContain('training')
  })

  it('finds a schedule by id, name or a unique id prefix of at least 4 characters', async () => {
    const { schedules } = temp.current()
    await schedules.create(newSchedule('abcd1111-0000-4000-8000-000000000001', 'first'))
    await schedules.create(newSchedule('abcd2222-0000-4000-8000-000000000002', 'second'))
    expect((await schedules.find('first'))?.id).toBe('abcd1111-0000-4000-8000-000000000001')
    expect((await schedules.find('abcd2222-0000-4000-8000-000000000002'))?.name).toBe('second')
    expect((await schedules.find('abcd1'))?.name).toBe('first')
    expect(await schedules.find('abcd')).toBeUndefined()
    expect(await schedules.find('abc')).toBeUndefined()
    await expect(schedules.require('nope')).rejects.toMatchObject({
      code: 'SCHEDULE_NOT_FOUND',
      message: "no schedule 'nope' — list them with 'strata pipeline schedule list'",
    })
  })

  it('refuses a second schedule with the same name and deletes only the one named', async () => {
    const { schedules } = temp.current()
    const kept = await schedules.create(newSchedule('c0000000-0000-4000-8000-000000000001', 'kept'))
    const gone = await schedules.create(newSchedule('c0000000-0000-4000-8000-000000000002', 'gone'))
    await expect(
      schedules.create(newSchedule('c0000000-0000-4000-8000-000000000003', 'kept')),
    ).rejects.toThrow("a schedule named 'kept' already exists — pick another name")
    await schedules.delete(gone.id)
    expect(await schedules.list()).toEqual([kept])
  })
})
