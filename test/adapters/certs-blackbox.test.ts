/**
 * Certificate expiry from metrics, end to end with real components: the real blackbox exporter (tcp prober,
 * one module per SNI name, BACKENDS.md §4) probes the same real TLS servers, a real Prometheus scrapes it,
 * and the app reads `probe_ssl_earliest_cert_expiry` through the Prometheus adapter's certExpiry and the
 * composite certificate probe. The live TLS probe of the same endpoints is the cross-check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinaries } from '../helpers/backend.js';
import { createPki, DAY_MS, type Pki } from '../helpers/pki.js';
import { startSniServer, type RunningServer } from '../helpers/tls-server.js';
import { freePort, startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.js';
import { createPrometheusMetrics } from '../../src/adapters/prometheus/index.js';
import { createCertProbe } from '../../src/adapters/certs/index.js';
import { serviceSchema } from '../../src/config/schema.js';
import type { MetricsReadPort } from '../../src/adapters/ports.js';

const NAMES = ['app', 'warn', 'soon', 'expired', 'shortint', 'self'] as const;
/** The exporter refuses unverifiable certificates (no expiry metric), so these skip verification. */
const SKIP_VERIFY = new Set(['expired', 'self']);

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(requireBinaries(['openssl', 'prometheus', 'promtool', 'prometheus-blackbox-exporter']))(
  'certificate expiry through the blackbox exporter and a real Prometheus',
  () => {
    let pki: Pki;
    let sni: RunningServer;
    let bb: ChildProcess | undefined;
    let bbLog = '';
    let prom: PrometheusServer | undefined;
    let metrics: MetricsReadPort & { close(): Promise<void> };

    beforeAll(async () => {
      pki = createPki();
      sni = await startSniServer(pki);
      const modules = Object.fromEntries(
        NAMES.map((n) => [
          `tls_${n}`,
          {
            prober: 'tcp',
            timeout: '5s',
            tcp: {
              preferred_ip_protocol: 'ip4',
              tls: true,
              tls_config: {
                ca_file: pki.caFile,
                server_name: `${n}.test`,
                ...(SKIP_VERIFY.has(n) ? { insecure_skip_verify: true } : {}),
              },
            },
          },
        ]),
      );
      const bbFile = join(pki.dir, 'blackbox.yml');
      writeFileSync(bbFile, JSON.stringify({ modules }));
      const bbPort = await freePort();
      bb = spawn(
        'prometheus-blackbox-exporter',
        [`--config.file=${bbFile}`, `--web.listen-address=127.0.0.1:${bbPort}`],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      bb.stdout!.on('data', (d: Buffer) => (bbLog += d.toString()));
      bb.stderr!.on('data', (d: Buffer) => (bbLog += d.toString()));
      await waitFor('blackbox exporter', async () =>
        (await fetch(`http://127.0.0.1:${bbPort}/-/healthy`)).ok ? true : undefined,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${bbLog}`);
      });
      prom = await startPrometheus({
        scrapeTargets: NAMES.map((n) => ({
          job: `bb_${n}`,
          targets: [`127.0.0.1:${sni.port}`],
          metricsPath: '/probe',
          params: { module: [`tls_${n}`] },
          relabelConfigs: [
            { source_labels: ['__address__'], target_label: '__param_target' },
            { source_labels: ['__param_target'], target_label: 'instance' },
            { target_label: '__address__', replacement: `127.0.0.1:${bbPort}` },
          ],
        })),
      });
      // Wait on content: every module has been scraped.
      await waitFor('probe_ssl_earliest_cert_expiry for every module', async () => {
        const u = new URL('/api/v1/query', prom!.url);
        u.searchParams.set('query', 'count(probe_ssl_earliest_cert_expiry)');
        const body = (await (await fetch(u)).json()) as { data: { result: { value: [number, string] }[] } };

        return Number(body.data.result[0]?.value[1] ?? 0) === NAMES.length ? true : undefined;
      });
      metrics = await createPrometheusMetrics({
        prometheus: { url: prom.url, timeout: '10s', refresh: '30s' },
        services: [],
      });
    }, 90_000);

    afterAll(async () => {
      await metrics?.close();
      await prom?.stop();
      if (bb && bb.exitCode === null) {
        const exited = new Promise((r) => bb!.once('exit', r));
        bb.kill('SIGTERM');
        await exited;
      }
      await sni?.close();
      pki?.cleanup();
    });

    const config = {
      services: [
        serviceSchema.parse({ name: 'web' }),
        serviceSchema.parse({ name: 'strict', certThresholds: { warnDays: 100, criticalDays: 30 } }),
      ],
    };

    it('reads the exporter metric through Prometheus: exact expiry, days and levels for every case', async () => {
      const probe = createCertProbe({ config, metrics: () => metrics });
      // The query runs at the app's clock, which must be after the scrapes: a little after pki.now (less than a
      // day), so every whole-day count is one below the certificate's nominal validity.
      const now = Date.now();
      expect(now - pki.now).toBeGreaterThan(0);
      expect(now - pki.now).toBeLessThan(DAY_MS);
      const views = await probe.probe(
        'web',
        NAMES.map((n) => ({
          metric: `probe_ssl_earliest_cert_expiry{job="bb_${n}"}`,
          name: `${n} (blackbox)`,
        })),
        now,
      );
      expect(views.map((v) => [v.name, v.source, v.daysLeft, v.level, v.error])).toEqual([
        ['app (blackbox)', 'metric', 89, 'ok', undefined],
        ['warn (blackbox)', 'metric', 19, 'warning', undefined],
        ['soon (blackbox)', 'metric', 2, 'critical', undefined],
        ['expired (blackbox)', 'metric', -31, 'critical', undefined],
        // Earliest of all certificates sent: the short intermediate (10 d), not the 90-day leaf.
        ['shortint (blackbox)', 'metric', 9, 'warning', undefined],
        ['self (blackbox)', 'metric', 29, 'warning', undefined],
      ]);
      expect(views[0]!.notAfter).toBe(pki.leaves.app!.notAfter);
      expect(views[4]!.notAfter).toBe(pki.shortIntNotAfter);
      expect(views[3]!.problems).toContain('expired');
    });

    it('agrees with the live TLS probe of the same endpoints (earliest expiry of the chain sent)', async () => {
      const probe = createCertProbe({ config, metrics: () => metrics });
      for (const n of ['app', 'soon', 'shortint'] as const) {
        const [viaMetric] = await probe.probe(
          'web',
          [{ metric: `probe_ssl_earliest_cert_expiry{job="bb_${n}"}`, name: n }],
          Date.now(),
        );
        const live = await probe.probe(
          'web',
          [{ host: '127.0.0.1', port: sni.port, sni: `${n}.test`, caFile: pki.caFile }],
          Date.now(),
        );
        const sent = live.filter((v) => v.subject !== 'CN=test root'); // the root comes from the trust store
        expect(viaMetric!.notAfter).toBe(Math.min(...sent.map((v) => v.notAfter)));
      }
    });

    it('per-service thresholds apply to metric certificates; a missing series is an error, not an expiry', async () => {
      const probe = createCertProbe({ config, metrics: () => metrics });
      const views = await probe.probe(
        'strict',
        [
          { metric: 'probe_ssl_earliest_cert_expiry{job="bb_app"}', name: 'app' },
          { metric: 'probe_ssl_earliest_cert_expiry{job="no_such_job"}', name: 'ghost' },
        ],
        Date.now(),
      );
      expect(views[0]).toMatchObject({ daysLeft: 89, level: 'warning', notAfter: pki.leaves.app!.notAfter });
      expect(views[1]!.level).toBe('unknown');
      expect(views[1]!.error).toMatch(/^no data for probe_ssl_earliest_cert_expiry\{job="no_such_job"\}/);
    });
  },
);
