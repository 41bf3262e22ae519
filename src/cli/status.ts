/** `oncall status`: the facts the Overview shows, without the UI. Exit 0 all OK, 1 warning/unknown, 2 critical. */
import type { AppState } from '../state/store.js';
import { selectServiceRows, type ServiceRow } from '../state/selectors.js';
import { nearestCert } from '../components/format.js';
import { imageTag } from '../domain/rollout.js';
import { LEVEL_TEXT } from '../components/format.js';
import { failingChecks } from '../domain/service-state.js';

export interface StatusJson {
  generatedAt: string;
  mode: 'demo' | 'live';
  readOnly: boolean;
  context: string;
  sources: Record<string, { updatedAt: string | null; error: string | null }>;
  services: ServiceStatusJson[];
}

export interface ServiceStatusJson {
  name: string;
  tier: string;
  state: string;
  reasons: string[];
  rollout: { state: string; revision: number; image: string; ready: number; replicas: number } | null;
  slo: {
    objective: number;
    sli: number | null;
    budgetRemainingMinutes: number | null;
    burnRate1h: number | null;
    burnRate6h: number | null;
    alert: string;
    latency: {
      objective: number;
      thresholdSeconds: number;
      sli: number | null;
      budgetRemainingMinutes: number | null;
      burnRate1h: number | null;
      burnRate6h: number | null;
      alert: string;
    } | null;
  } | null;
  health: {
    state: string;
    failingChecks: string[];
    endpoints: {
      name: string;
      url: string;
      state: string;
      statusCode: number | null;
      latencyMs: number | null;
      error: string | null;
    }[];
  } | null;
  /** Soonest expiry first; unreadable entries (error set, notAfter/daysLeft null, level "unknown") first of all. */
  certs: {
    name: string;
    source: string;
    notAfter: string | null;
    daysLeft: number | null;
    level: string;
    subject: string;
    issuer: string;
    chainPosition: number | null;
    problems: string[];
    error: string | null;
  }[];
  containers: {
    name: string;
    state: string;
    health: string;
    image: string;
    id: string;
    imageDigest: string | null;
    healthOutput: string | null;
    restartCount: number;
    oomKilled: boolean;
    exitCode: number;
    startedAt: string | null;
  }[];
  alerts: { name: string; state: string; severity: string; summary: string; runbookUrl: string | null }[];
}

const round = (n: number | null, d = 6) => (n === null ? null : Math.round(n * 10 ** d) / 10 ** d);

