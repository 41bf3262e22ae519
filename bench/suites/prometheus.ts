/**
 * Prometheus: PromQL requests per metrics refresh at 10 and at 200 services (must be equal: one query per
 * window for all services together) and refresh latency, against a REAL Prometheus with one day of
 * per-minute counters backfilled for 200 services. Requests are counted at the client (every HTTP attempt).
 */
import { missingBinaries } from '../../test/helpers/backend.js';
import { startPrometheus, type BackfillSeries } from '../../test/helpers/prometheus-server.js';
import { configSchema } from '../../src/config/schema.js';
import { createPrometheusMetrics } from '../../src/adapters/prometheus/index.js';
import type { BenchRow, BenchSuite } from '../types.js';

const GROUP = 'prometheus';
const SERVICES = 200;
const RUNS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function backfill(end: number): BackfillSeries[] {
  const series: BackfillSeries[] = [];
  const start = end - 86_400;
  for (let i = 0; i < SERVICES; i++) {
    const ok: [number, number][] = [];
    const bad: [number, number][] = [];
    let o = 0;
    let b = 0;
    for (let t = start; t <= end; t += 60) {
      ok.push([t, o]);
      bad.push([t, b]);
      o += 100 + (i % 7);
      b += i % 5 === 0 ? 1 : 0;
    }
    series.push({ name: 'http_requests_total', labels: { service: `svc-${i}`, code: '200' }, samples: ok });
    series.push({ name: 'http_requests_total', labels: { service: `svc-${i}`, code: '500' }, samples: bad });
  }
  return series;
}

export const prometheus: BenchSuite = {
  name: 'prometheus',
  async run(): Promise<BenchRow[]> {
    const missing = missingBinaries(['prometheus', 'promtool']);
    if (missing.length)
      return [
        {
          group: GROUP,
          measure: 'skipped',
          value: NaN,
          unit: '',
          note: `missing ${missing.join(', ')} — bash scripts/install-test-backends.sh`,
        },
      ];
    const end = Math.floor(Date.now() / 60_000) * 60 - 120;
    const prom = await startPrometheus({ backfill: backfill(end) });
    try {
      let requests = 0;
      const measure = async (n: number) => {
        const config = configSchema.parse({
          prometheus: { url: prom.url, timeout: '30s' },
          services: Array.from({ length: n }, (_, i) => ({
            name: `svc-${i}`,
            slo: { objective: 99.9, metric: 'http_requests_total' },
          })),
        });
        const port = await createPrometheusMetrics(config, { onRequest: () => requests++ });
        const slos = config.services.map((s) => ({ service: s.name, slo: s.slo! }));
        const names = config.services.map((s) => s.name);
        const refresh = () => Promise.all([port.sloRatios(slos, end * 1000), port.alerts(names)]);
        try {
          const first = await refresh(); // warm-up (and a sanity check that data came back)
          const withData = Object.values(first[0]).filter((r) => r.windowRatio !== null).length;
          if (withData !== n) throw new Error(`expected SLO data for ${n} services, got ${withData}`);
          const before = requests;
          await refresh();
          const perRefresh = requests - before;
          const ms: number[] = [];
          for (let i = 0; i < RUNS; i++) {
            const t0 = performance.now();
            await refresh();
            ms.push(performance.now() - t0);
          }
          // Floor: one trivial instant query over the same keep-alive pool.
          const floor: number[] = [];
          for (let i = 0; i < RUNS; i++) {
            const t0 = performance.now();
            await port.client.query('vector(1)');
            floor.push(performance.now() - t0);
          }
          return { perRefresh, ms: median(ms), floor: median(floor) };
        } finally {
          await port.close();
        }
      };
      const small = await measure(10);
      const large = await measure(SERVICES);
      return [
        {
          group: GROUP,
          measure: 'PromQL requests per refresh, 10 services',
          value: small.perRefresh,
          unit: 'req',
          note: '7 burn windows + 1 SLO window + 1 query_range (24 h series) + /api/v1/alerts',
        },
        {
          group: GROUP,
          measure: `PromQL requests per refresh, ${SERVICES} services`,
          value: large.perRefresh,
          unit: 'req',
          baseline: { label: '10 services', value: small.perRefresh },
          ratio: large.perRefresh / small.perRefresh,
          target: '= 10-service count',
          pass: large.perRefresh === small.perRefresh,
        },
        {
          group: GROUP,
          measure: 'refresh latency, 10 services (median)',
          value: small.ms,
          unit: 'ms',
          baseline: { label: 'one vector(1) query', value: small.floor },
          ratio: small.ms / small.floor,
        },
        {
          group: GROUP,
          measure: `refresh latency, ${SERVICES} services (median)`,
          value: large.ms,
          unit: 'ms',
          baseline: { label: '10 services', value: small.ms },
          ratio: large.ms / small.ms,
          target: '≤ 1000 ms',
          pass: large.ms <= 1000,
          note: `${SERVICES} services × 2 series, 1 day at 1/min backfilled; real Prometheus 2.x on 127.0.0.1`,
        },
      ];
    } finally {
      await prom.stop();
    }
  },
};
