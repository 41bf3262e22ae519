/** Pure cell formatters (no React), shared by screens and `status` output. */
import type { Level, CertView, SloStatus, WorkloadSnapshot } from '../domain/model.js';
import { imageTag } from '../domain/rollout.js';
import { formatBurn } from '../domain/service-state.js';

export const LEVEL_TEXT: Record<Level, string> = {
  ok: 'OK',
  warning: 'WARN',
  critical: 'CRIT',
  unknown: '?',
};
export const LEVEL_COLOR: Record<Level, string> = {
  ok: 'green',
  warning: 'yellow',
  critical: 'red',
  unknown: 'gray',
};

export function pad(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length > width) return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
  return text.padEnd(width);
}

export function padLeft(text: string, width: number): string {
  if (text.length > width) return `${text.slice(0, Math.max(0, width - 1))}…`;
  return text.padStart(width);
}

export function rolloutCell(w: WorkloadSnapshot | undefined, containerImage?: string): string {
  if (w) {
    const mark = w.rollout.done
      ? '✓'
      : w.rollout.phase === 'deadline-exceeded'
        ? '✗'
        : w.rollout.phase === 'paused'
          ? '‖'
          : '…';
    return `r${w.revision} ${imageTag(w.image)} ${mark}`;
  }
  if (containerImage) {
    const ref = containerImage.split('@')[0] ?? containerImage;
    return ref.slice(ref.lastIndexOf('/') + 1);
  }
  return '–';
}

export function sliCell(slo: SloStatus | undefined): string {
  if (!slo) return '–';
  if (slo.noData || slo.sli === null) return 'no data';
  return `${slo.sli.toFixed(slo.sli >= 99.995 ? 3 : 2)}%`;
}

export function budgetCell(slo: SloStatus | undefined): string {
  if (!slo || slo.budgetRemainingMinutes === null) return '–';
  const m = slo.budgetRemainingMinutes;
  return Math.abs(m) >= 100 ? `${m.toFixed(0)}m` : `${m.toFixed(1)}m`;
}

export function burnCell(b: number | null | undefined): string {
  return b === undefined ? '–' : formatBurn(b);
}

export function nearestCert(certs: CertView[] | undefined): CertView | undefined {
  if (!certs?.length) return undefined;
  return [...certs].sort((a, b) => a.notAfter - b.notAfter)[0];
}

export function certCell(certs: CertView[] | undefined): string {
  const c = nearestCert(certs);
  if (!c) return '–';
  return c.daysLeft < 0 ? 'EXP' : `${c.daysLeft}d`;
}

const BARS = '▁▂▃▄▅▆▇█';
export function sparkline(values: number[], width = values.length): string {
  if (values.length === 0) return '';
  const vs = values.slice(-width);
  const max = Math.max(...vs);
  if (max <= 0) return BARS[0]!.repeat(vs.length);
  return vs.map((v) => BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))]).join('');
}

export function progressBar(done: number, total: number, width = 20): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(frac * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
