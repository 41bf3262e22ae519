/**
 * SLOs against a REAL Prometheus with 30 days of backfilled synthetic counters. Every expected number is
 * worked out by hand below from the generated increments (1 sample per minute; the query time is aligned to
 * a sample, so rate() does not extrapolate and ratios are exact).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../src/config/schema.js';
import { createPrometheusMetrics } from '../../src/adapters/prometheus/index.js';
import type { MetricsReadPort, SloWindowRatios } from '../../src/adapters/ports.js';
import { evaluateSlo, parseDuration, burnRulesFor, type BurnRule } from '../../src/domain/slo.js';
import type { SloStatus } from '../../src/domain/model.js';
import { requireBinaries } from '../helpers/backend.js';
import { startPrometheus, type BackfillSeries, type PrometheusServer } from '../helpers/prometheus-server.js';

const MIN = 60;
const HOUR = 3600;
const DAY = 86400;
// Query time: a whole hour, two hours ago (samples are aligned to it).
const T = Math.floor(Date.now() / 1000 / HOUR) * HOUR - 2 * HOUR;
const START = T - 30 * DAY - HOUR;

/** A counter sampled every minute from START to T; `inc(t)` is the increase reported at sample t. */
function counter(name: string, labels: Record<string, string>, inc: (t: number) => number, base = 0) {
  const samples: [number, number][] = [];
  let v = base;
  for (let t = START; t <= T; t += MIN) {
    if (t > START) v += inc(t);
    samples.push([t, v]);
  }
  return { name, labels, samples } satisfies BackfillSeries;
}

/** Errors per minute for each service (the 200-series gets 1000 - errors, so traffic stays 1000/min). */
const ERRORS: Record<string, (t: number) => number> = {
  // Incident ten days ago: 100 errors/min for 60 min; a spike from T-50m to T-10m at 30/min (40 samples).
  spike: (t) =>
    (t > T - 10 * DAY && t <= T - 10 * DAY + HOUR ? 100 : 0) +
    (t > T - 50 * MIN && t <= T - 10 * MIN ? 30 : 0),
  // Slow burn: 2 errors/min for the last two days.
  slowburn: (t) => (t > T - 2 * DAY ? 2 : 0),
  // Fast burn: 20 errors/min for the last two hours.
  burning: (t) => (t > T - 2 * HOUR ? 20 : 0),
  // Latency service: no availability errors at all.
  search: () => 0,
};

function backfill(): BackfillSeries[] {
  const series: BackfillSeries[] = [];
  for (const [service, err] of Object.entries(ERRORS)) {
    series.push(counter('http_requests_total', { service, code: '200' }, (t) => 1000 - err(t)));
    series.push(counter('http_requests_total', { service, code: '500' }, err));
  }
  // idle: the series exist but never move (no traffic at all).
  series.push(counter('http_requests_total', { service: 'idle', code: '200' }, () => 0, 5));
  series.push(counter('http_requests_total', { service: 'idle', code: '500' }, () => 0, 0));
  // legacy: custom queries, 100 requests/min, 1 error/min.
  series.push(counter('legacy_requests_total', { job: 'legacy' }, () => 100));
  series.push(counter('legacy_errors_total', { job: 'legacy' }, () => 1));
  // search latency histogram: 100 req/min; <=0.1s 50; <=0.5s 97 (90 in the last hour).
  const h = 'http_request_duration_seconds';
  series.push(counter(`${h}_bucket`, { service: 'search', le: '0.1' }, () => 50));
  series.push(counter(`${h}_bucket`, { service: 'search', le: '0.5' }, (t) => (t > T - HOUR ? 90 : 97)));
  series.push(counter(`${h}_bucket`, { service: 'search', le: '+Inf' }, () => 100));
  series.push(counter(`${h}_count`, { service: 'search' }, () => 100));
  return series;
}

function makeConfig(url: string): Config {
  const shorthand = { objective: 99.9, metric: 'http_requests_total' };
  return configSchema.parse({
    prometheus: { url, timeout: '20s' },
    services: [
      { name: 'spike', slo: shorthand },
      { name: 'slowburn', slo: shorthand },
      { name: 'burning', slo: shorthand },
      {
        name: 'search',
        slo: {
          ...shorthand,
          latency: { metric: 'http_request_duration_seconds', thresholdSeconds: 0.5, objective: 95 },
        },
      },
      { name: 'idle', slo: shorthand },
      { name: 'ghost', slo: shorthand },
      {
        name: 'legacy',
        slo: {
          objective: 99.5,
          errorQuery: 'sum(rate(legacy_errors_total[$window]))',
          totalQuery: 'sum(rate(legacy_requests_total[$window]))',
          burnRules: [{ long: '1h', short: '5m', threshold: 1.5, severity: 'page' }],
        },
      },
    ],
  });
}

