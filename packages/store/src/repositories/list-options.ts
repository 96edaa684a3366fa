import { quote, StrataError } from '@strata/core/base'

/** Paging and sorting for repository lists. */
export interface ListOptions<TField extends string = string> {
  /** `name`, `-name` (descending), `desc:name` or `asc:created`, as `--sort` takes it. @default 'name' */
  sort?: TField | `-${TField}` | `asc:${TField}` | `desc:${TField}` | (string & {})
  /** At most this many rows. @default all */
  limit?: number
  /** Skip this many rows first. @default 0 */
  offset?: number
}

/**
 * Reads a `--sort` value — `FIELD`, `-FIELD`, `asc:FIELD` or `desc:FIELD` — against the sortable fields.
 * Every list sorts with it: the store's in SQL, the ones held in memory (pipelines, flavors) in code.
 * @param subject what is sorted, for the message (`pipelines`)
 * @throws StrataError `INVALID_SORT` naming the sortable fields
 */
export function parseSort<TField extends string>(
  sort: string,
  fields: readonly TField[],
  subject?: string,
): { field: TField; descending: boolean } {
  const match = /^(?:(asc|desc):|(-))?([A-Za-z_]+)$/.exec(sort)
  const field = match?.[3] as TField | undefined
  if (!match || field === undefined || !fields.includes(field)) {
    throw new StrataError(
      'INVALID_SORT',
      `cannot sort ${subject ? `${subject} ` : ''}by ${quote(sort)} — use one of ${fields.join(', ')}, optionally as -FIELD or desc:FIELD`,
    )
  }
  return { field, descending: match[1] === 'desc' || match[2] === '-' }
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/**
 * Checks a stack or component name.
 * @throws StrataError `INVALID_NAME` with the rule
 */
export function checkName(kind: string, name: string): void {
  if (NAME.test(name)) return
  throw new StrataError(
    'INVALID_NAME',
    `invalid ${kind} name ${quote(name)} — use letters, digits, '_', '-' and '.', starting with a letter, digit or '_' (at most 128)`,
  )
}
