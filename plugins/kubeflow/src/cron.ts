import { StrataError } from '@strata/core'

/**
 * A standard 5-field cron (`minute hour day-of-month month day-of-week`, as a Kubernetes CronJob takes it)
 * as KFP's 6-field cron (robfig/cron: seconds first): `30 2 * * 1-5` → `0 30 2 * * 1-5`. Each field keeps
 * its meaning: a seconds field of `0` is added, never the fields shifted. A day-of-week of 7 (Sunday, which
 * robfig/cron does not know) becomes 0. `@daily`-style descriptors are the same in both and pass through.
 * @throws StrataError `INVALID_SCHEDULE` for anything but 5 fields or a descriptor
 */
export function kfpCron(cron: string): string {
  const trimmed = cron.trim()
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(trimmed)) return trimmed
  const fields = trimmed.split(/\s+/)
  if (fields.length !== 5) {
    throw new StrataError(
      'INVALID_SCHEDULE',
      `cron '${cron}' has ${fields.length} fields — write a standard cron of 5 (minute hour day-of-month month day-of-week), e.g. '0 3 * * *'`,
    )
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek = '*'] = fields
  const weekday = dayOfWeek.replaceAll(/(^|[,-])7(?=$|[,-/])/g, '$10')
  return ['0', minute, hour, dayOfMonth, month, weekday].join(' ')
}

/**
 * KFP's recurring runs have no time zone (the scheduler's clock, UTC on standard installs): a schedule
 * with another zone is refused rather than run at other hours than the user wrote.
 * @throws StrataError `INVALID_SCHEDULE`
 */
export function checkTimeZone(timeZone: string | undefined): void {
  if (timeZone === undefined || ['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Z'].includes(timeZone)) return
  throw new StrataError(
    'INVALID_SCHEDULE',
    `time zone '${timeZone}': Kubeflow Pipelines runs recurring runs on the scheduler's clock (UTC), with no time zone — write the cron in UTC and leave timeZone out`,
  )
}
