/**
 * The whole live path with a REAL Prometheus: config → loadAdapters (dynamic import of the Prometheus
 * adapter) → source loop → store → Overview and Service screens at 80 columns. Then Prometheus is stopped:
 * the screen says stale with the reason, and recovers when it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { requireBinaries } from '../helpers/backend.js';
import { startPrometheus, type BackfillSeries, type PrometheusServer } from '../helpers/prometheus-server.js';
import { KEYS, renderApp } from '../helpers/render-app.js';
import { runCli } from '../helpers/cli.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const END = Math.floor(Date.now() / 60_000) * 60;

function series(service: string, errorsPerMin: (t: number) => number): BackfillSeries[] {
  const ok: [number, number][] = [];
  const bad: [number, number][] = [];
  let o = 0;
  let b = 0;
  for (let t = END - 26 * 3600; t <= END; t += 60) {
    const e = errorsPerMin(t);
    o += 1000 - e;
    b += e;
    ok.push([t, o]);
    bad.push([t, b]);
  }
  return [
    { name: 'http_requests_total', labels: { service, code: '200' }, samples: ok },
    { name: 'http_requests_total', labels: { service, code: '500' }, samples: bad },
  ];
}

describe.runIf(requireBinaries(['prometheus', 'promtool']))('SLO screens on a real Prometheus', () => {
  let prom: PrometheusServer;

  beforeAll(async () => {
    prom = await startPrometheus({
      backfill: [
        // 20 errors/min (2%, 20x a 0.1% allowance) for the last 2 hours: pages.
        ...series('checkout', (t) => (t > END - 7200 ? 20 : 0)),
        ...series('search', () => 0),
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
  });

  it('shows burn, budget and the page on Overview and Service; stale and recovery when Prometheus stops', async () => {
    const shorthand = { objective: 99.9, metric: 'http_requests_total' };
    const config = configSchema.parse({
      readOnly: true,
      prometheus: { url: prom.url, timeout: '2s' },
      services: [
        { name: 'checkout', tier: 'production', slo: shorthand },
        { name: 'search', slo: shorthand },
        { name: 'idle', slo: shorthand },
      ],
    });
    const app = await renderApp({
      mode: 'live',
      config,
      readOnly: true,
      columns: 80,
      rows: 40,
      intervals: { metricsMs: 250, healthMs: 60_000, certsMs: 60_000, clockMs: 250 },
    });
    try {
      const overview = await app.waitForFrame(/checkout.*page/);
      expect(overview).toMatch(/›\s*checkout/); // worst first
      await app.press(KEYS.enter);
      const f = await app.waitForFrame('24h errors');
      const lines = f.split('\n');
      expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
      expect(f).toMatch(/SLO\s+99\.9% \/ 30d · SLI \d+\.\d+% · PAGE/);
      // Only 26 h of data: 2400 errors of 1.56 M requests over the SLO window is 1.54x the budget.
      expect(f).toMatch(/budget ░{30} overspent 2\d\.\dm\s*$/m);
      // every window pair, with the page rules firing
      expect(f).toMatch(/1h\/5m\s+20\.0×\s+20\.0×\s+>14\.4× page\s+FIRING/);
      expect(f).toMatch(/6h\/30m\s+\d+\.\d×\s+20\.0×\s+>6× page\s+FIRING/);
      expect(f).toMatch(/1d\/2h\s+\d+\.\d×\s+20\.0×\s+>3× ticket\s*$/m);
      expect(f).toMatch(/3d\/6h\s+\d+\.\d×\s+\d+\.\d×\s+>1× ticket/);
      expect(f).toMatch(/24h errors [▁▂▃▄▅▆▇█]{48} max 2\.00%/);

      await prom.kill();
      const stale = await app.waitForFrame(/metrics: stale .* — .*ECONNREFUSED/);
      expect(stale).toMatch(/stale \S+ — .*ECONNREFUSED/); // also inside the SLO section
      expect(stale).toContain('1h/5m'); // the last known numbers stay on screen

      await prom.restart();
      await app.waitForFrame((x) => x.includes('all sources fresh') && x.includes('FIRING'));

      await app.press(KEYS.esc);
      await app.waitForFrame(/idle.*no data/);
      // A healthy service: the full budget, nothing firing.
      await app.press('/');
      await app.type('search');
      await app.press(KEYS.enter);
      await app.waitForFrame(/›\s*search/);
      await app.press(KEYS.enter);
      const ok = await app.waitForFrame(/budget █{30} 43\.2m of 43\.2m/);
      expect(ok).toMatch(/SLI 100\.000% · ok/);
      expect(ok).not.toContain('FIRING');
    } finally {
      await app.cleanup();
    }
  });

  it('`oncall status --json` (the built binary) reports the SLO from Prometheus', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-prom-status-'));
    try {
      const file = join(dir, 'oncall.yaml');
      writeFileSync(
        file,
        `readOnly: true\nprometheus: {url: "${prom.url}"}\nservices:\n` +
          `  - name: checkout\n    slo: {objective: 99.9, metric: http_requests_total}\n` +
          `  - name: idle\n    slo: {objective: 99.9, metric: http_requests_total}\n`,
      );
      const r = runCli(['status', '--json', '--config', file], { env: { XDG_STATE_HOME: dir } });
      expect(r.code).toBe(2); // critical: paging
      const out = JSON.parse(r.stdout) as {
        sources: { metrics: { error: string | null } };
        services: { name: string; slo: Record<string, unknown> | null }[];
      };
      expect(out.sources.metrics.error).toBeNull();
      const checkout = out.services.find((x) => x.name === 'checkout')!.slo!;
      expect(checkout).toMatchObject({ objective: 99.9, alert: 'page' });
      expect(checkout.burnRate1h as number).toBeCloseTo(20, 1);
      expect(checkout.burnRate6h as number).toBeCloseTo(6.67, 1);
      expect(checkout.budgetRemainingMinutes as number).toBeLessThan(0);
      expect(out.services.find((x) => x.name === 'idle')!.slo).toMatchObject({
        sli: null,
        budgetRemainingMinutes: null,
        burnRate1h: null,
        alert: 'none',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