function evaluate(config: Config, name: string, r: SloWindowRatios): SloStatus {
  const slo = config.services.find((s) => s.name === name)!.slo!;
  return evaluateSlo({
    objective: slo.objective,
    windowDays: parseDuration(slo.window) / DAY,
    ratios: r.ratios,
    windowRatio: r.windowRatio,
    errorSeries: r.errorSeries,
    rules: slo.burnRules as BurnRule[] | undefined,
  });
}

const burns = (s: SloStatus) =>
  Object.fromEntries(s.windows.map((w) => [`${w.long}/${w.short}`, [w.longBurn, w.shortBurn]]));

describe.runIf(requireBinaries(['prometheus', 'promtool']))(
  'SLOs on a real Prometheus (30 days backfilled)',
  () => {
    let prom: PrometheusServer;
    let config: Config;
    let port: MetricsReadPort & { client: { requestCount: number } };
    let result: Record<string, SloWindowRatios>;
    let requests: number;

    beforeAll(async () => {
      prom = await startPrometheus({ backfill: backfill() });
      config = makeConfig(prom.url);
      port = await createPrometheusMetrics(config);
      const before = port.client.requestCount;
      result = await port.sloRatios(
        config.services.map((s) => ({ service: s.name, slo: s.slo! })),
        T * 1000,
      );
      requests = port.client.requestCount - before;
    }, 120_000);

    afterAll(async () => {
      await port?.close();
      await prom?.stop();
    });

    it('a short spike burns 20x over 1 h but its 5 m window recovered: no page', () => {
      const s = evaluate(config, 'spike', result.spike!);
      // 1200 errors (40 min x 30) of 60 000 requests = 2% -> 20x a 0.1% allowance.
      expect(s.burnRate1h).toBeCloseTo(20, 4);
      expect(burns(s)['1h/5m']![1]).toBeCloseTo(0, 4); // no error since T-10m
      expect(burns(s)['6h/30m']![0]).toBeCloseTo(1200 / 360_000 / 0.001, 4); // 3.3333
      expect(burns(s)['6h/30m']![1]).toBeCloseTo(600 / 30_000 / 0.001, 4); // 20
      expect(burns(s)['1d/2h']![0]).toBeCloseTo(1200 / 1_440_000 / 0.001, 4); // 0.8333
      expect(burns(s)['1d/2h']![1]).toBeCloseTo(10, 4);
      expect(burns(s)['3d/6h']![0]).toBeCloseTo(1200 / 4_320_000 / 0.001, 4); // 0.2778
      expect(s.alert).toBe('none');
      // 30 d: 6000 (old incident) + 1200 errors of 43.2 M requests -> 1/6 of the budget used.
      expect(s.budgetTotalMinutes).toBeCloseTo(43.2, 4);
      expect(s.budgetUsedFraction).toBeCloseTo(7200 / 43_200_000 / 0.001, 4);
      expect(s.budgetRemainingMinutes).toBeCloseTo(36, 4);
      expect(s.sli).toBeCloseTo(100 - (7200 / 43_200_000) * 100, 4);
      // 5/6 of 720 h left, burning at 20x: 30 h.
      expect(s.exhaustionHours).toBeCloseTo(30, 4);
    });

    it('a slow burn (2x for two days) only tickets', () => {
      const s = evaluate(config, 'slowburn', result.slowburn!);
      for (const [name, [long, short]] of Object.entries(burns(s))) {
        if (name === '3d/6h') {
          expect(long).toBeCloseTo(5760 / 4_320_000 / 0.001, 4); // 1.3333
          expect(short).toBeCloseTo(2, 4);
        } else {
          expect(long).toBeCloseTo(2, 4);
          expect(short).toBeCloseTo(2, 4);
        }
      }
      expect(s.alert).toBe('ticket');
      expect(s.windows.filter((w) => w.firing).map((w) => `${w.long}/${w.short}`)).toEqual(['3d/6h']);
      expect(s.budgetRemainingMinutes).toBeCloseTo(43.2 * (1 - 5760 / 43_200_000 / 0.001), 4); // 37.44
      expect(s.exhaustionHours).toBeCloseTo(((1 - 0.133333333) * 720) / 2, 3); // 312 h
      expect(s.exhaustionHours).toBeCloseTo(312, 4);
    });

    it('a sustained fast burn pages', () => {
      const s = evaluate(config, 'burning', result.burning!);
      expect(s.burnRate1h).toBeCloseTo(20, 4);
      expect(burns(s)['1h/5m']![1]).toBeCloseTo(20, 4);
      expect(s.burnRate6h).toBeCloseTo(2400 / 360_000 / 0.001, 4); // 6.6667
      expect(burns(s)['1d/2h']![0]).toBeCloseTo(2400 / 1_440_000 / 0.001, 4); // 1.6667
      expect(burns(s)['3d/6h']![0]).toBeCloseTo(2400 / 4_320_000 / 0.001, 4); // 0.5556
      expect(s.alert).toBe('page');
      expect(s.windows.filter((w) => w.firing).map((w) => `${w.long}/${w.short}`)).toEqual([
        '1h/5m',
        '6h/30m',
      ]);
      expect(s.budgetRemainingMinutes).toBeCloseTo(43.2 * (1 - 2400 / 43_200_000 / 0.001), 4); // 40.8
      expect(s.exhaustionHours).toBeCloseTo(34, 4);
      // The 24 h sparkline: 48 half-hour points, the last four at 2% (the burn started 2 h ago).
      expect(s.errorSeries).toHaveLength(48);
      expect(s.errorSeries.slice(-4).map((x) => Number(x.toFixed(6)))).toEqual([0.02, 0.02, 0.02, 0.02]);
      expect(s.errorSeries.slice(0, 44).every((x) => x === 0)).toBe(true);
    });

    it('a latency SLO from histogram buckets (95% under 500 ms)', () => {
      const lat = result.search!.latency!;
      expect(lat).toBeDefined();
      const slo = config.services.find((x) => x.name === 'search')!.slo!;
      const s = evaluateSlo({
        objective: slo.latency!.objective,
        windowDays: 30,
        ratios: lat.ratios,
        windowRatio: lat.windowRatio,
        errorSeries: lat.errorSeries,
      });
      // Slow share: 10% in the last hour, 3% before. Allowance 5%.
      expect(lat.ratios['1h']).toBeCloseTo(0.1, 4);
      expect(s.burnRate1h).toBeCloseTo(2, 4);
      expect(lat.ratios['2h']).toBeCloseTo(780 / 12_000, 4);
      expect(s.burnRate6h).toBeCloseTo(1500 / 36_000 / 0.05, 4); // 0.8333
      expect(lat.ratios['1d']).toBeCloseTo(4740 / 144_000, 4);
      expect(lat.ratios['3d']).toBeCloseTo(13_380 / 432_000, 4);
      expect(lat.windowRatio).toBeCloseTo(130_020 / 4_320_000, 4);
      expect(s.budgetTotalMinutes).toBeCloseTo(2160, 4);
      expect(s.budgetRemainingMinutes).toBeCloseTo(2160 * (1 - 130_020 / 4_320_000 / 0.05), 4); // 859.8
      expect(s.alert).toBe('none');
      // Its availability SLO has traffic and no errors: the whole budget is left.
      const a = evaluate(config, 'search', result.search!);
      expect(a.budgetRemainingMinutes).toBeCloseTo(43.2, 4);
      expect(a.burnRate1h).toBeCloseTo(0, 4);
    });

    it('no traffic is "no data", not a division by zero', () => {
      for (const name of ['idle', 'ghost']) {
        const r = result[name]!;
        expect(Object.values(r.ratios).every((v) => v === null)).toBe(true);
        expect(r.windowRatio).toBeNull();
        const s = evaluate(config, name, r);
        expect(s.noData).toBe(true);
        expect(s.sli).toBeNull();
        expect(s.budgetRemainingMinutes).toBeNull();
        expect(s.burnRate1h).toBeNull();
        expect(s.alert).toBe('none');
        expect(s.errorSeries).toEqual([]);
      }
    });

    it('custom errorQuery/totalQuery and a per-service burnRules override', () => {
      const s = evaluate(config, 'legacy', result.legacy!);
      // 1% errors against a 0.5% allowance: burn 2 everywhere; the override pages above 1.5x on 1h/5m.
      expect(s.burnRate1h).toBeCloseTo(2, 4);
      expect(s.windows).toHaveLength(1);
      expect(s.alert).toBe('page');
      // With the default rules the same ratios only ticket (3d/6h at 2x > 1x).
      const d = evaluateSlo({
        ...{ objective: 99.5, windowDays: 30 },
        ratios: result.legacy!.ratios,
        windowRatio: result.legacy!.windowRatio,
      });
      expect(d.alert).toBe('ticket');
      expect(s.budgetTotalMinutes).toBeCloseTo(216, 4);
      expect(s.budgetRemainingMinutes).toBeCloseTo(-216, 4); // overspent twice over
      expect(s.exhaustionHours).toBe(0);
      expect(burnRulesFor(config.services.find((x) => x.name === 'legacy')!.slo)).toHaveLength(1);
    });

    it('asks one query per window for all services together', async () => {
      // 7 burn windows + 1 SLO window (30d) + 1 query_range: 9, whatever the number of services.
      expect(requests).toBe(9);
      const many = Array.from({ length: 60 }, (_, i) => ({
        service: `svc-${i}`,
        slo: config.services[0]!.slo!,
      }));
      const before = port.client.requestCount;
      const r = await port.sloRatios(many, T * 1000);
      expect(port.client.requestCount - before).toBe(9);
      expect(Object.keys(r)).toHaveLength(60);
      expect(r['svc-0']!.windowRatio).toBeNull(); // no such series: no data
    });
  },
);