function serviceJson(r: ServiceRow): ServiceStatusJson {
  const { facts } = r;
  const w = facts.workload;
  const slo = facts.slo;
  const health = facts.health;
  const failing = (health ?? []).flatMap((h) => [
    ...(h.state === 'critical' || h.state === 'unknown'
      ? [`${h.name}: ${h.error ?? `HTTP ${h.statusCode ?? '?'}`}`]
      : []),
    ...failingChecks(h).map((c) => `${h.name}.${c}`),
  ]);
  // Worst first: critical > warning > unknown (the probe could not tell) > ok.
  const healthRank: Record<string, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };
  const healthState = (health ?? []).reduce<string>(
    (acc, h) => ((healthRank[h.state] ?? 1) > (healthRank[acc] ?? 0) ? h.state : acc),
    'ok',
  );
  return {
    name: r.name,
    tier: r.tier,
    state: r.summary.state,
    reasons: r.summary.reasons,
    rollout: w
      ? {
          state: w.rollout.phase,
          revision: w.revision,
          image: w.image,
          ready: w.readyReplicas,
          replicas: w.replicas,
        }
      : null,
    slo: slo
      ? {
          objective: slo.objective,
          sli: round(slo.sli),
          budgetRemainingMinutes: round(slo.budgetRemainingMinutes, 3),
          burnRate1h: round(slo.burnRate1h, 3),
          burnRate6h: round(slo.burnRate6h, 3),
          alert: slo.alert,
          latency: slo.latency
            ? {
                objective: slo.latency.objective,
                thresholdSeconds: slo.latency.thresholdSeconds,
                sli: round(slo.latency.sli),
                budgetRemainingMinutes: round(slo.latency.budgetRemainingMinutes, 3),
                burnRate1h: round(slo.latency.burnRate1h, 3),
                burnRate6h: round(slo.latency.burnRate6h, 3),
                alert: slo.latency.alert,
              }
            : null,
        }
      : null,
    health: health
      ? {
          state: healthState,
          failingChecks: failing,
          endpoints: health.map((h) => ({
            name: h.name,
            url: h.url,
            state: h.state,
            statusCode: h.statusCode ?? null,
            latencyMs: h.latencyMs ?? null,
            error: h.error ?? null,
          })),
        }
      : null,
    certs: (facts.certs ?? [])
      .slice()
      .sort((a, b) => (a.error ? 0 : 1) - (b.error ? 0 : 1) || a.notAfter - b.notAfter)
      .map((c) => ({
        name: c.name,
        source: c.source,
        notAfter: c.error ? null : new Date(c.notAfter).toISOString(),
        daysLeft: c.error ? null : c.daysLeft,
        level: c.level,
        subject: c.subject,
        issuer: c.issuer,
        chainPosition: c.chainPosition ?? null,
        problems: c.problems,
        error: c.error ?? null,
      })),
    containers: (facts.containers ?? []).map((c) => ({
      name: c.name,
      state: c.state,
      health: c.health,
      image: c.image,
      id: c.id.slice(0, 12),
      imageDigest: c.imageDigest ?? null,
      healthOutput: c.healthOutput ?? null,
      restartCount: c.restartCount,
      oomKilled: c.oomKilled,
      exitCode: c.exitCode,
      startedAt: c.startedAt === undefined ? null : new Date(c.startedAt).toISOString(),
    })),
    alerts: (facts.alerts ?? []).map((a) => ({
      name: a.name,
      state: a.state,
      severity: a.severity,
      summary: a.summary,
      runbookUrl: a.runbookUrl ?? null,
    })),
  };
}

export function statusJson(s: AppState): StatusJson {
  return {
    generatedAt: new Date(s.now).toISOString(),
    mode: s.mode,
    readOnly: s.readOnly,
    context: s.contextName,
    sources: Object.fromEntries(
      Object.entries(s.sources)
        .filter(([, v]) => v.configured)
        .map(([k, v]) => [
          k,
          { updatedAt: v.updatedAt === null ? null : new Date(v.updatedAt).toISOString(), error: v.error },
        ]),
    ),
    services: selectServiceRows(s).map(serviceJson),
  };
}

export function statusExitCode(s: AppState): 0 | 1 | 2 {
  const rows = selectServiceRows(s);
  if (rows.some((r) => r.summary.state === 'critical')) return 2;
  if (rows.some((r) => r.summary.state !== 'ok')) return 1;
  return 0;
}

export function statusText(s: AppState): string {
  const lines = [`oncall status · ${s.mode} · context ${s.contextName} · ${new Date(s.now).toISOString()}`];
  for (const r of selectServiceRows(s)) {
    const w = r.facts.workload;
    const cert = nearestCert(r.facts.certs?.filter((c) => !c.error));
    const parts = [
      LEVEL_TEXT[r.summary.state].padEnd(5),
      r.name.padEnd(16),
      w ? `r${w.revision} ${imageTag(w.image)} ${w.rollout.phase}` : '',
      r.facts.slo?.sli != null ? `SLI ${r.facts.slo.sli.toFixed(3)}%` : '',
      cert ? `cert ${cert.daysLeft}d` : '',
    ].filter(Boolean);
    lines.push(parts.join('  '));
    for (const reason of r.summary.reasons) lines.push(`      - ${reason}`);
  }
  return lines.join('\n');
}
