/** Pure derivations from the store: per-service facts, summaries, worst-first rows, staleness. */
import type { AppState, SourceName } from './store.js';
import {
  compareServices,
  summarizeService,
  type ServiceFacts,
  type ServiceSummary,
} from '../domain/service-state.js';
import type { ServiceConfig } from '../config/schema.js';

export interface ServiceRow {
  name: string;
  tier: ServiceConfig['tier'];
  facts: ServiceFacts;
  summary: ServiceSummary;
}

function sourcesOf(svc: ServiceConfig): SourceName[] {
  const out: SourceName[] = [];
  if (svc.kubernetes) out.push('cluster');
  if (svc.slo) out.push('metrics');
  if (svc.container) out.push('containers');
  if (svc.health.length) out.push('health');
  if (svc.certificates.length) out.push('certs');
  return out;
}

export function serviceFacts(s: AppState, svc: ServiceConfig): ServiceFacts {
  const sourceErrors: string[] = [];
  for (const src of sourcesOf(svc)) {
    const st = s.sources[src];
    if (st.error) sourceErrors.push(`${src}: ${st.error}`);
  }
  const wErr = s.workloadErrors[svc.name];
  if (wErr) sourceErrors.push(`cluster: ${wErr}`);
  return {
    name: svc.name,
    workload: s.workloads[svc.name],
    containers: s.containers[svc.name],
    health: s.health[svc.name],
    slo: s.slo[svc.name],
    certs: s.certs[svc.name],
    alerts: s.alerts.filter((a) => a.service === svc.name),
    sourceErrors,
  };
}

// Memoise rows on the identity of the slices they read, so unrelated updates do not recompute.
let memoKey: unknown[] = [];
let memoRows: ServiceRow[] = [];
export function selectServiceRows(s: AppState): ServiceRow[] {
  const key = [
    s.services,
    s.workloads,
    s.workloadErrors,
    s.containers,
    s.health,
    s.slo,
    s.alerts,
    s.certs,
    s.sources,
  ];
  if (key.length === memoKey.length && key.every((k, i) => k === memoKey[i])) return memoRows;
  const rows = s.services.map((svc) => {
    const facts = serviceFacts(s, svc);
    return { name: svc.name, tier: svc.tier, facts, summary: summarizeService(facts) };
  });
  rows.sort(compareServices);
  memoKey = key;
  memoRows = rows;
  return rows;
}

export function filterRows(rows: ServiceRow[], filter: string): ServiceRow[] {
  const f = filter.trim().toLowerCase();
  if (!f) return rows;
  return rows.filter(
    (r) =>
      r.name.includes(f) ||
      r.tier.includes(f) ||
      r.summary.state.includes(f) ||
      r.summary.reasons.some((x) => x.toLowerCase().includes(f)),
  );
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.round(h / 24)}d`;
}

/** One short line per configured source that is failing or has not answered yet. */
export function staleness(s: AppState, now: number): string[] {
  const out: string[] = [];
  for (const [name, st] of Object.entries(s.sources)) {
    if (!st.configured) continue;
    if (st.error) {
      const age = st.updatedAt === null ? 'no data' : `stale ${formatAge(now - st.updatedAt)}`;
      out.push(`${name}: ${age} — ${st.error}`);
    } else if (st.updatedAt === null) {
      out.push(`${name}: connecting…`);
    }
  }
  return out;
}

/** A context matching one of the config's production patterns (globs with * and ?). */
export function isProductionContext(s: AppState, context: string): boolean {
  return s.productionContexts.some((p) => matchGlob(p, context));
}

export function isProductionService(s: AppState, svc: ServiceConfig): boolean {
  return svc.tier === 'production' || isProductionContext(s, svc.kubernetes?.context ?? s.contextName);
}

export function matchGlob(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(text);
}
