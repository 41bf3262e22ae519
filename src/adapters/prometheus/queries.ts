/**
 * PromQL for SLOs, batched: for one window, ONE expression covers every service. Each part is
 * `sum by (<service label>)` over all services sharing a metric shape, tagged with an `oncall_term` label
 * (`<term>:<part>`) so the answer can be split again. Parts are returned as rates (errors and totals
 * separately) so that "no traffic" (total 0 or absent) is told apart from "no errors".
 *
 * Pure: no I/O. The adapter runs the expressions and `collectRatios` turns the samples into ratios.
 */
import type { SloConfig } from '../../config/schema.js';
import { errorRatio } from '../../domain/slo.js';
import type { Labels } from './client.js';

export const TERM_LABEL = 'oncall_term';

export type TermKind = 'availability' | 'custom' | 'latency';

export interface Term {
  id: number;
  kind: TermKind;
  /** Label carrying the service in the result (shorthand and latency terms, and custom ones if present). */
  serviceLabel: string;
  /** Label value → service names using it. */
  byValue: Map<string, string[]>;
  /** Services using this term (custom terms without a service label in the result go to the only one). */
  services: string[];
  /** Builds the parts of this term for a window like "300s": part name → PromQL. */
  parts(window: string): Record<string, string>;
}

export interface SloPlan {
  /** "A" (availability) or "L" (latency): tags read "<prefix><term id>:<part>". */
  prefix: 'A' | 'L';
  terms: Term[];
  /** PromQL covering every service for a window (e.g. "300s"). Empty string when there is nothing to ask. */
  expr(window: string): string;
}

const METRIC_RE = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$/s;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label name goes into PromQL as it is: only a valid name may. */
export function labelName(field: string, name: string): string {
  if (!LABEL_RE.test(name)) throw new Error(`${field}: not a label name: "${name}" (expected e.g. service)`);
  return name;
}

/** Escape a literal for use inside a PromQL regex matcher. */
export function regexEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A PromQL double-quoted string literal. */
export function promString(text: string): string {
  return JSON.stringify(text);
}

/** A metric name, optionally with its own matchers, plus more matchers: `name{a="b", extra...}`. */
export function selector(metric: string, extra: string[]): string {
  const m = METRIC_RE.exec(metric);
  if (!m) throw new Error(`not a metric name or selector: "${metric}" (expected e.g. http_requests_total)`);
  const own = m[2]?.trim();
  const all = [...(own ? [own] : []), ...extra];
  return `${m[1]}{${all.join(', ')}}`;
}

/** Regex for a histogram `le` label value equal to the threshold however the client formatted it ("1", "1.0", "0.50"). */
export function leMatcher(threshold: number): string {
  const text = String(threshold);
  if (/e/i.test(text)) return regexEscape(text);
  if (Number.isInteger(threshold)) return `${text}(\\.0*)?`;
  return `${regexEscape(text)}0*`;
}

function tag(expr: string, term: string, part: string): string {
  return `label_replace(${expr}, "${TERM_LABEL}", "${term}:${part}", "", "")`;
}

function valueRegex(values: string[]): string {
  return promString([...new Set(values)].sort().map(regexEscape).join('|'));
}

export interface SloRequest {
  service: string;
  slo: SloConfig;
}

