/** `oncall doctor`: for each configured source, is it reachable, authenticated, what may we do, how fast. */
import type { Runtime } from './runtime.js';
import type { ReadPorts } from '../adapters/ports.js';
import type { SourceName } from '../state/store.js';

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

/** A configured source whose adapter could not be set up: not reachable, with the loader's reason. */
function notLoaded(rt: Runtime, source: string, slice: SourceName, actions: string): DoctorLine {
  const detail = rt.store.getState().sources[slice].error ?? 'not loaded';
  return { source, reachable: false, authenticated: null, actions, latencyMs: null, detail };
}

export async function runDoctor(rt: Runtime): Promise<DoctorLine[]> {
  const read: ReadPorts = rt.read;
  const cfg = rt.config;
  const out: DoctorLine[] = [];
  const mutations = rt.gate.readOnly ? `none (${rt.gate.readOnlyReason})` : null;
  const k8s = cfg.services.find((s) => s.kubernetes);
  if (k8s) {
    if (!read.cluster) out.push(notLoaded(rt, 'kubernetes', 'cluster', 'none'));
    else {
      const ref = { ...k8s.kubernetes! };
      const r = await timed(() => read.cluster!.get(ref));
      // What each procedure needs (the same SelfSubjectAccessReviews the gate re-checks before acting),
      // and what the screens read: a denied read degrades one kind, it does not stop the others.
      const cluster = read.cluster;
      const wanted: [string, string, string, string?][] = [
        ['rollback/restart/pause', 'update', 'deployments'],
        ['scale', 'update', 'deployments', 'scale'],
        ['events', 'create', 'events'],
        ['read pods', 'watch', 'pods'],
        ['read replicasets', 'watch', 'replicasets'],
        ['read hpa', 'watch', 'horizontalpodautoscalers'],
        ['read events', 'watch', 'events'],
      ];
      const verbs = await Promise.all(
        wanted.map(([label, verb, resource, sub]) =>
          cluster
            .canI(ref, verb, resource, sub)
            .then((a) => ({ label, allowed: a.allowed, reason: a.reason }))
            .catch((err: Error) => ({ label, allowed: false, reason: err.message })),
        ),
      );
      const acts = verbs.slice(0, 3);
      const reads = verbs.slice(3);
      const deniedReads = reads.filter((v) => !v.allowed).map((v) => v.label.replace('read ', ''));
      out.push({
        source: `kubernetes (${cluster.contextName})`,
        reachable: r.ok,
        authenticated: r.ok ? true : /401|403|unauthori|forbidden/i.test(r.error) ? false : null,
        actions:
          mutations ??
          (acts
            .filter((v) => v.allowed)
            .map((v) => v.label)
            .join(', ') ||
            'read only (RBAC)'),
        latencyMs: r.ms,
        detail: r.ok
          ? `deployment ${ref.namespace}/${ref.deployment} rev ${r.value.revision} resourceVersion ${r.value.resourceVersion}; ${r.value.rollout.message}${
              deniedReads.length ? `; may not watch ${deniedReads.join(', ')}` : ''
            }`
          : r.error,
      });
    }
  }
  const slo = cfg.services.filter((s) => s.slo);
  if (slo.length || cfg.prometheus) {
    if (!read.metrics) out.push(notLoaded(rt, 'prometheus', 'metrics', 'read'));
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
    if (!read.containers) out.push(notLoaded(rt, 'containers', 'containers', 'none'));
    else {
      const port = read.containers;
      const r = await timed(async () => {
        const engine = port.describe ? await port.describe() : null;
        const per = await Promise.all(
          cfg.services
            .filter((s) => s.container)
            .map(async (s) => `${s.name}: ${(await port.list({ service: s.name, ...s.container! })).length}`),
        );
        return { engine, per };
      });
      out.push({
        source: 'containers',
        reachable: r.ok,
        authenticated: r.ok ? true : /permission denied/i.test(r.ok ? '' : r.error) ? false : null,
        actions: mutations ?? 'recreate with an earlier local image, restart, restore',
        latencyMs: r.ms,
        detail: r.ok
          ? `${r.value.engine ? `${r.value.engine} · ` : ''}containers per service: ${r.value.per.join(', ')}`
          : r.error,
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
      detail: r.ok
        ? r.value
            .map((c) =>
              c.level === 'unknown'
                ? `${c.name} unreadable: ${c.error ?? 'unknown error'}`
                : `${c.name} ${c.daysLeft}d`,
            )
            .join(', ')
        : r.error,
    });
  }
  const secretPaths = [...new Set(cfg.services.flatMap((s) => s.secrets.map((x) => x.vaultPath)))];
  if (!read.secrets && (cfg.vault || secretPaths.length)) {
    out.push(notLoaded(rt, 'vault', 'secrets', 'none'));
  } else if (read.secrets) {
    const vault = read.secrets;
    const h = await timed(() => vault.health());
    if (!h.ok) {
      out.push({
        source: 'vault',
        reachable: false,
        authenticated: null,
        actions: 'none',
        latencyMs: h.ms,
        detail: h.error,
      });
    } else if (h.value.sealed || !h.value.initialized) {
      out.push({
        source: 'vault',
        reachable: false,
        authenticated: null,
        actions: 'none',
        latencyMs: h.ms,
        detail: !h.value.initialized
          ? 'Vault is not initialised (sys/health 501)'
          : 'Vault is SEALED (sys/health 503): unseal it with `vault operator unseal`',
      });
    } else {
      const t = await timed(() => vault.tokenInfo());
      const caps = await Promise.all(
        secretPaths.map(async (p) => {
          if (!vault.capabilities) return `${p}: ?`;
          const c = await vault.capabilities(p).catch((err: Error) => ({ data: [`error ${err.message}`] }));
          const can = c.data.includes('root') || (c.data.includes('update') && c.data.includes('read'));
          return can ? `kv write (cas) on ${p}` : `kv write DENIED on ${p} (${c.data.join(',') || 'none'})`;
        }),
      );
      const ttl = t.ok ? (t.value.ttlSeconds === 0 ? 'no expiry' : `${t.value.ttlSeconds}s`) : '';
      out.push({
        source: `vault${h.value.standby ? ' (standby)' : ''}`,
        reachable: t.ok,
        authenticated: t.ok ? true : /403|permission denied/i.test(t.error) ? false : null,
        actions: mutations ?? (caps.join('; ') || 'kv write (cas)'),
        latencyMs: h.ms + t.ms,
        detail: t.ok
          ? `sealed=false standby=${h.value.standby} token ttl ${ttl} policies ${t.value.policies.join(',')}`
          : t.error,
      });
    }
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
