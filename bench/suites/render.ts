/**
 * Bytes written to the terminal for a one-cell change: the real App at 80×24 under a pseudo-terminal, a
 * store with 1,000 services (and 10, to show the cost does not grow with rows), one burn-rate cell
 * changing ten times. Baseline in the same run: Ink's default full-frame rewrite on the same screen.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow, BenchSuite } from '../types.js';
import { benchEnv, median, percentile, runPty, snapshotDist } from '../pty.js';

interface ChildResult {
  n: number;
  incremental: boolean;
  firstFrame: number;
  perUpdate: number[];
  latency: number[];
}

async function measure(n: number, incremental: boolean): Promise<{ r: ChildResult; ptyBytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'oncall-bench-render-'));
  const file = join(dir, 'result.json');
  const out = await runPty(['node', join(snapshotDist(), 'dist', 'bench-render-child.cjs')], {
    env: benchEnv({
      ROWS_N: String(n),
      INCREMENTAL: incremental ? '1' : '0',
      RESULT_FILE: file,
      UPDATES: '10',
      XDG_STATE_HOME: dir,
    }),
    timeoutS: 60,
  });
  if (out.exitCode !== 0) throw new Error(`render child (${n} rows) exited ${out.exitCode}`);
  return { r: JSON.parse(readFileSync(file, 'utf8')) as ChildResult, ptyBytes: out.bytes };
}

export const render: BenchSuite = {
  name: 'render',
  async run(): Promise<BenchRow[]> {
    const big = await measure(1000, true);
    const small = await measure(10, true);
    const full = await measure(1000, false);
    const bytes = median(big.r.perUpdate);
    const worst = Math.max(...big.r.perUpdate);
    const fullBytes = median(full.r.perUpdate);
    const rows: BenchRow[] = [
      {
        group: 'render',
        measure: 'bytes per one-cell update, 1,000-row screen (worst of 10)',
        value: worst,
        unit: 'B',
        baseline: { label: 'Ink full-frame rewrite, same screen', value: fullBytes },
        ratio: worst / fullBytes,
        target: '≤ 512 B',
        pass: worst <= 512,
        note: `median ${bytes} B; first frame ${big.r.firstFrame} B; every byte the App wrote (pty read ${big.ptyBytes} B in total)`,
      },
      {
        group: 'render',
        measure: 'bytes per one-cell update, 10-row screen (worst of 10)',
        value: Math.max(...small.r.perUpdate),
        unit: 'B',
        baseline: { label: '1,000 rows', value: worst },
        ratio: Math.max(...small.r.perUpdate) / worst,
        target: 'same as 1,000 rows',
        pass: Math.max(...small.r.perUpdate) === worst,
      },
      {
        group: 'render',
        measure: 'store change → bytes on the terminal, 1,000 rows (p95)',
        value: percentile(big.r.latency, 95),
        unit: 'ms',
        baseline: { label: '10 rows', value: percentile(small.r.latency, 95) },
        ratio: percentile(big.r.latency, 95) / percentile(small.r.latency, 95),
        note: `p50 ${median(big.r.latency).toFixed(1)} ms (Ink throttles to 30 frames/s: ≤ 33 ms of coalescing)`,
      },
    ];
    return rows;
  },
};
