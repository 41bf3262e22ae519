/**
 * MetricsReadPort on Prometheus. A refresh costs a fixed number of requests whatever the service count:
 * one instant query per burn window, one per distinct SLO window, one query_range for the 24 h error-ratio
 * series, and one /api/v1/alerts.
 */
import type { AlertView, CertView } from '../../domain/model.js';
import type { ServiceConfig } from '../../config/schema.js';
import { certLevel, daysLeft, DEFAULT_CERT_THRESHOLDS, type CertThresholds } from '../../domain/certs.js';
import { sanitizeText } from '../../domain/sanitize.js';
import { BURN_WINDOWS, burnRulesFor, parseDuration, windowsOf, type WindowName } from '../../domain/slo.js';
import type { MetricsReadPort, SloWindowRatios } from '../ports.js';
import { PrometheusClient, type InstantSample, type Labels } from './client.js';
import { planSlo, ratioFromParts, splitByService, type SloRequest } from './queries.js';

/** The 24 h error-ratio series: 48 points of 30 minutes. */
export const SERIES_SPAN_SECONDS = 86_400;
export const SERIES_STEP_SECONDS = 1_800;

export interface PrometheusMetricsOptions {
  /** Services from the config: used to join alerts (service label, SLO serviceLabel/serviceValue). */
  services?: readonly Pick<ServiceConfig, 'name' | 'slo' | 'certThresholds'>[];
}

const ALERT_SEVERITY_ORDER: Record<string, number> = { page: 0, critical: 0, ticket: 1, warning: 1, info: 3 };

function alertRank(a: AlertView): number {
  return (a.state === 'firing' ? 0 : 10) + (ALERT_SEVERITY_ORDER[a.severity] ?? 2);
}

