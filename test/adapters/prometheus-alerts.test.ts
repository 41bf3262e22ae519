/**
 * Alerts and certificate expiry from a REAL Prometheus scraping a tiny live exporter started here.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../src/config/schema.js';
import { createPrometheusMetrics } from '../../src/adapters/prometheus/index.js';
import type { MetricsReadPort } from '../../src/adapters/ports.js';
import { PrometheusError, type PrometheusClient } from '../../src/adapters/prometheus/client.js';
import type { AlertView } from '../../src/domain/model.js';
import { requireBinaries } from '../helpers/backend.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.js';

const DAY = 86_400;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

describe.runIf(requireBinaries(['prometheus', 'promtool']))(
  'alerts and cert expiry from a real Prometheus',
  () => {
    let exporter: Server;
    let prom: PrometheusServer;
    let port: MetricsReadPort & { client: PrometheusClient };
    let config: Config;
    const nowS = Math.floor(Date.now() / 1000);
    let queueDepth = 120;

    beforeAll(async () => {
      exporter = createServer((req, res) => {
        if (req.url !== '/metrics') {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(
          [
            '# TYPE queue_depth gauge',
            `queue_depth{service="billing"} ${queueDepth}`,
            `queue_depth{app="checkout-v2"} 80`,
            // A label carrying terminal escape sequences (OSC 52 clipboard write, colour): must not reach the screen.
            `queue_depth{service="search",detail="ok\u001b]52;c;ZXZpbA==\u0007\u001b[31mred"} 60`,
            '# TYPE probe_ssl_earliest_cert_expiry gauge',
            `probe_ssl_earliest_cert_expiry{instance="127.0.0.1:18443",target="soon.test"} ${nowS + 5 * DAY}`,
            '# TYPE x509_cert_not_after gauge',
            `x509_cert_not_after{subject_CN="db.test",issuer_CN="Test CA",serial_number="1000"} ${nowS + 90 * DAY}`,
            `x509_cert_not_after{subject_CN="old.test",issuer_CN="Test CA",serial_number="1001"} ${nowS - 2 * DAY}`,
            '',
          ].join('\n'),
        );
      });
      await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', () => r()));
      const addr = exporter.address() as { port: number };
      prom = await startPrometheus({
        scrapeTargets: [{ job: 'exporter', targets: [`127.0.0.1:${addr.port}`] }],
        rules: {
          groups: [
            {
              name: 'oncall-test',
              interval: '1s',
              rules: [
                {
                  alert: 'QueueTooDeep',
                  expr: 'queue_depth > 50',
                  for: '0s',
                  labels: { severity: 'page' },
                  annotations: {
                    summary: 'queue depth {{ $value }} {{ $labels.detail }}',
                    runbook_url: 'https://runbooks.example.test/queue',
                  },
                },
                {
                  alert: 'QueueStuck',
                  expr: 'queue_depth{service="billing"} > 50',
                  for: '1h',
                  labels: { severity: 'ticket' },
                  annotations: { summary: 'queue not draining' },
                },
              ],
            },
          ],
        },
      });
      config = configSchema.parse({
        prometheus: { url: prom.url, timeout: '5s' },
        services: [
          { name: 'billing' },
          // joined through its SLO's serviceLabel/serviceValue rather than a `service` label
          {
            name: 'checkout',
            slo: {
              objective: 99.9,
              metric: 'http_requests_total',
              serviceLabel: 'app',
              serviceValue: 'checkout-v2',
            },
          },
          { name: 'search', certThresholds: { warnDays: 30, criticalDays: 3 } },
        ],
      });
      port = await createPrometheusMetrics(config);
    }, 60_000);

    afterAll(async () => {
      await port?.close();
      await prom?.stop();
      await new Promise((r) => exporter?.close(r));
    });

    it('waits for the rule to fire and joins each alert to its service', async () => {
      const alerts = await waitFor('QueueTooDeep firing for three services', async () => {
        const a = await port.alerts(config.services.map((s) => s.name));
        return a.filter((x) => x.name === 'QueueTooDeep' && x.state === 'firing').length === 3
          ? a
          : undefined;
      });
      const deep = (svc: string) =>
        alerts.find((a) => a.name === 'QueueTooDeep' && a.service === svc) as AlertView;
      expect(deep('billing')).toMatchObject({
        state: 'firing',
        severity: 'page',
        summary: 'queue depth 120 ',
        runbookUrl: 'https://runbooks.example.test/queue',
      });
      expect(deep('checkout').summary).toBe('queue depth 80 ');
      // Escape sequences from the exporter's label were stripped on the way in.
      expect(deep('search').summary).toBe('queue depth 60 okred');
      expect(JSON.stringify(alerts)).not.toMatch(/\u001b|\u0007/);
      expect(deep('billing').activeAt).toBeGreaterThan(Date.now() - 120_000);
      // The `for: 1h` rule is pending, listed after the firing ones.
      const stuck = alerts.find((a) => a.name === 'QueueStuck');
      expect(stuck).toMatchObject({ state: 'pending', severity: 'ticket', service: 'billing' });
      expect(alerts.indexOf(stuck!)).toBe(alerts.length - 1);
    });

    it('an alert for a service not asked about is not joined', async () => {
      const a = await port.alerts(['billing']);
      expect(a.find((x) => x.summary.startsWith('queue depth 80'))?.service).toBeUndefined();
    });

    it('the alert resolves when the exporter recovers', async () => {
      queueDepth = 10;
      await waitFor('billing alert gone', async () => {
        const a = await port.alerts(['billing']);
        return a.some((x) => x.service === 'billing' && x.name === 'QueueTooDeep') ? undefined : true;
      });
      queueDepth = 120;
    });

    it('reads certificate expiry from metrics, earliest first, with levels from the service thresholds', async () => {
      const certExpiry = port.certExpiry!;
      const certs = await waitFor('cert metrics scraped', async () => {
        const c = await certExpiry(
          [
            { service: 'search', name: 'edge', metric: 'probe_ssl_earliest_cert_expiry' },
            { service: 'billing', name: 'db', metric: 'x509_cert_not_after{subject_CN="db.test"}' },
            { service: 'billing', name: 'any x509', metric: 'x509_cert_not_after' },
            { service: 'billing', name: 'missing', metric: 'no_such_metric_seconds' },
          ],
          Date.now(),
        );
        return c.search?.[0]?.notAfter ? c : undefined;
      });
      const edge = certs.search![0]!;
      expect(edge).toMatchObject({ name: 'edge', source: 'metric', daysLeft: 4, level: 'warning' });
      expect(edge.notAfter).toBe((nowS + 5 * DAY) * 1000);
      const [db, anyX509, missing] = certs.billing!;
      expect(db).toMatchObject({ subject: 'CN=db.test', issuer: 'CN=Test CA', serial: '1000', level: 'ok' });
      expect(anyX509).toMatchObject({ subject: 'CN=old.test', level: 'critical' });
      expect(anyX509!.problems).toContain('expired');
      expect(missing).toMatchObject({ level: 'critical' });
      expect(missing!.problems[0]).toMatch(/no data for no_such_metric_seconds/);
    });

    it('lists rule groups with typed alerting rules, their health and state', async () => {
      const groups = await waitFor('rule evaluated', async () => {
        const g = await port.client.rules('alert');
        return g[0]?.rules.find((r) => r.name === 'QueueTooDeep')?.state === 'firing' ? g : undefined;
      });
      expect(groups.map((g) => g.name)).toEqual(['oncall-test']);
      const deep = groups[0]!.rules.find((r) => r.name === 'QueueTooDeep')!;
      expect(deep).toMatchObject({ type: 'alerting', health: 'ok', query: 'queue_depth > 50' });
      expect(deep.labels).toEqual({ severity: 'page' });
      expect(deep.alerts.length).toBeGreaterThanOrEqual(2);
      expect(deep.alerts.every((a) => a.state === 'firing')).toBe(true);
    });

    it('surfaces a Prometheus error body (bad PromQL) and parses matrices', async () => {
      const err = await port.client
        .query('sum(rate(queue_depth[5m]', Date.now() / 1000)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PrometheusError);
      expect((err as PrometheusError).errorType).toBe('bad_data');
      expect((err as PrometheusError).status).toBe(400);
      expect((err as PrometheusError).message).toMatch(/bad_data: .*parse error.* \(HTTP 400\)/);
      const end = Date.now() / 1000;
      const m = await port.client.queryRange('queue_depth{service="billing"}', end - 5, end, 1);
      expect(m).toHaveLength(1);
      expect(m[0]!.metric).toMatchObject({ __name__: 'queue_depth', service: 'billing', job: 'exporter' });
      expect(m[0]!.values.length).toBeGreaterThan(0);
      for (const [t, v] of m[0]!.values) {
        expect(t).toBeGreaterThan(end - 6);
        expect(typeof v).toBe('number');
      }
    });
  },
);
