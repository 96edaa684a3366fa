import { StrataError } from '@strata/core/base'
import type { NewSchedule, ScheduleRecord, ScheduleRepository } from '../repositories/schedules.js'
import type { Synchronous } from './queued-repository.js'
import { now, type Row, type SqliteDatabase } from './sqlite-database.js'

const COLUMNS = `s.id, s.name, p.name AS pipeline_name, s.stack_name, s.orchestrator, s.artifact_store_uri, s.cron,
  s.time_zone, s.handle, s.created_at`
const FROM = 'FROM schedules s JOIN pipelines p ON p.id = s.pipeline_id'

function toSchedule(row: Row): ScheduleRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    pipelineName: row.pipeline_name as string,
    stackName: row.stack_name as string,
    orchestrator: row.orchestrator as string,
    artifactStoreUri: row.artifact_store_uri as string,
    cron: (row.cron as string | null) ?? null,
    timeZone: (row.time_zone as string | null) ?? null,
    handle: JSON.parse(row.handle as string) as Record<string, unknown>,
    createdAt: row.created_at as string,
  }
}

/** Schedules in SQLite. */
export class SqliteScheduleRepository implements Synchronous<ScheduleRepository> {
  readonly #store: SqliteDatabase
  readonly #pipelineId: (name: string) => string

  constructor(store: SqliteDatabase, pipelineId: (name: string) => string) {
    this.#store = store
    this.#pipelineId = pipelineId
  }

  /** @throws StrataError `SCHEDULE_EXISTS` when a schedule already has the name (also one just made elsewhere) */
  create(schedule: NewSchedule): ScheduleRecord {
    return this.#store.transaction(() => {
      if (this.#store.get('SELECT 1 FROM schedules WHERE name = ?', schedule.name)) {
        throw new StrataError(
          'SCHEDULE_EXISTS',
          `a schedule named '${schedule.name}' already exists — pick another name, or delete it first ('strata pipeline schedule delete ${schedule.name}')`,
          { details: { schedule: schedule.name } },
        )
      }
      this.#store.run(
        `INSERT INTO schedules (id, name, pipeline_id, stack_name, orchestrator, artifact_store_uri, cron, time_zone,
           handle, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        schedule.id,
        schedule.name,
        this.#pipelineId(schedule.pipelineName),
        schedule.stackName,
        schedule.orchestrator,
        schedule.artifactStoreUri,
        schedule.cron,
        schedule.timeZone,
        JSON.stringify(schedule.handle),
        now(),
      )
      return this.require(schedule.id)
    })
  }

  list(): ScheduleRecord[] {
    return this.#store.all<Row>(`SELECT ${COLUMNS} ${FROM} ORDER BY s.name`).map(toSchedule)
  }

  find(reference: string): ScheduleRecord | undefined {
    const exact = this.#store.get<Row>(
      `SELECT ${COLUMNS} ${FROM} WHERE s.id = ? OR s.name = ?`,
      reference,
      reference,
    )
    if (exact) return toSchedule(exact)
    if (reference.length < 4) return undefined
    const candidates = this.#store.all<Row>(
      `SELECT ${COLUMNS} ${FROM} WHERE s.id LIKE ? LIMIT 2`,
      `${reference}%`,
    )
    return candidates.length === 1 && candidates[0] ? toSchedule(candidates[0]) : undefined
  }

  require(reference: string): ScheduleRecord {
    const schedule = this.find(reference)
    if (!schedule) {
      throw new StrataError(
        'SCHEDULE_NOT_FOUND',
        `no schedule '${reference}' — list them with 'strata pipeline schedule list'`,
      )
    }
    return schedule
  }

  delete(id: string): void {
    this.#store.run('DELETE FROM schedules WHERE id = ?', id)
  }
}
