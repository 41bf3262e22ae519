/** Certificate expiry levels: warn at 30 days, critical at 7, expired is critical. */
import type { CertLevel } from './model.js';

export interface CertThresholds {
  warnDays: number;
  criticalDays: number;
}
export const DEFAULT_CERT_THRESHOLDS: CertThresholds = { warnDays: 30, criticalDays: 7 };

const DAY_MS = 86_400_000;

/** Whole days left, rounded down (an expired certificate has a negative count). */
export function daysLeft(notAfter: number, now: number): number {
  return Math.floor((notAfter - now) / DAY_MS);
}

export function certLevel(
  notAfter: number,
  now: number,
  t: CertThresholds = DEFAULT_CERT_THRESHOLDS,
): CertLevel {
  const left = (notAfter - now) / DAY_MS;
  if (left <= t.criticalDays) return 'critical';
  if (left <= t.warnDays) return 'warning';
  return 'ok';
}
