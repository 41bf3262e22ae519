import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sanitizeDeep, sanitizeText } from '../../src/domain/sanitize.js';

// Any byte that could change terminal state: C0, DEL, C1, and the invisible/bidi characters.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '\u001b]52;c;ZXZpbA==\u0007', // OSC 52: write the clipboard
    '\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\', // OSC 8 hyperlink
    '\u001b[2J\u001b[H', // clear screen, home
    '\u001b[?1049l', // leave the alternate screen
    '\u009b31m', // 8-bit CSI
    '\u009d0;title\u009c', // 8-bit OSC
    '\u202eevil\u202c', // bidi override
    'a\u200bb', // zero width
    '\u001bP+q\u001b\\', // DCS
  ),
);
const mixed = fc
  .array(fc.oneof(hostile, fc.string({ maxLength: 20 })), { maxLength: 8 })
  .map((parts) => parts.join(''));

describe('sanitizeText', () => {
  it('never lets a control byte, escape sequence, bidi override or zero-width character through (10,000 cases)', () => {
    fc.assert(
      fc.property(mixed, (s) => {
        const out = sanitizeText(s);
        expect(out).not.toMatch(FORBIDDEN);
        expect(out.length).toBeLessThanOrEqual(512);
      }),
      { numRuns: 10_000 },
    );
  });
  it('keeps ordinary text, including non-Latin scripts and emoji', () => {
    expect(sanitizeText('checkout-api 2.14.0 — ready ✓ 日本語 🚀')).toBe(
      'checkout-api 2.14.0 — ready ✓ 日本語 🚀',
    );
  });
  it('removes whole sequences, not just the ESC byte', () => {
    expect(sanitizeText('ok\u001b[31mRED\u001b[0m')).toBe('okRED');
    expect(sanitizeText('a\u001b]52;c;ZXZpbA==\u0007b')).toBe('ab');
    expect(sanitizeText('x\u001b]8;;http://h\u001b\\link\u001b]8;;\u001b\\y')).toBe('xlinky');
    expect(sanitizeText('line1\nline2\ttab')).toBe('line1 line2 tab');
  });
  it('bounds overlong lines', () => {
    expect(sanitizeText('x'.repeat(10_000), 40)).toHaveLength(40);
  });
  it('sanitises keys and values of nested data', () => {
    expect(sanitizeDeep({ 'na\u001b[2Jme': ['v\u0007', { deep: '\u202eX' }], n: 3 })).toEqual({
      name: ['v', { deep: 'X' }],
      n: 3,
    });
  });
});
