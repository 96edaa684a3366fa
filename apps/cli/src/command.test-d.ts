import { describe, expectTypeOf, it } from 'vitest'
import { defineCommand, type OptionValues } from './command.js'
import { outputOption } from './output/format.js'
import type { listOptions, pageOptions } from './output/list.js'

describe('a command declaration types its run', () => {
  it('types arguments: required, optional and variadic', () => {
    defineCommand({
      summary: '',
      args: [
        { name: 'NAME', required: true, help: '' },
        { name: 'FILE', help: '' },
        { name: 'REST', variadic: true, help: '' },
      ],
      async run(context) {
        expectTypeOf(context.args).toEqualTypeOf<{ NAME: string; FILE: string | undefined; REST: string[] }>()
        return 0
      },
    })
  })

  it('types options: flags, values, numbers, choices, defaults and lists', () => {
    defineCommand({
      summary: '',
      options: {
        ...outputOption,
        force: { type: 'boolean', help: '' },
        name: { help: '' },
        size: { type: 'number', help: '' },
        stage: { choices: ['staging', 'production'], help: '' },
        tag: { multiple: true, help: '' },
      },
      async run(context) {
        expectTypeOf(context.options).toEqualTypeOf<{
          output: 'table' | 'json' | 'yaml'
          force: boolean
          name: string | undefined
          size: number | undefined
          stage: 'staging' | 'production' | undefined
          tag: string[] | undefined
        }>()
        // @ts-expect-error: only declared options exist
        context.options.colour
        return 0
      },
    })
  })

  it('gives a command that declares nothing empty args and options', () => {
    defineCommand({
      summary: '',
      async run(context) {
        expectTypeOf(context.args).toEqualTypeOf<Record<never, never>>()
        expectTypeOf(context.options).toEqualTypeOf<Record<never, never>>()
        return 0
      },
    })
  })

  it('types the shared list options', () => {
    expectTypeOf<OptionValues<ReturnType<typeof listOptions<'name' | 'created'>>>>().toEqualTypeOf<{
      output: 'table' | 'json' | 'yaml'
      size: number
      page: number
      sort: string
    }>()
    expectTypeOf<OptionValues<typeof pageOptions>>().toEqualTypeOf<{ size: number; page: number }>()
  })
})
