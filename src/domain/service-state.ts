/** Combines every source's facts about a service into one state with reasons, and orders services worst first. */
import type {
  AlertView,
  CertView,
  ContainerView,
  HealthCheckResult,
  Level,
  SloStatus,
  WorkloadSnapshot,
} from './model.js';

export interface ServiceFacts {
  name: string;
  workload?: WorkloadSnapshot;
  containers?: ContainerView[];
  health?: HealthCheckResult[];
  slo?: SloStatus;
  certs?: CertView[];
  alerts?: AlertView[];
  /** Sources this service depends on that currently report an error. */
  sourceErrors?: string[];
}

export interface ServiceSummary {
  state: Level;
  reasons: string[];
}

const RANK: Record<Level, number> = { critical: 3, warning: 2, unknown: 1, ok: 0 };

export function worst(a: Level, b: Level): Level {
  return RANK[a] >= RANK[b] ? a : b;
}

export function levelRank(l: Level): number {
  return RANK[l];
}

/** The named checks of one endpoint that are not OK, as "cache=degraded". */
export function failingChecks(h: HealthCheckResult): string[] {
  return h.checks.filter((c) => !c.ok).map((c) => `${c.name}=${c.status}`);
}

/** What is wrong with each endpoint that is not OK ("healthz: HTTP 503; ready: cache=degraded"), or ''. */
export function describeUnhealthy(results: HealthCheckResult[]): string {
  return results
    .filter((r) => r.state !== 'ok')
    .map((r) => `${r.name}: ${r.error ?? failingChecks(r).join(',')}`)
    .join('; ');
}

export function summarizeService(f: ServiceFacts): ServiceSummary {
  let state: Level = 'ok';
  const reasons: string[] = [];
  const add = (level: Level, reason: string) => {
    state = worst(state, level);
    reasons.push(reason);
  };
  let known = false;

  if (f.workload) {
    known = true;
    const w = f.workload;
    if (w.rollout.phase === 'deadline-exceeded')
      add('critical', `rollout exceeded its progress deadline (rev ${w.revision})`);
    else if (w.rollout.phase === 'progressing') add('warning', `rollout in progress to rev ${w.revision}`);
    else if (w.rollout.phase === 'paused') add('warning', 'rollout paused');
    if (w.replicas > 0 && w.availableReplicas === 0) add('critical', 'no available replicas');
    const crashing = w.pods.filter(
      (p) => p.reason && /CrashLoopBackOff|ImagePullBackOff|ErrImagePull|OOMKilled/.test(p.reason),
    );
    if (crashing.length > 0) add('critical', `${crashing.length} pod(s) ${crashing[0]?.reason}`);
  }
  for (const c of f.containers ?? []) {
    known = true;
    if (c.state !== 'running') add('critical', `container ${c.name} ${c.state}`);
    else if (c.health === 'unhealthy') add('critical', `container ${c.name} unhealthy`);
    else if (c.health === 'starting') add('warning', `container ${c.name} health starting`);
    if (c.oomKilled) add('warning', `container ${c.name} was OOM-killed`);
  }
  for (const h of f.health ?? []) {
    known = true;
    if (h.state === 'critical') add('critical', `${h.name} ${h.error ?? `HTTP ${h.statusCode ?? '?'}`}`);
    else if (h.state === 'warning') {
      const bad = failingChecks(h);
      add('warning', `${h.name} degraded${bad.length ? `: ${bad.join(', ')}` : ''}`);
    }
  }
  if (f.slo) {
    known = true;
    if (f.slo.alert === 'page') add('critical', `SLO burn ${formatBurn(f.slo.burnRate1h)} over 1h (page)`);
    else if (f.slo.alert === 'ticket') add('warning', 'SLO burning budget (ticket)');
    if (f.slo.budgetRemainingMinutes !== null && f.slo.budgetRemainingMinutes <= 0)
      add('critical', 'error budget exhausted');
    const lat = f.slo.latency;
    if (lat) {
      const ms = Math.round(lat.thresholdSeconds * 1000);
      if (lat.alert === 'page')
        add('critical', `latency SLO (<${ms}ms) burn ${formatBurn(lat.burnRate1h)} over 1h (page)`);
      else if (lat.alert === 'ticket') add('warning', `latency SLO (<${ms}ms) burning budget (ticket)`);
    }
  }
  for (const c of f.certs ?? []) {
    known = true;
    if (c.error) add('unknown', `cert ${c.name} unreadable: ${c.error}`);
    else if (c.level === 'critical')
      add('critical', c.daysLeft < 0 ? `cert ${c.name} expired` : `cert ${c.name} expires in ${c.daysLeft}d`);
    else if (c.level === 'warning') add('warning', `cert ${c.name} expires in ${c.daysLeft}d`);
  }
  for (const a of f.alerts ?? []) {
    known = true;
    if (a.state !== 'firing') continue;
    add(
      a.severity === 'page' || a.severity === 'critical' ? 'critical' : 'warning',
      `alert ${a.name} firing`,
    );
  }
  for (const e of f.sourceErrors ?? []) add('unknown', e);
  if (!known && reasons.length === 0) return { state: 'unknown', reasons: ['no data yet'] };
  return { state, reasons };
}

export function formatBurn(b: number | null): string {
  if (b === null) return '–';
  return b >= 100 ? `${b.toFixed(0)}×` : `${b.toFixed(1)}×`;
}

/** Worst first; ties by name so the order is stable. */
export function compareServices(
  a: { name: string; summary: ServiceSummary },
  b: { name: string; summary: ServiceSummary },
) {
  const d = RANK[b.summary.state] - RANK[a.summary.state];
  // A plain comparison: names are [a-z0-9-], and ICU's collator costs milliseconds of the first frame.
  return d !== 0 ? d : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
