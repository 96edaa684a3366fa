import { describe, expect, it } from 'vitest'
import { escapeControls, quote } from './quote.js'

describe('quote', () => {
  it('quotes a short value whole, its control characters escaped', () => {
    expect(quote('prod')).toBe("'prod'")
    expect(quote('\u001b[31mred\u001b[0m')).toBe("'\\u001b[31mred\\u001b[0m'")
    expect(quote('\u001b]0;pwned\u0007')).toBe("'\\u001b]0;pwned\\u0007'")
    expect(quote('a\u009bb\u202ec\u007f')).toBe("'a\\u009bb\\u202ec\\u007f'")
  })

  it('quotes a long value as one bounded excerpt with its length', () => {
    const quoted = quote('x'.repeat(5 * 1024 * 1024))
    expect(quoted).toBe(`'${'x'.repeat(63)}…' (5242880 characters)`)
    expect(quote('y'.repeat(20), 8)).toBe("'yyyyyyy…' (20 characters)")
  })

  it('never cuts a character in half', () => {
    const quoted = quote('😀'.repeat(100), 5)
    expect(quoted).toBe(`'${'😀'.repeat(2)}…' (200 characters)`)
  })

  it('quotes values that are not strings as JSON', () => {
    expect(quote(42)).toBe("'42'")
    expect(quote({ a: '\u001b' })).toBe(`'{"a":"\\u001b"}'`)
    expect(quote(undefined)).toBe("'undefined'")
  })

  it('leaves ordinary text, emoji and right-to-left letters alone', () => {
    expect(escapeControls('naïve 模型 🚀 שלום')).toBe('naïve 模型 🚀 שלום')
  })
})
