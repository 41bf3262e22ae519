/**
 * The certificate probe the app sees: each configured entry goes to its source and comes back in one model.
 *   {host, port, sni, caFile}    → a live TLS handshake (src/adapters/tls)
 *   {secret: {namespace, name}}  → ClusterReadPort.readTlsSecret (the PEM bundle of a kubernetes.io/tls Secret)
 *   {metric, name}               → MetricsReadPort.certExpiry (e.g. probe_ssl_earliest_cert_expiry)
 * Levels use the service's certThresholds (default warn ≤ 30 d, critical ≤ 7 d). Live probes share one bounded
 * pool across all services, each with a deadline, so a hanging server costs one slot for `timeoutMs` at most.
 * An entry that cannot be read comes back as a level-'unknown' view with `error`; probe() itself never rejects
 * because of one entry.
 */
import { readFile } from 'node:fs/promises';
import type { CertificateConfig, Config } from '../../config/schema.js';
import type { CertProbePort, ClusterReadPort, MetricsReadPort } from '../ports.js';
import type { CertView } from '../../domain/model.js';
import { DEFAULT_CERT_THRESHOLDS, certLevel, daysLeft, type CertThresholds } from '../../domain/certs.js';
import { probeTls, endpointName, DEFAULT_TLS_TIMEOUT_MS } from '../tls/probe.js';
import { chainViews, errorView, isSelfSigned, linkProblems, parsePemBundle } from '../tls/x509.js';
import { createLimiter, type Limiter } from '../tls/limit.js';

export interface CertProbeDeps {
  config: Pick<Config, 'services'>;
  /** Resolved at probe time: the cluster/metrics adapters may finish loading after this one. */
  cluster?: () => ClusterReadPort | undefined;
  metrics?: () => MetricsReadPort | undefined;
  /** Live handshakes in flight at once, across every service (default 32). */
  concurrency?: number;
  timeoutMs?: number;
  readTextFile?: (path: string) => Promise<string>;
}

type TlsEntry = Extract<CertificateConfig, { host: string }>;
type SecretEntry = Extract<CertificateConfig, { secret: unknown }>;
type MetricEntry = Extract<CertificateConfig, { metric: string }>;

export const DEFAULT_CERT_CONCURRENCY = 32;

export function createCertProbe(deps: CertProbeDeps): CertProbePort & { readonly limiter: Limiter } {
  const limiter = createLimiter(deps.concurrency ?? DEFAULT_CERT_CONCURRENCY);
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TLS_TIMEOUT_MS;
  const readText = deps.readTextFile ?? ((p: string) => readFile(p, 'utf8'));

  const thresholdsOf = (service: string): CertThresholds =>
    deps.config.services.find((s) => s.name === service)?.certThresholds ?? DEFAULT_CERT_THRESHOLDS;

  async function tlsEntry(e: TlsEntry, now: number, t: CertThresholds): Promise<CertView[]> {
    const port = e.port ?? 443;
    let ca: string | undefined;
    if (e.caFile) {
      try {
        ca = await readText(e.caFile);
      } catch (err) {
        const endpoint = endpointName({ host: e.host, port, sni: e.sni });
        return [
          errorView(
            { name: endpoint, source: 'tls', endpoint, now },
            `caFile ${e.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          ),
        ];
      }
    }
    return limiter.run(() =>
      probeTls({ host: e.host, port, sni: e.sni, ca }, { now, timeoutMs, thresholds: t }),
    );
  }

  async function secretEntry(
    service: string,
    e: SecretEntry,
    now: number,
    t: CertThresholds,
  ): Promise<CertView[]> {
    const namespace = e.secret.namespace ?? 'default';
    const endpoint = `${namespace}/${e.secret.name}`;
    const ctx = { name: `secret ${endpoint}`, source: 'kubernetes-secret' as const, endpoint, now };
    const cluster = deps.cluster?.();
    if (!cluster) return [errorView(ctx, 'no Kubernetes cluster is configured or reachable')];
    if (!cluster.readTlsSecret)
      return [errorView(ctx, 'the Kubernetes adapter of this build cannot read TLS Secrets')];
    try {
      const context = deps.config.services.find((s) => s.name === service)?.kubernetes?.context;
      const { certPem } = await cluster.readTlsSecret({ context, namespace, name: e.secret.name });
      const chain = parsePemBundle(certPem, `Secret ${endpoint} tls.crt`);
      const problems = [...linkProblems(chain)];
      if (isSelfSigned(chain[0]!)) problems.unshift('self-signed');
      return chainViews(chain, { ...ctx, thresholds: t }, problems);
    } catch (err) {
      return [errorView(ctx, `Secret ${endpoint}: ${(err as Error).message}`)];
    }
  }

  async function metricEntries(
    service: string,
    entries: MetricEntry[],
    now: number,
    t: CertThresholds,
  ): Promise<CertView[][]> {
    const ctxOf = (e: MetricEntry) => ({
      name: e.name,
      source: 'metric' as const,
      endpoint: e.metric,
      now,
    });
    const metrics = deps.metrics?.();
    if (!metrics) return entries.map((e) => [errorView(ctxOf(e), 'no Prometheus is configured')]);
    if (!metrics.certExpiry)
      return entries.map((e) => [
        errorView(ctxOf(e), 'the Prometheus adapter of this build cannot read certificate metrics'),
      ]);
    let byService: Record<string, CertView[]>;
    try {
      byService = await metrics.certExpiry(
        entries.map((e) => ({ service, name: e.name, metric: e.metric })),
        now,
      );
    } catch (err) {
      return entries.map((e) => [errorView(ctxOf(e), `Prometheus: ${(err as Error).message}`)]);
    }
    const views = byService[service] ?? [];
    return entries.map((e) => {
      const mine = views.filter(
        (v) => v.name === e.name || v.name.startsWith(`${e.name} `) || v.name.startsWith(`${e.name}{`),
      );
      if (mine.length === 0) return [errorView(ctxOf(e), `no sample of ${e.metric} for ${e.name}`)];
      // A view without an expiry (notAfter 0: no series) is an unreadable entry, not an expired certificate.
      const noData = mine.find((v) => !(v.notAfter > 0));
      if (noData)
        return [
          errorView(
            ctxOf(e),
            noData.problems[0] ?? `no data for ${e.metric} (target down or metric missing)`,
          ),
        ];
      // Recompute with this service's thresholds and the probe's clock.
      return mine.map((v) => ({
        ...v,
        source: 'metric' as const,
        endpoint: v.endpoint ?? e.metric,
        daysLeft: daysLeft(v.notAfter, now),
        level: certLevel(v.notAfter, now, t),
        problems: v.notAfter <= now ? [...v.problems.filter((p) => p !== 'expired'), 'expired'] : v.problems,
      }));
    });
  }

  return {
    kind: 'certs',
    limiter,
    async probe(service, certs, now) {
      const t = thresholdsOf(service);
      const metricList = certs.filter((c): c is MetricEntry => 'metric' in c);
      const metricResults = metricList.length
        ? metricEntries(service, metricList, now, t)
        : Promise.resolve([]);
      const perEntry = certs.map((c): Promise<CertView[]> => {
        if ('host' in c) return tlsEntry(c, now, t);
        if ('secret' in c) return secretEntry(service, c, now, t);
        return metricResults.then((r) => r[metricList.indexOf(c)] ?? []);
      });
      return (await Promise.all(perEntry)).flat();
    },
  };
}
