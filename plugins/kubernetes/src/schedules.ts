import type { ScheduleInfo } from '@strata/core'
import type { KubeClient } from './kube-client.js'
import { ANNOTATIONS, LABELS } from './names.js'

/** The schedules (CronJobs) Strata created in the client's namespace. */
export async function listSchedules(client: KubeClient): Promise<ScheduleInfo[]> {
  const { namespace } = client
  const list = await client.call('list the schedules (CronJobs)', () =>
    client.batch.listNamespacedCronJob({
      namespace,
      labelSelector: `${LABELS.managedBy}=strata,${LABELS.role}=schedule`,
    }),
  )
  return list.items.map((cron) => {
    const name = cron.metadata?.name ?? ''
    const lastRun = cron.status?.lastScheduleTime
    return {
      id: name,
      name: cron.metadata?.annotations?.[ANNOTATIONS.runName] ?? name,
      pipelineName: cron.metadata?.annotations?.[ANNOTATIONS.pipeline] ?? '',
      cron: cron.spec?.schedule ?? '',
      ...(cron.spec?.timeZone ? { timeZone: cron.spec.timeZone } : {}),
      active: !cron.spec?.suspend,
      ...(cron.metadata?.creationTimestamp
        ? { createdAt: new Date(cron.metadata.creationTimestamp).toISOString() }
        : {}),
      ...(lastRun ? { lastRunAt: new Date(lastRun).toISOString() } : {}),
      handle: { namespace, cronJob: name },
    }
  })
}
