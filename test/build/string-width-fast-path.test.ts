/**
 * The bundle patches string-width's emoji test (scripts/build.mjs, string-width-emoji-fast-path) so the
 * first frame does not compile /^\p{RGI_Emoji}$/v. The patched function must give the same width as the
 * stock one for every single code point and for emoji sequences of every kind.
 */
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import stock from 'string-width';
import { plugins } from '../../scripts/build.mjs';

async function patchedStringWidth(): Promise<(s: string) => number> {
  const r = await build({
    stdin: { contents: "export { default } from 'string-width';", resolveDir: process.cwd() },
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    plugins,
    logLevel: 'silent',
  });
  const code = r.outputFiles[0]!.text;
  expect(code).toContain('oncallMayBeRgiEmoji');
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as {
    default: (s: string) => number;
  };
  return mod.default;
}

describe('string-width emoji fast path in the bundle', () => {
  it('measures the same width as stock string-width for UI glyphs, emoji sequences and every code point', async () => {
    const patched = await patchedStringWidth();
    const samples = [
      '› – ✓ × … █ ↑',
      '✅',
      '👍',
      '👍🏽',
      '👨‍👩‍👧',
      '🇩🇪',
      '#️⃣',
      '1⃣',
      '☺',
      '☺️',
      'é',
      'e\u0301',
      '한국어',
      '中文',
      'ｱｲｳ',
      '⌚',
      '\u200d',
      '🏳️‍🌈',
      '©',
      '©️',
      '↔️',
      '⚠',
      '⚠️',
      'plain ascii',
    ];
    for (const s of samples) expect(patched(s), JSON.stringify(s)).toBe(stock(s));
    const diffs: string[] = [];
    for (let cp = 0xa0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (cp === 0x40000) cp = 0xe0000; // planes 4–13 are unassigned
      const s = String.fromCodePoint(cp);
      if (patched(s) !== stock(s)) diffs.push(cp.toString(16));
    }
    expect(diffs).toEqual([]);
  }, 120_000);
});
