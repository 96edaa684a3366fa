/** `artifact store` → `an artifact store`, `step operator` → `a step operator` (component nouns only). */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`
}
