/** Pure SLO maths: budget, burn rates, multi-window multi-burn-rate rules, exhaustion, overrides. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  budgetMinutes,
  budgetMinutesPerHour,
  burnRate,
  burnRulesFor,
  DEFAULT_BURN_RULES,
  errorRatio,
  evaluateSlo,
  exhaustionAt,
  parseDuration,
  windowsOf,
  windowSeconds,
  type BurnRule,
  type WindowName,
} from '../../src/domain/slo.js';
import {
  leMatcher,
  planSlo,
  ratioFromParts,
  selector,
  splitByService,
} from '../../src/adapters/prometheus/queries.js';
import { configSchema } from '../../src/config/schema.js';
import { checkSloQueries } from '../../src/adapters/prometheus/index.js';

const flat = (ratio: number | null): Partial<Record<WindowName, number | null>> =>
  Object.fromEntries((['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const).map((w) => [w, ratio]));

describe('error budget', () => {
  it('99.9% over 30 days is 43.2 minutes; 99.5% is 216; 99% over 28 days is 403.2', () => {
    expect(budgetMinutes(99.9, 30)).toBeCloseTo(43.2, 10);
    expect(budgetMinutes(99.5, 30)).toBeCloseTo(216, 10);
    expect(budgetMinutes(99, 28)).toBeCloseTo(403.2, 10);
  });

  it('remaining minutes, used fraction and SLI from the window ratio', () => {
    const s = evaluateSlo({ objective: 99.9, windowDays: 30, ratios: flat(0), windowRatio: 0.00025 });
    expect(s.budgetUsedFraction).toBeCloseTo(0.25, 10);
    expect(s.budgetRemainingMinutes).toBeCloseTo(32.4, 10);
    expect(s.sli).toBeCloseTo(99.975, 10);
    expect(s.noData).toBe(false);
  });

  it('an overspent budget goes negative and is already exhausted', () => {
    const s = evaluateSlo({ objective: 99.9, windowDays: 30, ratios: flat(0.002), windowRatio: 0.0015 });
    expect(s.budgetRemainingMinutes).toBeCloseTo(-21.6, 10);
    expect(s.exhaustionHours).toBe(0);
  });
});

describe('burn rate', () => {
  it('is the error ratio over the allowance', () => {
    expect(burnRate(0.0144, 99.9)).toBeCloseTo(14.4, 10);
    expect(burnRate(0.001, 99.9)).toBeCloseTo(1, 10);
    expect(burnRate(0, 99.9)).toBe(0);
    expect(burnRate(null, 99.9)).toBeNull();
    expect(burnRate(NaN, 99.9)).toBeNull();
    expect(burnRate(0.5, 100)).toBeNull();
  });

  it('burn 1 spends exactly the budget over the window; budget minutes per hour scale with burn', () => {
    expect(budgetMinutesPerHour(1, 99.9, 30) * 30 * 24).toBeCloseTo(43.2, 10);
    expect(budgetMinutesPerHour(14.4, 99.9, 30)).toBeCloseTo(0.864, 10); // 2% of the budget per hour
  });

  it('error ratio is null without traffic (no division by zero) and clamped', () => {
    expect(errorRatio(0, 0)).toBeNull();
    expect(errorRatio(3, 0)).toBeNull();
    expect(errorRatio(0, undefined)).toBeNull();
    expect(errorRatio(1, NaN)).toBeNull();
    expect(errorRatio(undefined, 10)).toBe(0);
    expect(errorRatio(1, 4)).toBe(0.25);
    expect(errorRatio(5, 4)).toBe(1);
    expect(errorRatio(-1, 4)).toBe(0);
  });
});

describe('multi-window multi-burn-rate (SRE workbook defaults)', () => {
  it('has the workbook defaults: page 14.4x 1h/5m and 6x 6h/30m, ticket 3x 1d/2h and 1x 3d/6h', () => {
    expect(DEFAULT_BURN_RULES.map((r) => `${r.severity} ${r.threshold} ${r.long}/${r.short}`)).toEqual([
      'page 14.4 1h/5m',
      'page 6 6h/30m',
      'ticket 3 1d/2h',
      'ticket 1 3d/6h',
    ]);
    expect(windowsOf(DEFAULT_BURN_RULES)).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
    expect(windowSeconds('3d')).toBe(259_200);
  });

  it('pages only when both the long and the short window burn above the threshold', () => {
    const base = { objective: 99.9, windowDays: 30, windowRatio: 0.0001 };
    // 1h at 20x but the last 5 minutes recovered: no page.
    const recovered = evaluateSlo({ ...base, ratios: { ...flat(0), '1h': 0.02, '5m': 0.0001 } });
    expect(recovered.alert).toBe('none');
    expect(recovered.windows[0]).toMatchObject({ longBurn: 20, firing: false });
    const both = evaluateSlo({ ...base, ratios: { ...flat(0), '1h': 0.02, '5m': 0.015 } });
    expect(both.alert).toBe('page');
    // Exactly at the threshold does not fire (strictly above).
    const edge = evaluateSlo({ ...base, ratios: { ...flat(0), '1h': 0.0144, '5m': 0.0144 } });
    expect(edge.windows[0]!.firing).toBe(false);
  });

  it('a slow burn tickets, a page outranks a ticket', () => {
    const slow = evaluateSlo({
      objective: 99.9,
      windowDays: 30,
      ratios: { ...flat(0.0015) },
      windowRatio: 0.0002,
    });
    expect(slow.alert).toBe('ticket');
    expect(slow.windows.filter((w) => w.firing).map((w) => w.long)).toEqual(['3d']);
    const both = evaluateSlo({ objective: 99.9, windowDays: 30, ratios: flat(0.02), windowRatio: 0.0002 });
    expect(both.windows.every((w) => w.firing)).toBe(true);
    expect(both.alert).toBe('page');
  });

  it('a missing window never fires its rule', () => {
    const s = evaluateSlo({ objective: 99.9, windowDays: 30, ratios: { '1h': 0.5 }, windowRatio: null });
    expect(s.alert).toBe('none');
    expect(s.windows[0]).toMatchObject({ longBurn: 500, shortBurn: null, firing: false });
  });

  it('per-service burnRules override the defaults', () => {
    const rules: BurnRule[] = [{ long: '2h', short: '5m', threshold: 2, severity: 'page' }];
    const s = evaluateSlo({ objective: 99, windowDays: 30, ratios: flat(0.025), windowRatio: 0.001, rules });
    expect(s.windows).toHaveLength(1);
    expect(s.windows[0]).toMatchObject({ long: '2h', short: '5m', longBurn: 2.5, firing: true });
    expect(s.alert).toBe('page');
    expect(
      evaluateSlo({ objective: 99, windowDays: 30, ratios: flat(0.025), windowRatio: 0.001 }).alert,
    ).toBe('ticket');
    expect(burnRulesFor({ burnRules: rules })).toBe(rules);
    expect(burnRulesFor({ burnRules: [] })).toBe(DEFAULT_BURN_RULES);
    expect(burnRulesFor(undefined)).toBe(DEFAULT_BURN_RULES);
    expect(windowsOf(rules)).toEqual(['5m', '2h']);
  });
});

describe('time to exhaustion', () => {
  it('is the remaining share of the window divided by the 1 h burn', () => {
    // 25% used, 75% of 720 h left, burning 6x -> 90 h.
    const s = evaluateSlo({ objective: 99.9, windowDays: 30, ratios: { '1h': 0.006 }, windowRatio: 0.00025 });
    expect(s.exhaustionHours).toBeCloseTo(90, 10);
    expect(exhaustionAt(s, 1_000_000)).toBeCloseTo(1_000_000 + 90 * 3_600_000, 3);
  });

  it('is null with no burn or no data', () => {
    expect(
      evaluateSlo({ objective: 99.9, windowDays: 30, ratios: { '1h': 0 }, windowRatio: 0.0001 })
        .exhaustionHours,
    ).toBeNull();
    const none = evaluateSlo({ objective: 99.9, windowDays: 30, ratios: {}, windowRatio: null });
    expect(none.exhaustionHours).toBeNull();
    expect(none.noData).toBe(true);
    expect(exhaustionAt(none, 5)).toBeNull();
  });

  it('consistency: at the 1 h burn, the remaining budget minutes run out exactly at exhaustion', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 90, max: 99.99, noNaN: true }),
        fc.integer({ min: 1, max: 90 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (objective, days, usedShare, burn) => {
          const allowed = 1 - objective / 100;
          const s = evaluateSlo({
            objective,
            windowDays: days,
            ratios: { '1h': burn * allowed },
            windowRatio: usedShare * allowed,
          });
          const spent = budgetMinutesPerHour(burn, objective, days) * s.exhaustionHours!;
          expect(spent).toBeCloseTo(s.budgetRemainingMinutes!, 6);
        },
      ),
    );
  });
});

describe('parseDuration', () => {
  it('reads Prometheus durations and rejects junk', () => {
    expect(parseDuration('30d')).toBe(2_592_000);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(() => parseDuration('30 days')).toThrow(/not a duration/);
    expect(() => parseDuration('')).toThrow(/not a duration/);
  });
});

describe('batched SLO PromQL (pure planning)', () => {
  const slo = (extra: Record<string, unknown>) =>
    configSchema.parse({ services: [{ name: 'x', slo: { objective: 99.9, ...extra } }] }).services[0]!.slo!;

  it('one expression per window for every service sharing a metric shape', () => {
    const shared = slo({ metric: 'http_requests_total' });
    const plan = planSlo(
      Array.from({ length: 500 }, (_, i) => ({ service: `svc-${i}`, slo: shared })),
      'availability',
    );
    expect(plan.terms).toHaveLength(1);
    const expr = plan.expr('300s');
    expect(expr.match(/sum by \(service\)/g)).toHaveLength(2);
    expect(expr).toContain('code=~"5.."');
    expect(expr).toContain('svc-499');
    expect(expr).toContain('[300s]');
  });

  it("escapes service values and keeps a metric selector's own matchers", () => {
    expect(selector('http_requests_total{job="api"}', ['a="b"'])).toBe(
      'http_requests_total{job="api", a="b"}',
    );
    expect(() => selector('rate(x[5m])', [])).toThrow(/not a metric name/);
    const plan = planSlo(
      [{ service: 'a', slo: slo({ metric: 'm', serviceValue: 'a.b+c' }) }],
      'availability',
    );
    expect(plan.expr('60s')).toContain('service=~"a\\\\.b\\\\+c"');
  });

  it('matches the histogram le label however the client formatted it', () => {
    expect(new RegExp(`^${leMatcher(0.5)}$`).test('0.5')).toBe(true);
    expect(new RegExp(`^${leMatcher(0.5)}$`).test('0.50')).toBe(true);
    expect(new RegExp(`^${leMatcher(0.5)}$`).test('0.05')).toBe(false);
    expect(new RegExp(`^${leMatcher(1)}$`).test('1.0')).toBe(true);
    expect(new RegExp(`^${leMatcher(1)}$`).test('1')).toBe(true);
    expect(new RegExp(`^${leMatcher(1)}$`).test('10')).toBe(false);
  });

  it('splits a batched answer back to services, custom queries included', () => {
    const custom = slo({ errorQuery: 'sum(rate(e[$window]))', totalQuery: 'sum(rate(t[$window]))' });
    const plan = planSlo(
      [
        { service: 'a', slo: slo({ metric: 'm' }) },
        { service: 'b', slo: slo({ metric: 'm' }) },
        { service: 'c', slo: custom },
      ],
      'availability',
    );
    expect(plan.expr('3600s')).toContain('(sum(rate(e[3600s])))');
    const sums = splitByService(plan, [
      { metric: { oncall_term: 'A0:bad', service: 'a' }, value: 1 },
      { metric: { oncall_term: 'A0:total', service: 'a' }, value: 100 },
      { metric: { oncall_term: 'A0:total', service: 'b' }, value: 0 },
      { metric: { oncall_term: 'A1:bad' }, value: 2 },
      { metric: { oncall_term: 'A1:total' }, value: 50 },
      { metric: { oncall_term: 'L0:total', service: 'a' }, value: 999 },
      { metric: { service: 'a' }, value: 7 },
    ]);
    expect(ratioFromParts('availability', sums.get('a'))).toBe(0.01);
    expect(ratioFromParts('availability', sums.get('b'))).toBeNull(); // no traffic
    expect(ratioFromParts('availability', sums.get('c'))).toBe(0.04);
    expect(ratioFromParts('latency', { good: 95, total: 100 })).toBeCloseTo(0.05, 10);
    expect(ratioFromParts('latency', { good: 0, total: 0 })).toBeNull();
  });
});

describe('SLO query checks at load time', () => {
  const services = (slo: Record<string, unknown>) =>
    configSchema.parse({ services: [{ name: 'pay', slo: { objective: 99.9, ...slo } }] }).services;

  it('names the service and field of a bad query before any refresh', () => {
    expect(() =>
      checkSloQueries(services({ errorQuery: 'sum(rate(e[5m]))', totalQuery: 'sum(rate(t[$window]))' })),
    ).toThrow(/services\.pay\.slo\.errorQuery: must use \$window/);
    expect(() => checkSloQueries(services({ metric: 'rate(x[5m])' }))).toThrow(
      /services\.pay\.slo: not a metric name/,
    );
    expect(() => checkSloQueries(services({ metric: 'x', serviceLabel: 'svc) or vector(1' }))).toThrow(
      /services\.pay\.slo: serviceLabel: not a label name/,
    );
    expect(() => checkSloQueries(services({ metric: 'x', codeLabel: 'a b' }))).toThrow(
      /codeLabel: not a label name/,
    );
    expect(() => checkSloQueries(services({ metric: 'http_requests_total{job="api"}' }))).not.toThrow();
  });
});
