/** `npm run bench`: runs every suite and prints one table (measure, value, baseline, ratio, target). */
import { cpus as cpus_, loadavg, totalmem } from 'node:os';
import { suites } from './suites/index.js';
import type { BenchRow } from './types.js';

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

const loadAtStart = loadavg();

async function main() {
  const only = process.argv.slice(2);
  const rows: BenchRow[] = [];
  for (const s of suites) {
    if (only.length && !only.includes(s.name)) continue;
    process.stderr.write(`bench: ${s.name}…\n`);
    try {
      rows.push(...(await s.run()));
    } catch (err) {
      rows.push({
        group: s.name,
        measure: 'suite failed',
        value: NaN,
        unit: '',
        note: (err as Error).message,
      });
    }
  }
  const head = ['group', 'measure', 'value', 'baseline', 'ratio', 'target', 'ok'];
  const table = rows.map((r) => [
    r.group,
    r.measure,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline ? `${r.baseline.label}: ${fmt(r.baseline.value)} ${r.unit}` : '',
    r.ratio === undefined ? '' : `${fmt(r.ratio)}×`,
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const cpus = cpus_();
  console.log(
    `node ${process.version} · ${process.platform} ${process.arch} · ${cpus.length} × ${cpus[0]?.model ?? 'cpu'} · ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB · load average at start ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}, ` +
      `at end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const t of table) console.log(line(t));
  for (const r of rows.filter((x) => x.note)) console.log(`note: ${r.group} / ${r.measure}: ${r.note}`);
}

// Some suites leave sockets or timers behind in this process; the table is printed, so leave.
void main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
