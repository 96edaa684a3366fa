import { StrataError } from './errors.js'

const MAX_KEY_BYTES = 1024

function refuse(kind: string, value: string, reason: string): never {
  throw new StrataError(
    'INVALID_ARTIFACT_KEY',
    `artifact ${kind} '${value}' ${reason} — use a relative path of '/'-separated names, such as 'runs/abc/model/data.json'`,
  )
}

function checkSegments(kind: string, value: string, path: string): void {
  if (Buffer.byteLength(path) > MAX_KEY_BYTES) refuse(kind, value, `is longer than ${MAX_KEY_BYTES} bytes`)
  if (path.includes('\0')) refuse(kind, value, 'contains a NUL character')
  if (path.includes('\\')) refuse(kind, value, 'contains a backslash')
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) refuse(kind, value, 'is absolute')
  for (const segment of path.split('/')) {
    if (segment === '..') refuse(kind, value, "contains '..'")
    if (segment === '.') refuse(kind, value, "contains '.'")
    if (segment === '') refuse(kind, value, 'contains an empty segment')
  }
}

/**
 * Checks an artifact key and returns it unchanged.
 * @throws StrataError `INVALID_ARTIFACT_KEY` for empty, absolute or traversing keys
 */
export function normalizeArtifactKey(key: string): string {
  if (typeof key !== 'string' || key === '') refuse('key', String(key), 'is empty')
  if (key.endsWith('/')) refuse('key', key, "ends with '/' (that is a prefix, not a key)")
  checkSegments('key', key, key)
  return key
}

/**
 * Checks a listing prefix: `''` (everything) or a key-like path ending with `/`.
 * A prefix without the trailing `/` gets one, so `runs/a` never matches `runs/ab/…`.
 * @throws StrataError `INVALID_ARTIFACT_KEY` for absolute or traversing prefixes
 */
export function normalizeArtifactPrefix(prefix: string): string {
  if (prefix === '') return ''
  const withSlash = prefix.endsWith('/') ? prefix : `${prefix}/`
  checkSegments('prefix', prefix, withSlash.slice(0, -1))
  return withSlash
}

/** Joins key segments with `/`, ignoring empty ones. */
export function joinArtifactKey(...segments: string[]): string {
  return segments
    .flatMap((segment) => segment.split('/'))
    .filter((segment) => segment !== '')
    .join('/')
}
