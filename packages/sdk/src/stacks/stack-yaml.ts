import { isDeepStrictEqual } from 'node:util'
import {
  COMPONENT_TYPES,
  type ComponentType,
  componentCliName,
  excerpt,
  type FlavorCatalog,
  maskConfig,
  NAME_RULE,
  nameProblem,
  quote,
  StrataError,
} from '@strata/core'
import type { StackRecord } from '@strata/store'
import { parse, stringify, YAMLParseError } from 'yaml'
import { z } from 'zod'
import { readInputFile } from '../util/read-input-file.js'
import { type PreparedComponent, prepareComponent } from './components.js'
import { ensureDefaultStack, type StrataWorkspace } from './stack-state.js'

/** A stack as `strata stack export` writes it (ZenML's layout). Secret fields keep their references. */
export interface StackExport {
  /** The Strata that wrote the file. */
  strata_version?: string
  stack_name: string
  components: Partial<
    Record<
      ComponentType,
      { name: string; flavor: string; plugin?: string; configuration: Record<string, unknown> }
    >
  >
}

/** A name in a stack file: the rule of every name (the store checks its stricter rule when it writes). */
const nameSchema = z.string().superRefine((name, context) => {
  const problem = nameProblem(name)
  if (problem) context.addIssue({ code: 'custom', message: `${quote(name)} ${problem} (${NAME_RULE})` })
})

const componentSchema = z.object({
  name: nameSchema,
  flavor: nameSchema,
  plugin: z.string().optional(),
  configuration: z.record(z.string(), z.unknown()).nullish(),
})
const exportSchema = z.object({
  strata_version: z.string().optional(),
  stack_name: nameSchema,
  components: z.partialRecord(z.enum(COMPONENT_TYPES), componentSchema),
})

/**
 * A stack as YAML. Components' secret fields hold `{{secret.key}}` references (values are never stored
 * with components); with a `registry`, any other value in a secret field is masked as well.
 */
export function exportStack(
  stack: StackRecord,
  options: { registry?: FlavorCatalog; strataVersion?: string } = {},
): string {
  const components: StackExport['components'] = {}
  for (const type of COMPONENT_TYPES) {
    const component = stack.components[type]
    if (!component) continue
    const schema = options.registry?.find(type, component.flavor)?.configSchema
    components[type] = {
      name: component.name,
      flavor: component.flavor,
      plugin: component.plugin,
      configuration: schema ? maskConfig(component.config, schema) : component.config,
    }
  }
  const document: StackExport = {
    ...(options.strataVersion ? { strata_version: options.strataVersion } : {}),
    stack_name: stack.name,
    components,
  }
  const header =
    '# A Strata stack (strata stack import FILE). Secret values are not included: secret fields keep\n' +
    '# their {{secret.key}} references; create the secrets with `strata stack register-secrets NAME`.\n'
  return header + stringify(document)
}

/**
 * Reads a stack file from disk, refusing one larger than 1 MiB before reading it (a stack file is a few
 * hundred bytes; a larger one is the wrong file).
 * @throws StrataError `STACK_FILE_NOT_FOUND` for a file that cannot be read, `INPUT_TOO_LARGE`
 */
export function readStackFile(path: string): string {
  try {
    return readInputFile(path, {
      what: 'stack file',
      fix: "a stack file holds a stack's names and configuration, as 'strata stack export NAME FILE' writes it: check the path",
    })
  } catch (error) {
    if ((error as StrataError).code === 'INPUT_TOO_LARGE') throw error
    throw new StrataError(
      'STACK_FILE_NOT_FOUND',
      `cannot read ${path} — write one with 'strata stack export NAME FILE'`,
      { cause: error },
    )
  }
}

/**
 * Reads a stack export.
 * @throws StrataError `INVALID_STACK_FILE` naming the file, the line or field, and the fix
 */
