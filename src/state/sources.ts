/**
 * Watch and poll loops, outside React: they read ports and write store slices. Each loop records
 * success (updatedAt) or failure (error) for its source; a failing source never stops the others.
 */
import type { ReadPorts, WorkloadRef } from '../adapters/ports.js';
import type { WorkloadSnapshot } from '../domain/model.js';
import type { Config } from '../config/schema.js';
import { evaluateSlo, parseDuration, type BurnRule } from '../domain/slo.js';
import { sanitizeDeep, sanitizeText } from '../domain/sanitize.js';
import { redactSecrets } from '../domain/redact.js';
import { sourceFailed, sourceOk, type AppStore } from './store.js';

export interface SourceIntervals {
  metricsMs: number;
  healthMs: number;
  certsMs: number;
  clockMs: number;
}

export const DEFAULT_INTERVALS: SourceIntervals = {
  metricsMs: 30_000,
  healthMs: 10_000,
  certsMs: 300_000,
  clockMs: 1000,
};

export interface RunningSources {
  /** Poll every polled source now (after a mutation, or from tests). Resolves when all have answered. */
  refreshNow(): Promise<void>;
  stop(): void;
}

/** What an operator sees of a source failure: credentials redacted, control characters stripped. */
function errorText(err: unknown): string {
  return sanitizeText(redactSecrets(err instanceof Error ? err.message : String(err)), 300);
}

