/** A latency SLO (95% < 500 ms) flows from the metrics port through the source loop into state and status JSON. */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createAppStore } from '../../src/state/store.js';
import { startSources } from '../../src/state/sources.js';
import { statusJson } from '../../src/cli/status.js';
import { selectServiceRows } from '../../src/state/selectors.js';

describe('latency SLO', () => {
  it('is evaluated beside availability, pages on its own burn, and appears in status --json', async () => {
    const config = parseConfigText(
      'services:\n  - name: api\n    slo: {objective: 99.9, metric: http_requests_total, latency: {metric: http_request_duration_seconds, thresholdSeconds: 0.5, objective: 95}}\n',
      'c.yaml',
    );
    const store = createAppStore({
      config,
      mode: 'live',
      readOnly: true,
      contextName: 'c',
      configured: { metrics: true },
      now: 0,
    });
    const sources = startSources({
      store,
      config,
      now: () => 0,
      intervals: { metricsMs: 1e9, healthMs: 1e9, certsMs: 1e9, clockMs: 1e9 },
      ports: {
        metrics: {
          kind: 'metrics',
          // availability fine; latency: 80% of requests slower than 500 ms over 1 h and 5 m (burn 16× against a 5% budget)
          sloRatios: async () => ({
            api: {
              ratios: { '5m': 0.0001, '1h': 0.0001 },
              windowRatio: 0.0001,
              errorSeries: [],
              latency: { ratios: { '5m': 0.8, '1h': 0.8, '6h': 0.02 }, windowRatio: 0.01, errorSeries: [] },
            },
          }),
          alerts: async () => [],
          close: async () => undefined,
        },
      },
    });
    await sources.refreshNow();
    sources.stop();
    const slo = store.getState().slo.api!;
    expect(slo.alert).toBe('none');
    expect(slo.latency!.alert).toBe('page');
    expect(slo.latency!.burnRate1h).toBeCloseTo(16, 6);
    // 5% of 30 days = 2160 min; 1% spent → 20% of the budget used → 1728 min left.
    expect(slo.latency!.budgetRemainingMinutes).toBeCloseTo(1728, 6);
    const row = selectServiceRows(store.getState())[0]!;
    expect(row.summary).toEqual({
      state: 'critical',
      reasons: ['latency SLO (<500ms) burn 16.0× over 1h (page)'],
    });
    const json = statusJson(store.getState()).services[0]!;
    expect(json.slo!.latency).toEqual({
      objective: 95,
      thresholdSeconds: 0.5,
      sli: 99,
      budgetRemainingMinutes: 1728,
      burnRate1h: 16,
      burnRate6h: 0.4,
      alert: 'page',
    });
  });
});
