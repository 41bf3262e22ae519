import { describe, expect, it } from 'vitest';
import { compareServices, summarizeService } from '../../src/domain/service-state.js';
import { certLevel, daysLeft } from '../../src/domain/certs.js';
import { evaluateSlo } from '../../src/domain/slo.js';

const DAY = 86_400_000;

describe('certificate levels', () => {
  const now = Date.UTC(2026, 10, 26);
  it.each([
    [90, 'ok', 90],
    [31, 'ok', 31],
    [30, 'warning', 30],
    [8, 'warning', 8],
    [7, 'critical', 7],
    [0.5, 'critical', 0],
    [-1, 'critical', -1],
  ])('%d days → %s', (days, level, left) => {
    expect(certLevel(now + days * DAY, now)).toBe(level);
    expect(daysLeft(now + days * DAY, now)).toBe(left);
  });
});

describe('service summary', () => {
  it('no facts is unknown, never OK', () => {
    expect(summarizeService({ name: 'x' })).toEqual({ state: 'unknown', reasons: ['no data yet'] });
  });
  it('a paging SLO is critical and says why', () => {
    const slo = evaluateSlo({
      objective: 99.9,
      windowDays: 30,
      ratios: { '1h': 0.02, '5m': 0.03 },
      windowRatio: 0.0005,
    });
    const s = summarizeService({ name: 'api', slo });
    expect(s.state).toBe('critical');
    expect(s.reasons[0]).toBe('SLO burn 20.0× over 1h (page)');
  });
  it('a source error is visible as unknown without hiding real problems', () => {
    const s = summarizeService({
      name: 'api',
      sourceErrors: ['metrics: connection refused'],
      health: [{ url: 'u', name: 'healthz', state: 'critical', error: 'HTTP 503', checks: [], at: 0 }],
    });
    expect(s.state).toBe('critical');
    expect(s.reasons).toEqual(['healthz HTTP 503', 'metrics: connection refused']);
  });
  it('orders worst first, then by name', () => {
    const rows = [
      { name: 'b', summary: { state: 'ok' as const, reasons: [] } },
      { name: 'a', summary: { state: 'warning' as const, reasons: [] } },
      { name: 'c', summary: { state: 'critical' as const, reasons: [] } },
      { name: 'd', summary: { state: 'unknown' as const, reasons: [] } },
    ];
    expect(rows.sort(compareServices).map((r) => r.name)).toEqual(['c', 'a', 'd', 'b']);
  });
});

describe('health descriptions', () => {
  const ep = (
    name: string,
    state: 'ok' | 'warning' | 'critical',
    extra: Partial<import('../../src/domain/model.js').HealthCheckResult> = {},
  ) => ({
    url: `http://127.0.0.1/${name}`,
    name,
    state,
    checks: [],
    at: 0,
    ...extra,
  });
  it('names the failing checks and the errors of each endpoint that is not OK', async () => {
    const { describeUnhealthy, failingChecks } = await import('../../src/domain/service-state.js');
    const ready = ep('ready', 'warning', {
      checks: [
        { name: 'db', status: 'ok', ok: true },
        { name: 'cache', status: 'degraded', ok: false },
      ],
    });
    expect(failingChecks(ready)).toEqual(['cache=degraded']);
    expect(
      describeUnhealthy([ep('healthz', 'critical', { error: 'HTTP 503' }), ready, ep('live', 'ok')]),
    ).toBe('healthz: HTTP 503; ready: cache=degraded');
    expect(describeUnhealthy([ep('live', 'ok')])).toBe('');
  });
});

describe('production contexts', () => {
  it('match the config globs exactly: dots are literal, * and ? are wildcards', async () => {
    const { matchGlob } = await import('../../src/state/selectors.js');
    expect(matchGlob('*-prod-*', 'sandbox-prod-eu1')).toBe(true);
    expect(matchGlob('prod.eu', 'prod.eu')).toBe(true);
    expect(matchGlob('prod.eu', 'prodXeu')).toBe(false);
    expect(matchGlob('prod-?', 'prod-1')).toBe(true);
    expect(matchGlob('prod', 'preprod')).toBe(false);
  });
});
