/** `oncall doctor`: for each configured source, is it reachable, authenticated, what may we do, how fast. */
import type { Runtime } from './runtime.js';
import type { ReadPorts } from '../adapters/ports.js';

export interface DoctorLine {
  source: string;
  reachable: boolean;
  authenticated: boolean | null;
  actions: string;
  latencyMs: number | null;
  detail: string;
}

async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T; ms: number } | { ok: false; error: string; ms: number }> {
  const t0 = performance.now();
  try {
    const value = await fn();
    return { ok: true, value, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    return { ok: false, error: (err as Error).message, ms: Math.round(performance.now() - t0) };
  }
}

export async function runDoctor(rt: Runtime): Promise<DoctorLine[]> {
  const read: ReadPorts = rt.read;
  const cfg = rt.config;
  const out: DoctorLine[] = [];
  const mutations = rt.gate.readOnly ? `none (${rt.gate.readOnlyReason})` : null;
  const k8s = cfg.services.find((s) => s.kubernetes);
  if (k8s) {
    if (!read.cluster)
      out.push({
        source: 'kubernetes',
        reachable: false,
        authenticated: null,
        actions: 'none',
        latencyMs: null,
        detail: rt.store.getState().sources.cluster.error ?? 'not loaded',
      });
    else {
      const ref = { ...k8s.kubernetes! };
      const r = await timed(() => read.cluster!.get(ref));
      const verbs = await Promise.all([
        read.cluster.canI(ref, 'patch', 'deployments'),
        read.cluster.canI(ref, 'update', 'deployments', 'scale'),
      ]).catch((err: Error) => [
        { allowed: false, verb: 'patch', resource: 'deployments', reason: err.message },
      ]);
      out.push({
        source: `kubernetes (${read.cluster.contextName})`,
        reachable: r.ok,
        authenticated: r.ok ? true : /401|403|unauthori|forbidden/i.test(r.error) ? false : null,
        actions:
          mutations ??
          (verbs
            .filter((v) => v.allowed)
            .map((v) => `${v.verb} ${v.resource}`)
            .join(', ') ||
            'read only (RBAC)'),
        latencyMs: r.ms,
        detail: r.ok
          ? `deployment ${ref.namespace}/${ref.deployment} resourceVersion ${r.value.resourceVersion}`
          : r.error,
      });
    }
  }
  const slo = cfg.services.filter((s) => s.slo);
  if (slo.length || cfg.prometheus) {
    if (!read.metrics)
      out.push({
        source: 'prometheus',
        reachable: false,
        authenticated: null,
        actions: 'read',
        latencyMs: null,
        detail: rt.store.getState().sources.metrics.error ?? 'not loaded',
      });
    else {
      const r = await timed(() => read.metrics!.alerts(cfg.services.map((s) => s.name)));
      out.push({
        source: 'prometheus',
        reachable: r.ok,
        authenticated: r.ok ? true : null,
        actions: 'read',
        latencyMs: r.ms,
        detail: r.ok ? `${r.value.length} alerts` : r.error,
      });
    }
  }
  const ctr = cfg.services.find((s) => s.container);
  if (ctr) {
    if (!read.containers)
      out.push({
        source: 'containers',
        reachable: false,
        authenticated: null,
        actions: 'none',
        latencyMs: null,
        detail: rt.store.getState().sources.containers.error ?? 'not loaded',
      });
    else {
      const r = await timed(() => read.containers!.list({ service: ctr.name, ...ctr.container! }));
      out.push({
        source: 'containers',
        reachable: r.ok,
        authenticated: r.ok ? true : null,
        actions: mutations ?? 'recreate, restart',
        latencyMs: r.ms,
        detail: r.ok ? `${r.value.length} container(s) for ${ctr.name}` : r.error,
      });
    }
  }
  const hs = cfg.services.find((s) => s.health.length);
  if (hs && read.health) {
    const r = await timed(() => read.health!.probe(hs.name, hs.health));
    out.push({
      source: 'health probes',
      reachable: r.ok,
      authenticated: null,
      actions: 'read',
      latencyMs: r.ms,
      detail: r.ok ? r.value.map((h) => `${h.name} ${h.state}`).join(', ') : r.error,
    });
  }
  const cs = cfg.services.find((s) => s.certificates.length);
  if (cs && read.certs) {
    const r = await timed(() => read.certs!.probe(cs.name, cs.certificates, rt.now()));
    out.push({
      source: 'certificates',
      reachable: r.ok,
      authenticated: null,
      actions: 'read',
      latencyMs: r.ms,
      detail: r.ok ? r.value.map((c) => `${c.name} ${c.daysLeft}d`).join(', ') : r.error,
    });
  }
  if (read.secrets) {
    const r = await timed(async () => ({
      health: await read.secrets!.health(),
      token: await read.secrets!.tokenInfo(),
    }));
    out.push({
      source: 'vault',
      reachable: r.ok,
      authenticated: r.ok ? true : null,
      actions: mutations ?? 'kv write (cas)',
      latencyMs: r.ms,
      detail: r.ok
        ? `sealed=${r.value.health.sealed} standby=${r.value.health.standby} token ttl ${r.value.token.ttlSeconds}s policies ${r.value.token.policies.join(',')}`
        : r.error,
    });
  }
  return out;
}

export function formatDoctor(lines: DoctorLine[]): string {
  return lines
    .map(
      (l) =>
        `${l.reachable ? 'OK  ' : 'FAIL'} ${l.source.padEnd(34)} ${l.latencyMs === null ? '   –' : `${String(l.latencyMs).padStart(4)}ms`}  auth=${l.authenticated === null ? '?' : l.authenticated ? 'yes' : 'no'}  actions: ${l.actions}\n     ${l.detail}`,
    )
    .join('\n');
}
