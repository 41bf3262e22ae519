/**
 * SLO maths, pure: error budget in percent and minutes, burn rates, and multi-window
 * multi-burn-rate evaluation with the SRE workbook defaults.
 */
import type { BurnAlert, BurnWindowResult, SloStatus } from './model.js';

export type WindowName = '5m' | '30m' | '1h' | '2h' | '6h' | '1d' | '3d';
export const BURN_WINDOWS: readonly WindowName[] = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];

export interface BurnRule {
  long: WindowName;
  short: WindowName;
  threshold: number;
  severity: 'page' | 'ticket';
}

export const DEFAULT_BURN_RULES: readonly BurnRule[] = [
  { long: '1h', short: '5m', threshold: 14.4, severity: 'page' },
  { long: '6h', short: '30m', threshold: 6, severity: 'page' },
  { long: '1d', short: '2h', threshold: 3, severity: 'ticket' },
  { long: '3d', short: '6h', threshold: 1, severity: 'ticket' },
];

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parse a Prometheus-style duration ("5m", "1h30m", "30d") into seconds. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)([smhdw])/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * (UNIT_SECONDS[m[2] as string] ?? 0);
    consumed += m[0].length;
  }
  if (consumed !== text.length || total <= 0)
    throw new Error(`not a duration: "${text}" (expected e.g. 5m, 1h, 30d)`);
  return total;
}

export function budgetMinutes(objectivePercent: number, windowDays: number): number {
  return Number((((100 - objectivePercent) / 100) * windowDays * 24 * 60).toPrecision(12));
}

/**
 * Round away binary floating-point noise (1 - 99.9/100 is 0.000999999999999889): a burn exactly at a
 * threshold must not fire because of the 13th digit, and budgets should read 43.2, not 43.199999.
 */
function tidy(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(12)) : x;
}

/** The error ratio the objective allows (99.9 → 0.001). */
export function allowedErrorRatio(objectivePercent: number): number {
  return tidy((100 - objectivePercent) / 100);
}

export function burnRate(errorRatio: number | null, objectivePercent: number): number | null {
  if (errorRatio === null || !Number.isFinite(errorRatio)) return null;
  const allowed = allowedErrorRatio(objectivePercent);
  if (allowed <= 0) return null;
  return tidy(errorRatio / allowed);
}

export interface SloInputs {
  objective: number;
  windowDays: number;
  /** Error ratio (bad/total, 0..1) per burn window; null when there was no traffic. */
  ratios: Partial<Record<WindowName, number | null>>;
  /** Error ratio over the whole SLO window; null when there was no traffic. */
  windowRatio: number | null;
  rules?: readonly BurnRule[];
  errorSeries?: number[];
}

export function evaluateSlo(input: SloInputs): SloStatus {
  const rules = input.rules ?? DEFAULT_BURN_RULES;
  const total = budgetMinutes(input.objective, input.windowDays);
  const burnOf = (w: WindowName) => burnRate(input.ratios[w] ?? null, input.objective);
  const windows: BurnWindowResult[] = rules.map((rule) => {
    const longBurn = burnOf(rule.long);
    const shortBurn = burnOf(rule.short);
    const firing =
      longBurn !== null && shortBurn !== null && longBurn > rule.threshold && shortBurn > rule.threshold;
    return {
      long: rule.long,
      short: rule.short,
      longBurn,
      shortBurn,
      threshold: rule.threshold,
      severity: rule.severity,
      firing,
    };
  });
  let alert: BurnAlert = 'none';
  if (windows.some((w) => w.firing && w.severity === 'page')) alert = 'page';
  else if (windows.some((w) => w.firing && w.severity === 'ticket')) alert = 'ticket';

  const windowRatio = input.windowRatio;
  const allowed = allowedErrorRatio(input.objective);
  const usedFraction = windowRatio === null ? null : tidy(windowRatio / allowed);
  const remaining = usedFraction === null ? null : tidy((1 - usedFraction) * total);
  const burn1h = burnOf('1h');
  let exhaustionHours: number | null = null;
  if (usedFraction !== null && burn1h !== null && burn1h > 0) {
    const remainingFraction = Math.max(0, 1 - usedFraction);
    exhaustionHours = tidy((remainingFraction * input.windowDays * 24) / burn1h);
  }
  const noData = windowRatio === null && BURN_WINDOWS.every((w) => (input.ratios[w] ?? null) === null);
  return {
    objective: input.objective,
    windowDays: input.windowDays,
    sli: windowRatio === null ? null : tidy((1 - windowRatio) * 100),
    budgetTotalMinutes: total,
    budgetUsedFraction: usedFraction,
    budgetRemainingMinutes: remaining,
    burnRate1h: burn1h,
    burnRate6h: burnOf('6h'),
    windows,
    alert,
    exhaustionHours,
    errorSeries: input.errorSeries ?? [],
    noData,
  };
}

/**
 * Error ratio bad/total over a window, or null when there was no traffic (total absent, zero, negative or
 * not finite): "no data" rather than a division by zero. Clamped to 0..1 (rate extrapolation can overshoot).
 */
export function errorRatio(bad: number | null | undefined, total: number | null | undefined): number | null {
  if (total === null || total === undefined || !Number.isFinite(total) || total <= 0) return null;
  const b = bad === null || bad === undefined || !Number.isFinite(bad) ? 0 : Math.max(0, bad);
  return Math.min(1, b / total);
}

/** The burn rules in force for a service: its own `burnRules` when set, else the SRE workbook defaults. */
export function burnRulesFor(
  slo: { burnRules?: readonly BurnRule[] | undefined } | undefined,
): readonly BurnRule[] {
  return slo?.burnRules && slo.burnRules.length > 0 ? slo.burnRules : DEFAULT_BURN_RULES;
}

/** Every window a set of rules reads, in BURN_WINDOWS order. */
export function windowsOf(rules: readonly BurnRule[]): WindowName[] {
  const used = new Set<WindowName>();
  for (const r of rules) {
    used.add(r.long);
    used.add(r.short);
  }
  return BURN_WINDOWS.filter((w) => used.has(w));
}

/** Seconds in a burn window name. */
export function windowSeconds(w: WindowName): number {
  return parseDuration(w);
}

/** When the budget runs out at the current 1 h burn (ms since epoch), or null (no burn / no data). */
export function exhaustionAt(status: Pick<SloStatus, 'exhaustionHours'>, now: number): number | null {
  return status.exhaustionHours === null ? null : now + status.exhaustionHours * 3_600_000;
}

/** Minutes of budget a given burn rate consumes per hour (burn 1 uses the budget exactly over the window). */
export function budgetMinutesPerHour(burn: number, objectivePercent: number, windowDays: number): number {
  return (burn * budgetMinutes(objectivePercent, windowDays)) / (windowDays * 24);
}
