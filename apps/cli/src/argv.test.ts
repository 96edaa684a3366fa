import {
  REQUIRED_COMPONENT_TYPES as CORE_REQUIRED,
  COMPONENT_TYPES as CORE_TYPES,
  componentCliName as coreCliName,
} from '@strata/core'
import { describe, expect, it } from 'vitest'
import { normalizeOptionName, parseArguments } from './argv.js'
import { defineCommand } from './command.js'
import { COMPONENT_TYPES, componentCliName, REQUIRED_COMPONENT_TYPES } from './component-types.js'

const command = defineCommand({
  summary: 'test',
  args: [{ name: 'NAME', required: true, help: '' }],
  options: {
    flavor: { short: 'f', help: '' },
    alerter: { short: 'al', help: '' },
    yes: { short: 'y', type: 'boolean', help: '' },
    size: { type: 'number', help: '' },
    'remove-keys': { multiple: true, help: '' },
    output: { choices: ['table', 'json', 'yaml'], default: 'table', help: '' },
    page: { type: 'number', default: 1, help: '' },
  },
  extras: { kind: 'config', help: '' },
  run: async () => 0,
})

describe('parseArguments', () => {
  it('takes options in every spelling, ZenML short flags, positionals and --KEY=VALUE extras', () => {
    const parsed = parseArguments(
      command,
      [
        'store',
        '-f',
        's3',
        '-al',
        'slack',
        '-y',
        '--size=3',
        '--remove_keys',
        'a,b',
        '--removeKeys=c',
        '--tracking-uri=http://x',
        '--path',
        '/tmp',
        '--flag',
      ],
      'x',
    )
    expect(parsed.args).toEqual({ NAME: 'store' })
    expect(parsed.options).toEqual({
      flavor: 's3',
      alerter: 'slack',
      yes: true,
      size: 3,
      'remove-keys': ['a', 'b', 'c'],
      output: 'table',
      page: 1,
    })
    expect(parsed.extras).toEqual([
      { key: 'tracking-uri', value: 'http://x' },
      { key: 'path', value: '/tmp' },
      { key: 'flag', value: true },
    ])
  })

  it('gives options that are not on the command line their defaults: false for a flag, else undefined', () => {
    expect(parseArguments(command, ['a', '--output=json'], 'x').options).toEqual({
      flavor: undefined,
      alerter: undefined,
      yes: false,
      size: undefined,
      'remove-keys': undefined,
      output: 'json',
      page: 1,
    })
  })

  it('takes the variadic argument as an array, and requires one value when it is required', () => {
    const install = { args: [{ name: 'NAMES', required: true, variadic: true, help: '' }] } as const
    expect(parseArguments(install, ['a', 'b'], 'x').args).toEqual({ NAMES: ['a', 'b'] })
    expect(() => parseArguments(install, [], 'x')).toThrow('missing NAMES')
  })

  it("takes what follows '--' as positionals", () => {
    expect(parseArguments(command, ['--', '--odd-name'], 'x').args).toEqual({ NAME: '--odd-name' })
  })

  it('names the problem', () => {
    expect(() => parseArguments(command, [], 'x')).toThrow('missing NAME')
    expect(() => parseArguments(command, ['a', 'b'], 'x')).toThrow("unexpected argument 'b'")
    expect(() => parseArguments(command, ['a', '--flavor'], 'x')).toThrow(
      'option --flavor needs a value: --flavor=FLAVOR',
    )
    expect(() => parseArguments(command, ['a', '--size=-1'], 'x')).toThrow(
      "--size needs a whole number from 0 to 9007199254740991, got '-1'",
    )
    // A whole number to JavaScript, but not one SQLite can take as a row count.
    expect(() => parseArguments(command, ['a', '--size=1e19'], 'x')).toThrow(
      "--size needs a whole number from 0 to 9007199254740991, got '1e19'",
    )
    expect(() => parseArguments(command, ['a', '-q'], 'x')).toThrow("unknown option '-q'")
    expect(() => parseArguments(command, ['a', '--output', 'xml'], 'x')).toThrow(
      "--output must be table, json or yaml, got 'xml'",
    )
    expect(() => parseArguments(command, ['a', '--yes=maybe'], 'x')).toThrow(
      '--yes is a flag: write --yes or --yes=false',
    )
    expect(() => parseArguments({ ...command, extras: undefined }, ['a', '--nope=1'], 'x')).toThrow(
      "unknown option '--nope'",
    )
  })

  it('normalizes option names', () => {
    expect(
      ['--trackingUri', '--tracking_uri', '--tracking-uri', '--Tracking-URI'].map((name) =>
        normalizeOptionName(name.slice(2)),
      ),
    ).toEqual(['tracking-uri', 'tracking-uri', 'tracking-uri', 'tracking-uri'])
  })
})

describe('the command registry', () => {
  it("spells the component types as core does (it avoids loading core for 'strata --help')", () => {
    expect(COMPONENT_TYPES).toEqual(CORE_TYPES)
    expect(REQUIRED_COMPONENT_TYPES).toEqual(CORE_REQUIRED)
    for (const type of COMPONENT_TYPES) expect(componentCliName(type)).toBe(coreCliName(type))
  })
})
