/** The header's audit line: unfinished procedures first, then forwarding failures. Pure (store → text). */
import type { AppState } from '../state/store.js';
import { describeUnfinished } from './unfinished.js';

export function auditBanner(s: AppState): { text: string; level: 'warning' | 'error' } | null {
  const parts: string[] = [];
  const stale = s.auditView.unfinished.filter((u) => u.state !== 'running');
  const first = stale[0];
  if (first) {
    parts.push(
      `⚠ ${describeUnfinished(first, s.now)}${stale.length > 1 ? ` (+${stale.length - 1} more)` : ''} (a: audit)`,
    );
  }
  const failing = s.auditView.forward.filter((f) => !f.ok);
  for (const f of failing) parts.push(`audit forward failing: ${f.error ?? f.forwarder}`);
  if (!parts.length) return null;
  return { text: parts.join(' · '), level: failing.length ? 'error' : 'warning' };
}
