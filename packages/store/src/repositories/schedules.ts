/**
 * A pipeline template a remote orchestrator starts runs from: on a cron schedule (a Kubernetes CronJob), or
 * by hand (a pipeline exported for Kubeflow's UI).
 */
export interface ScheduleRecord {
  id: string
  name: string
  pipelineName: string
  stackName: string
  /** The orchestrator component that keeps it. */
  orchestrator: string
  /** The artifact store its runs write to (where `runs sync` finds them). */
  artifactStoreUri: string
  /** Standard five-field cron; `null` for an exported pipeline whose runs are started by hand. */
  cron: string | null
  timeZone: string | null
  /** How the orchestrator finds the schedule again. */
  handle: Record<string, unknown>
  createdAt: string
}

export type NewSchedule = Omit<ScheduleRecord, 'createdAt'>

/** The schedules of one store. */
export interface ScheduleRepository {
  create(schedule: NewSchedule): Promise<ScheduleRecord>
  /** Every schedule, by name. */
  list(): Promise<ScheduleRecord[]>
  /** A schedule by id, name or unique id prefix (at least 4 characters). */
  find(reference: string): Promise<ScheduleRecord | undefined>
  /**
   * @throws StrataError `SCHEDULE_NOT_FOUND` naming how to list the schedules
   */
  require(reference: string): Promise<ScheduleRecord>
  /** Removes the record (the orchestrator's object is the caller's to delete first). */
  delete(id: string): Promise<void>
}
