import {
  dateTime,
  defineCommand,
  defineGroup,
  done,
  outputOption,
  pageOptions,
  printData,
  printFields,
  printList,
  slicePage,
} from '../kit.js'

const scheduleArgument = {
  name: 'SCHEDULE',
  required: true,
  help: 'A schedule name, id or unique id prefix',
} as const

/** Whether the orchestrator still has the schedule, as a column says it. */
function activeText(active: boolean | undefined): string {
  return active === undefined ? 'unknown' : active ? 'yes' : 'no (gone from the orchestrator)'
}

/** `strata pipeline schedule ...`: pipelines on a cron schedule (ZenML's `zenml pipeline schedule`). */
export const scheduleGroup = defineGroup({
  summary: 'Pipelines that run on a cron schedule (create one with a run config’s schedule: { cron })',
  commands: {
    list: defineCommand({
      summary: 'List schedules, and whether their orchestrator still has them',
      options: { ...outputOption, ...pageOptions },
      async run(context) {
        const schedules = await (await context.client()).listSchedules()
        return printList(context, {
          rows: (page) => slicePage(schedules, page),
          noun: 'schedules',
          empty: "No schedules — give a run config a schedule: { cron: '0 6 * * *' } to create one.",
          columns: [
            { header: 'SCHEDULE', value: (row) => row.name },
            { header: 'PIPELINE', value: (row) => row.pipelineName },
            { header: 'CRON', value: (row) => row.cron ?? 'by hand (exported)', shrink: false },
            { header: 'TIME ZONE', value: (row) => row.timeZone ?? 'UTC' },
            { header: 'STACK', value: (row) => row.stackName },
            { header: 'ACTIVE', value: (row) => activeText(row.active) },
            { header: 'CREATED', value: (row) => dateTime(row.createdAt) },
          ],
        })
      },
    }),
    describe: defineCommand({
      summary: 'Show a schedule',
      args: [scheduleArgument],
      options: outputOption,
      async run(context) {
        const client = await context.client()
        const known = await client.repositories.schedules.require(context.args.SCHEDULE)
        const active = (await client.listSchedules()).find((row) => row.id === known.id)?.active
        const schedule = { ...known, active }
        if (context.options.output !== 'table') {
          await printData(context.io, context.options.output, schedule)
          return 0
        }
        printFields(context.io, [
          ['Schedule', schedule.name],
          ['Id', schedule.id],
          ['Pipeline', schedule.pipelineName],
          ['Cron', schedule.cron ?? 'none: an exported pipeline, its runs started by hand'],
          ['Time zone', schedule.timeZone ?? 'UTC'],
          ['Stack', schedule.stackName],
          ['Orchestrator', schedule.orchestrator],
          ['Active', activeText(active)],
          ['Created', dateTime(schedule.createdAt)],
        ])
        return 0
      },
    }),
    delete: defineCommand({
      summary: 'Delete a schedule from its orchestrator and the store (the runs it started stay)',
      args: [scheduleArgument],
      async run(context) {
        const schedule = await (await context.client()).deleteSchedule(context.args.SCHEDULE)
        done(context, `Deleted schedule ${schedule.name}.`)
        return 0
      },
    }),
  },
})