/** Groups services by query shape and builds the batched plan. */
export function planSlo(slos: readonly SloRequest[], what: 'availability' | 'latency'): SloPlan {
  const terms: Term[] = [];
  const byKey = new Map<string, Term>();
  const addService = (t: Term, value: string, service: string) => {
    const list = t.byValue.get(value) ?? [];
    if (!list.includes(service)) list.push(service);
    t.byValue.set(value, list);
    if (!t.services.includes(service)) t.services.push(service);
  };

  for (const { service, slo } of slos) {
    const label = labelName('serviceLabel', slo.serviceLabel ?? 'service');
    const value = slo.serviceValue ?? service;
    if (what === 'latency') {
      if (!slo.latency) continue;
      const base = slo.latency.metric.replace(/_(bucket|count|sum)$/, '');
      const key = `lat|${base}|${label}|${slo.latency.thresholdSeconds}`;
      let t = byKey.get(key);
      if (!t) {
        const threshold = slo.latency.thresholdSeconds;
        const term: Term = {
          id: terms.length,
          kind: 'latency',
          serviceLabel: label,
          byValue: new Map(),
          services: [],
          parts(window) {
            const match = `${label}=~${valueRegex([...term.byValue.keys()])}`;
            return {
              good: `sum by (${label}) (rate(${selector(`${base}_bucket`, [match, `le=~${promString(leMatcher(threshold))}`])}[${window}]))`,
              total: `sum by (${label}) (rate(${selector(`${base}_count`, [match])}[${window}]))`,
            };
          },
        };
        t = term;
        terms.push(t);
        byKey.set(key, t);
      }
      addService(t, value, service);
      continue;
    }
    if (slo.metric) {
      const key = `avail|${slo.metric}|${label}|${slo.codeLabel}|${slo.errorCodes}`;
      let t = byKey.get(key);
      if (!t) {
        const metric = slo.metric;
        const codeLabel = labelName('codeLabel', slo.codeLabel ?? 'code');
        const codes = slo.errorCodes ?? '5..';
        const term: Term = {
          id: terms.length,
          kind: 'availability',
          serviceLabel: label,
          byValue: new Map(),
          services: [],
          parts(window) {
            const match = `${label}=~${valueRegex([...term.byValue.keys()])}`;
            return {
              bad: `sum by (${label}) (rate(${selector(metric, [match, `${codeLabel}=~${promString(codes)}`])}[${window}]))`,
              total: `sum by (${label}) (rate(${selector(metric, [match])}[${window}]))`,
            };
          },
        };
        t = term;
        terms.push(t);
        byKey.set(key, t);
      }
      addService(t, value, service);
    } else if (slo.errorQuery && slo.totalQuery) {
      const key = `custom|${slo.errorQuery}|${slo.totalQuery}|${label}`;
      let t = byKey.get(key);
      if (!t) {
        const errorQuery = slo.errorQuery;
        const totalQuery = slo.totalQuery;
        t = {
          id: terms.length,
          kind: 'custom',
          serviceLabel: label,
          byValue: new Map(),
          services: [],
          parts: (window) => ({
            bad: `(${errorQuery.replaceAll('$window', window)})`,
            total: `(${totalQuery.replaceAll('$window', window)})`,
          }),
        };
        terms.push(t);
        byKey.set(key, t);
      }
      addService(t, value, service);
    }
  }

  const prefix = what === 'latency' ? 'L' : 'A';
  return {
    prefix,
    terms,
    expr(window) {
      const pieces: string[] = [];
      for (const t of terms) {
        for (const [part, q] of Object.entries(t.parts(window)))
          pieces.push(tag(q, `${prefix}${t.id}`, part));
      }
      return pieces.join(' or ');
    },
  };
}

/** Per service: summed part values (e.g. { bad, total } or { good, total }). */
export type PartSums = Map<string, Record<string, number>>;

/** Splits the samples of a batched answer back into per-service part sums. */
export function splitByService(plan: SloPlan, samples: { metric: Labels; value: number }[]): PartSums {
  const out: PartSums = new Map();
  for (const s of samples) {
    const tagValue = s.metric[TERM_LABEL];
    if (!tagValue || !tagValue.startsWith(plan.prefix)) continue;
    const [idText, part] = tagValue.slice(1).split(':');
    const term = plan.terms[Number(idText)];
    if (!term || !part || !Number.isFinite(s.value)) continue;
    let services: string[] | undefined;
    const labelValue = s.metric[term.serviceLabel];
    if (labelValue !== undefined) services = term.byValue.get(labelValue);
    else if (term.kind === 'custom' && term.services.length === 1) services = term.services;
    for (const svc of services ?? []) {
      const sums = out.get(svc) ?? {};
      sums[part] = (sums[part] ?? 0) + s.value;
      out.set(svc, sums);
    }
  }
  return out;
}

/** Error ratio of one service from its part sums (latency: 1 - good/total), null without traffic. */
export function ratioFromParts(
  kind: 'availability' | 'latency',
  parts: Record<string, number> | undefined,
): number | null {
  if (!parts) return null;
  const total = parts.total;
  if (kind === 'latency') {
    const good = parts.good ?? 0;
    const r = errorRatio((total ?? 0) - good, total);
    return r === null ? null : Math.min(1, Math.max(0, r));
  }
  return errorRatio(parts.bad ?? 0, total);
}
