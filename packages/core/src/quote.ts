// How an error quotes what a user gave it: bounded (a 5 MB value is not a 5 MB error line) and inert (a
// terminal control sequence in a name is shown, never obeyed). Every message that quotes user input
// goes through quote(); the CLI's output layer neutralises what is printed the same way, as a second net.

/**
 * Characters a terminal may obey instead of showing: C0 controls (ESC, BEL, CR, backspace, ...), DEL,
 * C1 controls (U+009B is an 8-bit CSI to many terminals), the bidirectional embeddings, overrides and
 * isolates that reorder what is shown (U+202E), and the line and paragraph separators.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

const CONTROLS = new RegExp(CONTROL.source, 'g')

/** `\u001b`: the escape a JSON string (and a YAML double-quoted one) reads back as the character. */
function escapeCharacter(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`
}

/** The text with every control character written out as an escape (`\u001b`, `\u202e`), so that none acts. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, escapeCharacter)
}

/** The first control character in `text`, with its position, or `undefined`. */
export function findControlCharacter(text: string): { escaped: string; index: number } | undefined {
  const match = CONTROL.exec(text)
  return match ? { escaped: escapeCharacter(match[0]), index: match.index } : undefined
}

/** How many characters of a value an error quotes at most (then an ellipsis and the value's length). */
export const QUOTE_LIMIT = 64

/** The start of a long text, cut at `limit` characters without splitting a surrogate pair, or the text itself. */
function head(text: string, limit: number): string {
  if (text.length <= limit) return text
  const cut = text.slice(0, limit - 1)
  // Never end in half a surrogate pair (half an emoji).
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut
}

/**
 * Text as an error shows it, unquoted: control characters escaped, at most `limit` characters, ellipsised
 * with its length when longer (`{"path": "xxxx… (5242890 characters)`). For text that carries its own
 * quoting (JSON); {@link quote} is for names and values.
 * @param limit the most characters shown @default QUOTE_LIMIT
 */
export function excerpt(text: string, limit: number = QUOTE_LIMIT): string {
  if (text.length <= limit) return escapeControls(text)
  return `${escapeControls(head(text, limit))}… (${text.length} characters)`
}

/**
 * A value as an error quotes it: in single quotes, control characters escaped (`'\u001b[31mx'`), and at
 * most `limit` characters of it, ellipsised with its length when longer (`'xxxx…' (5242880 characters)`).
 * Values that are not strings are quoted as JSON.
 * @param limit the most characters shown @default QUOTE_LIMIT
 */
export function quote(value: unknown, limit: number = QUOTE_LIMIT): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  if (text.length <= limit) return `'${escapeControls(text)}'`
  return `'${escapeControls(head(text, limit))}…' (${text.length} characters)`
}
