import { describe, expect, it } from 'vitest'
import { assertName, NAME_MAX_LENGTH, nameProblem } from './name-rule.js'

describe('names', () => {
  it('accepts names without control characters', () => {
    for (const name of ['fraud-model', 'My Model v2', 'naïve 模型', 'x'.repeat(NAME_MAX_LENGTH)])
      expect(nameProblem(name)).toBeUndefined()
  })

  it('refuses empty, overlong, control-bearing and malformed names', () => {
    expect(nameProblem('')).toBe('is empty')
    expect(nameProblem('x'.repeat(NAME_MAX_LENGTH + 1))).toBe(`is ${NAME_MAX_LENGTH + 1} characters long`)
    expect(nameProblem('ok\u001b[31m')).toBe('contains the control character \\u001b (at 2)')
    expect(nameProblem('tab\there')).toBe('contains the control character \\u0009 (at 3)')
    expect(nameProblem('\u0085')).toBe('contains the control character \\u0085 (at 0)')
    expect(nameProblem('abc\u202edef')).toBe('contains the control character \\u202e (at 3)')
    expect(nameProblem('a\u2066b')).toBe('contains the control character \\u2066 (at 1)')
    expect(nameProblem('\ud800x')).toMatch(/not well-formed/)
  })

  it('throws INVALID_NAME naming the field and the rule, quoting the name inertly', () => {
    expect(() => assertName('run name', '\u001b]0;pwned\u0007')).toThrow(
      expect.objectContaining({
        code: 'INVALID_NAME',
        message:
          "invalid run name '\\u001b]0;pwned\\u0007': it contains the control character \\u001b (at 0) — a name is 1 to 255 characters without control characters (C0, DEL, C1) or bidirectional overrides",
      }),
    )
    expect(() => assertName('model name', 7)).toThrow(/invalid model name '7': it is a number, not a string/)
  })
})
