/**
 * The bundle replaces the Intl.Segmenter objects of string-width, slice-ansi and ansi-tokenize with a lazy
 * one (scripts/build.mjs, LAZY_SEGMENTER) that walks "simple" text one code unit at a time. For every
 * character of the simple set, in every neighbourhood that matters (itself, ASCII, ESC, other simple
 * characters), that must be exactly what Intl.Segmenter returns; other text must go to Intl.Segmenter.
 */
import { describe, expect, it } from 'vitest';
import { LAZY_SEGMENTER } from '../../scripts/build.mjs';

type Seg = { segment: string; index: number };
type Segments = Iterable<Seg> & { containing(i: number): Seg | undefined };
const make = new Function(`${LAZY_SEGMENTER}; return oncallLazySegmenter;`)() as (
  l?: string,
  o?: Intl.SegmenterOptions,
) => { segment(s: string): Segments };

const lazy = make(undefined, { granularity: 'grapheme' });
const real = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const view = (segs: Iterable<Seg>) => [...segs].map((s) => [s.segment, s.index]);

describe('lazy grapheme segmenter in the bundle', () => {
  it('matches Intl.Segmenter for every character of the fast path, next to itself, ASCII, ESC and others', () => {
    const ranges: [number, number][] = [
      [0x20, 0x7e],
      [0xa0, 0x2ff],
      [0x2010, 0x2027],
      [0x2030, 0x205e],
      [0x2190, 0x2bff],
    ];
    const chars: string[] = ['\u001b'];
    for (const [a, b] of ranges) for (let c = a; c <= b; c++) chars.push(String.fromCharCode(c));
    const mismatches: string[] = [];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      const next = chars[(i * 7919) % chars.length]!;
      const s = `a${c}${c}\u001b[31m${c}${next}b${c}`;
      if (JSON.stringify(view(lazy.segment(s))) !== JSON.stringify(view(real.segment(s)))) {
        mismatches.push(c.codePointAt(0)!.toString(16));
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('answers containing() like Intl.Segmenter on the fast path', () => {
    const s = '› checkout-api \u001b[31mCRIT\u001b[39m – ✓ 99.9% 2.5× …';
    const a = lazy.segment(s);
    const b = real.segment(s);
    for (let i = -1; i <= s.length; i++) {
      expect(a.containing(i)?.segment, `index ${i}`).toBe(b.containing(i)?.segment);
      expect(a.containing(i)?.index, `index ${i}`).toBe(b.containing(i)?.index);
    }
  });

  it('hands other text to Intl.Segmenter: emoji sequences, combining marks, Hangul, CR LF', () => {
    for (const s of ['👨‍👩‍👧 ok', 'e\u0301', '한국어', 'a\r\nb', '🇩🇪', '#️⃣', 'x\u200dy']) {
      expect(view(lazy.segment(s)), JSON.stringify(s)).toEqual(view(real.segment(s)));
    }
  });
});