export function startSources(opts: {
  store: AppStore;
  ports: ReadPorts;
  config: Config;
  now: () => number;
  intervals?: Partial<SourceIntervals>;
}): RunningSources {
  const { store, ports, config, now } = opts;
  const iv = { ...DEFAULT_INTERVALS, ...opts.intervals };
  const stops: (() => void)[] = [];
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;

  // Cluster: watches.
  const k8sServices = config.services.filter((s) => s.kubernetes);
  if (ports.cluster && k8sServices.length) {
    const refs: WorkloadRef[] = k8sServices.map((s) => ({ ...s.kubernetes! }));
    const byRef = new Map(refs.map((r, i) => [r, k8sServices[i]!.name]));
    // Snapshots arrive in bursts (an informer relist touches every workload): apply each burst as ONE
    // store update, in arrival order, so selectors run once per burst instead of once per workload.
    const pending: ({ service: string; snap: WorkloadSnapshot } | { service: string; error: string })[] = [];
    const flush = () => {
      const ops = pending.splice(0);
      if (!ops.length || stopped) return;
      let hadSnapshot = false;
      store.setState((s) => {
        const workloads = { ...s.workloads };
        const workloadErrors = { ...s.workloadErrors };
        for (const op of ops) {
          if ('snap' in op) {
            workloads[op.service] = op.snap;
            delete workloadErrors[op.service];
            hadSnapshot = true;
          } else workloadErrors[op.service] = op.error;
        }
        return { workloads, workloadErrors };
      });
      if (hadSnapshot) sourceOk(store, 'cluster', now());
    };
    const enqueue = (op: (typeof pending)[number]) => {
      if (pending.push(op) === 1) queueMicrotask(flush);
    };
    stops.push(
      ports.cluster.watch(refs, {
        onSnapshot(ref, snap) {
          const service = byRef.get(ref);
          if (!service) return;
          enqueue({ service, snap: sanitizeDeep(snap) });
        },
        onError(ref, message) {
          const service = ref ? byRef.get(ref) : undefined;
          if (service) enqueue({ service, error: sanitizeText(message, 300) });
          else sourceFailed(store, 'cluster', errorText(message), now());
        },
      }),
    );
  }

  // Containers: event-driven watches.
  const ctrServices = config.services.filter((s) => s.container);
  if (ports.containers && ctrServices.length) {
    stops.push(
      ports.containers.watch(
        ctrServices.map((s) => ({ service: s.name, name: s.container!.name, label: s.container!.label })),
        {
          onContainers(service, list) {
            store.setState((s) => ({ containers: { ...s.containers, [service]: sanitizeDeep(list) } }));
            sourceOk(store, 'containers', now());
          },
          onError(message) {
            sourceFailed(store, 'containers', errorText(message), now());
          },
        },
      ),
    );
  }

  const polls: (() => Promise<void>)[] = [];

  // Metrics: SLO ratios (batched) and alerts.
  const sloServices = config.services.filter((s) => s.slo);
  if (ports.metrics) {
    const metricsPort = ports.metrics;
    polls.push(async () => {
      try {
        const at = now();
        const [ratios, alerts] = await Promise.all([
          metricsPort.sloRatios(
            sloServices.map((s) => ({ service: s.name, slo: s.slo! })),
            at,
          ),
          metricsPort.alerts(config.services.map((s) => s.name)),
        ]);
        const slo: Record<string, ReturnType<typeof evaluateSlo>> = {};
        for (const svc of sloServices) {
          const r = ratios[svc.name];
          if (!r) continue;
          const windowDays = parseDuration(svc.slo!.window) / 86400;
          const rules = svc.slo!.burnRules as BurnRule[] | undefined;
          const availability = evaluateSlo({
            objective: svc.slo!.objective,
            windowDays,
            ratios: r.ratios,
            windowRatio: r.windowRatio,
            errorSeries: r.errorSeries,
            rules,
          });
          const lat = svc.slo!.latency;
          slo[svc.name] =
            lat && r.latency
              ? {
                  ...availability,
                  latency: {
                    ...evaluateSlo({
                      objective: lat.objective,
                      windowDays,
                      ratios: r.latency.ratios,
                      windowRatio: r.latency.windowRatio,
                      errorSeries: r.latency.errorSeries,
                      rules,
                    }),
                    thresholdSeconds: lat.thresholdSeconds,
                  },
                }
              : availability;
        }
        store.setState({ slo, alerts: sanitizeDeep(alerts) });
        sourceOk(store, 'metrics', now());
      } catch (err) {
        sourceFailed(store, 'metrics', errorText(err), now());
      }
    });
  }

  // Health probes.
  const healthServices = config.services.filter((s) => s.health.length);
  if (ports.health && healthServices.length) {
    const healthPort = ports.health;
    polls.push(async () => {
      try {
        const results = await Promise.all(healthServices.map((s) => healthPort.probe(s.name, s.health)));
        store.setState((s) => {
          const health = { ...s.health };
          const healthLatency = { ...s.healthLatency };
          healthServices.forEach((svc, i) => {
            const r = sanitizeDeep(results[i]!);
            health[svc.name] = r;
            const lat = r[0]?.latencyMs;
            if (lat !== undefined)
              healthLatency[svc.name] = [...(s.healthLatency[svc.name] ?? []), lat].slice(-30);
          });
          return { health, healthLatency };
        });
        sourceOk(store, 'health', now());
      } catch (err) {
        sourceFailed(store, 'health', errorText(err), now());
      }
    });
  }

  // Certificates.
  const certServices = config.services.filter((s) => s.certificates.length);
  if (ports.certs && certServices.length) {
    const certPort = ports.certs;
    const pollCerts = async () => {
      try {
        const at = now();
        const results = await Promise.all(
          certServices.map((s) => certPort.probe(s.name, s.certificates, at)),
        );
        store.setState((s) => {
          const certs = { ...s.certs };
          certServices.forEach((svc, i) => (certs[svc.name] = sanitizeDeep(results[i]!)));
          return { certs };
        });
        sourceOk(store, 'certs', now());
      } catch (err) {
        sourceFailed(store, 'certs', errorText(err), now());
      }
    };
    polls.push(pollCerts);
  }

  const schedule = (fn: () => Promise<void>, ms: number) => {
    let running = false;
    const tick = () => {
      if (running || stopped) return;
      running = true;
      void fn().finally(() => (running = false));
    };
    setImmediate(tick);
    timers.push(setInterval(tick, ms));
  };
  const pollIntervals = [iv.metricsMs, iv.healthMs, iv.certsMs];
  let idx = 0;
  if (ports.metrics) schedule(polls[idx++]!, pollIntervals[0]!);
  if (ports.health && healthServices.length) schedule(polls[idx++]!, pollIntervals[1]!);
  if (ports.certs && certServices.length) schedule(polls[idx++]!, pollIntervals[2]!);
  timers.push(setInterval(() => store.setState({ now: now() }), iv.clockMs));

  return {
    async refreshNow() {
      await Promise.all(polls.map((p) => p()));
      store.setState({ now: now() });
    },
    stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      for (const s of stops) s();
    },
  };
}