export function parseStackExport(text: string, source: string): StackExport {
  let value: unknown
  try {
    value = parse(text)
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` line ${error.linePos[0].line}` : ''
    const reason = excerpt((error as Error).message.split('\n')[0] ?? '', 200)
    throw new StrataError(
      'INVALID_STACK_FILE',
      `cannot import ${source}:${where}: ${reason} — fix the YAML (see 'strata stack export NAME' for the format)`,
    )
  }
  const result = exportSchema.safeParse(value)
  if (!result.success) {
    const [issue] = result.error.issues
    const path = excerpt(issue?.path.join('.') || '(top level)')
    throw new StrataError(
      'INVALID_STACK_FILE',
      `cannot import ${source}: '${path}': ${excerpt(issue?.message ?? result.error.message, 400)} — a stack file needs stack_name and components: { TYPE: { name, flavor, configuration } } (see 'strata stack export NAME')`,
    )
  }
  const components: StackExport['components'] = {}
  for (const [type, component] of Object.entries(result.data.components)) {
    if (component)
      components[type as ComponentType] = { ...component, configuration: component.configuration ?? {} }
  }
  return { ...result.data, components }
}

/** What `importStack` did; re-importing the same file does nothing. */
export interface StackImportResult {
  stack: StackRecord
  /** `created`, or `unchanged` when an identical stack already existed. */
  status: 'created' | 'unchanged'
  /** `type/name` of each component created; existing identical components are reused. */
  createdComponents: string[]
  /** References whose secret is missing (`strata stack register-secrets` adds them). */
  missingSecrets: Array<{ secret: string; key: string }>
}

/**
 * Imports a stack export idempotently: a component whose type, name, flavor and configuration match an
 * existing one is reused; a stack with the same name and the same components is left as it is. Everything
 * is validated first, then written in one transaction.
 * @throws StrataError `COMPONENT_CONFLICT` or `STACK_CONFLICT` when a name is taken by something
 *   different, plus validation errors from `prepareComponent`
 */
export async function importStack(
  workspace: StrataWorkspace,
  document: StackExport,
  options: { registry: FlavorCatalog; name?: string },
): Promise<StackImportResult> {
  const { store } = workspace
  await ensureDefaultStack(store)
  const stackName = options.name ?? document.stack_name
  const plan: Array<{ type: ComponentType; existing?: string; prepared: PreparedComponent }> = []
  for (const type of COMPONENT_TYPES) {
    const component = document.components[type]
    if (!component) continue
    const prepared = await prepareComponent(
      { type, name: component.name, flavor: component.flavor, config: component.configuration },
      { registry: options.registry, secrets: store.secrets },
    )
    const existing = await store.components.find(type, component.name)
    if (
      existing &&
      (existing.flavor !== prepared.flavor || !isDeepStrictEqual(existing.config, prepared.config))
    ) {
      throw new StrataError(
        'COMPONENT_CONFLICT',
        `cannot import stack '${stackName}': a different ${type.replace('_', ' ')} named '${component.name}' already exists — rename it ('strata ${componentCliName(type)} rename ${component.name} NEW') or rename the component in the file`,
        { details: { type, name: component.name } },
      )
    }
    plan.push({ type, prepared, ...(existing ? { existing: existing.id } : {}) })
  }
  const missing = plan.flatMap((step) => step.prepared.missingSecrets)
  return store.transaction(async (tx): Promise<StackImportResult> => {
    const createdComponents: string[] = []
    const ids: Partial<Record<ComponentType, string>> = {}
    for (const step of plan) {
      if (step.existing) {
        ids[step.type] = step.existing
        continue
      }
      const { missingSecrets: _, ...component } = step.prepared
      ids[step.type] = (await tx.components.create(component)).id
      createdComponents.push(`${step.type}/${component.name}`)
    }
    const existing = await tx.stacks.find(stackName)
    if (existing) {
      const same =
        COMPONENT_TYPES.every((type) => existing.components[type]?.id === ids[type]) &&
        createdComponents.length === 0
      if (same) return { stack: existing, status: 'unchanged', createdComponents, missingSecrets: missing }
      throw new StrataError(
        'STACK_CONFLICT',
        `cannot import stack '${stackName}': a stack with that name and other components already exists — import it under another name ('strata stack import FILE --name NEW') or delete the existing one`,
        { details: { stack: stackName } },
      )
    }
    const stack = await tx.stacks.create({ name: stackName, components: ids })
    return { stack, status: 'created', createdComponents, missingSecrets: missing }
  })
}