export function createMetricsPort(
  client: PrometheusClient,
  opts: PrometheusMetricsOptions = {},
): MetricsReadPort & { client: PrometheusClient } {
  const services = opts.services ?? [];

  async function sloRatios(slos: SloRequest[], at: number): Promise<Record<string, SloWindowRatios>> {
    const out: Record<string, SloWindowRatios> = {};
    if (slos.length === 0) return out;
    const time = at / 1000;
    const avail = planSlo(slos, 'availability');
    const latency = planSlo(slos, 'latency');
    const hasLatency = latency.terms.length > 0;
    const both = (window: string) =>
      [avail.expr(window), hasLatency ? latency.expr(window) : ''].filter(Boolean).join(' or ');

    // Which burn windows are needed (union over every service's rules) and which SLO windows.
    const burnWindows = new Set<WindowName>();
    for (const { slo } of slos) for (const w of windowsOf(burnRulesFor(slo))) burnWindows.add(w);
    const sloWindows = new Map<number, string[]>(); // seconds -> services
    for (const { service, slo } of slos) {
      const secs = parseDuration(slo.window);
      sloWindows.set(secs, [...(sloWindows.get(secs) ?? []), service]);
    }

    const windowList = BURN_WINDOWS.filter((w) => burnWindows.has(w));
    const burnAnswers = windowList.map((w) => client.queryVector(both(`${parseDuration(w)}s`), time));
    const sloAnswers = [...sloWindows.keys()].map((secs) => client.queryVector(both(`${secs}s`), time));
    const seriesAnswer = client.queryRange(
      both(`${SERIES_STEP_SECONDS}s`),
      time - SERIES_SPAN_SECONDS + SERIES_STEP_SECONDS,
      time,
      SERIES_STEP_SECONDS,
    );
    const [burn, window, series] = await Promise.all([
      Promise.all(burnAnswers),
      Promise.all(sloAnswers),
      seriesAnswer,
    ]);

    const empty = (): SloWindowRatios => ({ ratios: {}, windowRatio: null, errorSeries: [] });
    for (const { service, slo } of slos) {
      out[service] = empty();
      if (slo.latency) out[service]!.latency = empty();
    }
    const apply = (
      samples: { metric: Labels; value: number }[],
      set: (svc: string, kind: 'availability' | 'latency', ratio: number | null) => void,
    ) => {
      const a = splitByService(avail, samples);
      const l = hasLatency ? splitByService(latency, samples) : new Map<string, Record<string, number>>();
      for (const { service, slo } of slos) {
        set(service, 'availability', ratioFromParts('availability', a.get(service)));
        if (slo.latency) set(service, 'latency', ratioFromParts('latency', l.get(service)));
      }
    };
    const target = (svc: string, kind: 'availability' | 'latency') =>
      kind === 'latency' ? out[svc]!.latency! : out[svc]!;

    windowList.forEach((w, i) =>
      apply(burn[i]!, (svc, kind, r) => {
        target(svc, kind).ratios[w] = r;
      }),
    );
    [...sloWindows.entries()].forEach(([, svcs], i) =>
      apply(window[i]!, (svc, kind, r) => {
        if (svcs.includes(svc)) target(svc, kind).windowRatio = r;
      }),
    );

    // The 24 h series: bucket samples by timestamp, then split like an instant answer.
    const byTime = new Map<number, { metric: Labels; value: number }[]>();
    for (const s of series) {
      for (const [t, v] of s.values) {
        const list = byTime.get(t) ?? [];
        list.push({ metric: s.metric, value: v });
        byTime.set(t, list);
      }
    }
    const steps: number[] = [];
    for (let t = time - SERIES_SPAN_SECONDS + SERIES_STEP_SECONDS; t <= time + 1e-6; t += SERIES_STEP_SECONDS)
      steps.push(t);
    const points = new Map<string, (number | null)[]>();
    steps.forEach((t, i) => {
      const samples = byTime.get(t) ?? nearest(byTime, t);
      apply(samples, (svc, kind, r) => {
        const key = `${kind}|${svc}`;
        const arr = points.get(key) ?? new Array<number | null>(steps.length).fill(null);
        arr[i] = r;
        points.set(key, arr);
      });
    });
    for (const [key, arr] of points) {
      const [kind, svc] = key.split('|') as ['availability' | 'latency', string];
      if (arr.every((p) => p === null)) continue; // no traffic all day: no sparkline
      target(svc, kind).errorSeries = arr.map((p) => p ?? 0);
    }
    return out;
  }

  async function alerts(names: string[]): Promise<AlertView[]> {
    const wanted = new Set(names);
    const raw = await client.alerts();
    const joins = services
      .filter((s) => wanted.has(s.name) && s.slo)
      .map((s) => ({
        name: s.name,
        label: s.slo!.serviceLabel ?? 'service',
        value: s.slo!.serviceValue ?? s.name,
      }));
    const out: AlertView[] = [];
    for (const a of raw) {
      if (a.state !== 'firing' && a.state !== 'pending') continue;
      let service: string | undefined;
      if (a.labels.service && wanted.has(a.labels.service)) service = a.labels.service;
      else service = joins.find((j) => a.labels[j.label] === j.value)?.name;
      const runbook = a.annotations.runbook_url ?? a.labels.runbook_url;
      out.push({
        name: sanitizeText(a.labels.alertname ?? 'unnamed alert', 200),
        state: a.state,
        severity: sanitizeText(a.labels.severity ?? 'none', 40),
        summary: sanitizeText(
          a.annotations.summary ?? a.annotations.description ?? a.annotations.message ?? '',
          300,
        ),
        runbookUrl: runbook && /^https?:\/\//.test(runbook) ? sanitizeText(runbook, 400) : undefined,
        service,
        activeAt: a.activeAt,
      });
    }
    return out.sort((x, y) => alertRank(x) - alertRank(y) || x.name.localeCompare(y.name));
  }

  async function certExpiry(
    requests: { service: string; name: string; metric: string; thresholds?: CertThresholds }[],
    at?: number,
  ): Promise<Record<string, CertView[]>> {
    const out: Record<string, CertView[]> = {};
    if (requests.length === 0) return out;
    const now = at ?? Date.now();
    const expr = requests
      .map((r, i) => `label_replace((${r.metric}), "oncall_cert", "${i}", "", "")`)
      .join(' or ');
    const samples = await client.queryVector(expr, now / 1000);
    const byIndex = new Map<number, InstantSample[]>();
    for (const s of samples) {
      const i = Number(s.metric.oncall_cert);
      if (!Number.isInteger(i)) continue;
      byIndex.set(i, [...(byIndex.get(i) ?? []), s]);
    }
    requests.forEach((r, i) => {
      const thresholds =
        r.thresholds ?? services.find((s) => s.name === r.service)?.certThresholds ?? DEFAULT_CERT_THRESHOLDS;
      const list = (out[r.service] ??= []);
      const found = (byIndex.get(i) ?? []).filter((s) => Number.isFinite(s.value) && s.value > 0);
      if (found.length === 0) {
        list.push({
          name: sanitizeText(r.name, 200),
          source: 'metric',
          subject: '',
          issuer: '',
          sans: [],
          serial: '',
          notBefore: 0,
          notAfter: 0,
          daysLeft: 0,
          level: 'critical',
          problems: [`no data for ${sanitizeText(r.metric, 200)} (target down or metric missing)`],
        });
        return;
      }
      // Earliest expiry among the matching series (e.g. several instances or chain certificates).
      const s = found.reduce((a, b) => (b.value < a.value ? b : a));
      const notAfter = s.value * 1000;
      const subject =
        s.metric.subject_CN ?? s.metric.subject ?? s.metric.cn ?? s.metric.instance ?? s.metric.target ?? '';
      const problems: string[] = [];
      if (notAfter <= now) problems.push('expired');
      if (found.length > 1) problems.push(`${found.length} series; showing the earliest expiry`);
      list.push({
        name: sanitizeText(r.name, 200),
        source: 'metric',
        subject: sanitizeText(subject ? (subject.includes('=') ? subject : `CN=${subject}`) : r.metric, 300),
        issuer: sanitizeText(s.metric.issuer_CN ? `CN=${s.metric.issuer_CN}` : (s.metric.issuer ?? ''), 300),
        sans: [],
        serial: sanitizeText(s.metric.serial_number ?? s.metric.serial ?? '', 100),
        notBefore: 0,
        notAfter,
        daysLeft: daysLeft(notAfter, now),
        level: certLevel(notAfter, now, thresholds),
        problems,
      });
    });
    return out;
  }

  return {
    kind: 'metrics',
    client,
    sloRatios,
    alerts,
    certExpiry,
    close: () => client.close(),
  };
}

function nearest(
  byTime: Map<number, { metric: Labels; value: number }[]>,
  t: number,
): { metric: Labels; value: number }[] {
  for (const [k, v] of byTime) if (Math.abs(k - t) < 1e-3) return v;
  return [];
}
