// How values read in tables and messages.

/** `8f3a2c1d` */
export function shortId(id: string): string {
  return id.slice(0, 8)
}

/** `2026-01-31T12:00:00.000Z` → `2026-01-31 12:00:00` */
export function dateTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19)
}

/** `2m 3s`, `850 ms`; empty until both ends are known. */
export function duration(from: string | null, to: string | null): string {
  if (!from || !to) return ''
  const ms = Date.parse(to) - Date.parse(from)
  if (ms < 1000) return `${ms} ms`
  const seconds = Math.round(ms / 1000)
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${seconds % 60}s`
}

/** `artifact_store` → `artifact store` */
export function label(type: string): string {
  return type.replace('_', ' ')
}

/** `artifact store` → `an artifact store`, `step operator` → `a step operator` (component nouns only). */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`
}
