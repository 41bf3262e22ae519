import React from 'react';
import { Box, Text } from 'ink';
import { useApp, useAppState, type AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import { formatAge, selectServiceRows } from '../state/selectors.js';
import type { AppState } from '../state/store.js';
import {
  LEVEL_COLOR,
  LEVEL_TEXT,
  budgetCell,
  burnCell,
  clock,
  pad,
  padLeft,
  sliCell,
  sparkline,
} from '../components/format.js';
import type { SloStatus } from '../domain/model.js';
import { imageTag } from '../domain/rollout.js';
import type { ContainerView } from '../domain/model.js';
import { actionBindings, keptOriginalReason } from './actions.js';
import { globalBindings } from './common.js';

export function serviceBindings(app: AppServices, s: AppState): KeyBinding[] {
  return [
    ...actionBindings(app, s, s.ui.selectedService ?? undefined),
    ...globalBindings(app, { back: true }),
  ];
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Box>
      <Box width={8} flexShrink={0}>
        <Text bold>{title}</Text>
      </Box>
      <Box flexDirection="column" flexGrow={1}>
        {children}
      </Box>
    </Box>
  );
}

/** The SLO section: summary, budget bar, the burn table for every window pair, the 24 h error sparkline. */
function SloDetail({ slo, color }: { slo: SloStatus; color: boolean }) {
  const metrics = useAppState((s) => s.sources.metrics);
  const now = useAppState((s) => s.now);
  const alertColor = slo.alert === 'page' ? 'red' : slo.alert === 'ticket' ? 'yellow' : 'green';
  const left = slo.budgetUsedFraction === null ? null : 1 - slo.budgetUsedFraction;
  const barWidth = 30;
  const filled = left === null ? 0 : Math.round(Math.min(1, Math.max(0, left)) * barWidth);
  const peak = slo.errorSeries.length ? Math.max(...slo.errorSeries) : 0;
  return (
    <>
      <Text wrap="truncate-end">
        {slo.objective}% / {slo.windowDays}d · SLI {sliCell(slo)} ·{' '}
        <Text bold color={color ? alertColor : undefined}>
          {slo.noData ? 'no data' : slo.alert === 'none' ? 'ok' : slo.alert.toUpperCase()}
        </Text>
        {slo.noData ? ' (no traffic in any window)' : ''}
      </Text>
      <Text wrap="truncate-end">
        budget <Text color={color ? alertColor : undefined}>{'█'.repeat(filled)}</Text>
        <Text dimColor>{'░'.repeat(barWidth - filled)}</Text>{' '}
        {left === null
          ? 'no data'
          : slo.budgetRemainingMinutes! < 0
            ? `overspent ${(-slo.budgetRemainingMinutes!).toFixed(1)}m`
            : `${budgetCell(slo)} of ${slo.budgetTotalMinutes.toFixed(1)}m`}
        {slo.exhaustionHours !== null &&
        slo.exhaustionHours > 0 &&
        slo.burnRate1h !== null &&
        slo.burnRate1h > 1
          ? ` · empty in ${slo.exhaustionHours.toFixed(1)}h`
          : ''}
      </Text>
      <Text dimColor wrap="truncate-end">
        {pad('window', 8)}
        {padLeft('long', 8)}
        {padLeft('short', 8)}
        {padLeft('limit', 8)} {pad('action', 7)}
      </Text>
      {slo.windows.map((x) => (
        <Text key={`${x.long}/${x.short}`} wrap="truncate-end">
          {pad(`${x.long}/${x.short}`, 8)}
          {padLeft(burnCell(x.longBurn), 8)}
          {padLeft(burnCell(x.shortBurn), 8)}
          {padLeft(`>${x.threshold}×`, 8)} {pad(x.severity, 7)}
          {x.firing ? (
            <Text bold color={color ? (x.severity === 'page' ? 'red' : 'yellow') : undefined}>
              FIRING
            </Text>
          ) : (
            ''
          )}
        </Text>
      ))}
      {slo.latency ? (
        <Text wrap="truncate-end">
          latency {'<'}
          {Math.round(slo.latency.thresholdSeconds * 1000)}ms {slo.latency.objective}% · SLI{' '}
          {sliCell(slo.latency)} · budget {budgetCell(slo.latency)} · 1h {burnCell(slo.latency.burnRate1h)} 6h{' '}
          {burnCell(slo.latency.burnRate6h)} ·{' '}
          <Text
            bold
            color={
              color
                ? slo.latency.alert === 'page'
                  ? 'red'
                  : slo.latency.alert === 'ticket'
                    ? 'yellow'
                    : 'green'
                : undefined
            }
          >
            {slo.latency.noData
              ? 'no data'
              : slo.latency.alert === 'none'
                ? 'ok'
                : slo.latency.alert.toUpperCase()}
          </Text>
        </Text>
      ) : null}
      <Text wrap="truncate-end">
        24h errors {slo.errorSeries.length ? sparkline(slo.errorSeries, 48) : 'no data'}
        {peak > 0 ? ` max ${(peak * 100).toFixed(2)}%` : ''}
      </Text>
      {metrics.error ? (
        <Text wrap="truncate-end" color={color ? 'yellow' : undefined}>
          {metrics.updatedAt === null ? 'no data' : `stale ${formatAge(now - metrics.updatedAt)}`} —{' '}
          {metrics.error}
        </Text>
      ) : null}
    </>
  );
}

/** One container as two short lines: state, health, image@digest, uptime, restarts, OOM; the last probe. */
function containerText(c: ContainerView, now: number): [string, string | null] {
  const up = c.startedAt !== undefined ? ` · up ${fmtUptime(now - c.startedAt)}` : '';
  const digest = c.imageDigest ? `@${c.imageDigest.replace(/^sha256:/, '').slice(0, 12)}` : '';
  const exit = c.state !== 'running' ? ` · exit ${c.exitCode}` : '';
  const health = c.health === 'none' ? 'no healthcheck' : c.health;
  const first = `${c.name} ${c.state} · ${health} · ${c.image}${digest}${up} · ${c.restartCount} restarts${c.oomKilled ? ' · OOMKilled' : ''}${exit}`;
  return [first, c.healthOutput ? `last probe ${c.healthOutput}` : null];
}

function fmtUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d`;
}

export function Service({ height, width }: { height: number; width: number }) {
  const { color } = useApp();
  const name = useAppState((s) => s.ui.selectedService);
  const row = useAppState((s) => selectServiceRows(s).find((r) => r.name === s.ui.selectedService));
  const svc = useAppState((s) => s.services.find((x) => x.name === s.ui.selectedService));
  const latency = useAppState((s) => (name ? s.healthLatency[name] : undefined));
  const ctrNow = useAppState((s) => s.now);
  const ctrSource = useAppState((s) => s.sources.containers);
  const kept = useAppState((s) => (name ? keptOriginalReason(s, name) === null : false));
  if (!row || !svc) return <Text>no service selected</Text>;
  const { facts, summary } = row;
  const w = facts.workload;
  const lines: React.ReactNode[] = [];
  lines.push(
    <Text key="title" wrap="truncate-end">
      <Text bold>{row.name}</Text> <Text>{svc.tier}</Text>{' '}
      <Text bold color={color ? LEVEL_COLOR[summary.state] : undefined}>
        {LEVEL_TEXT[summary.state]}
      </Text>
      <Text dimColor> {svc.runbook ? `runbook ${svc.runbook}` : ''}</Text>
    </Text>,
  );
  lines.push(
    <Text key="reasons" wrap="truncate-end">
      {summary.reasons.length ? summary.reasons.join('; ') : 'all checks OK'}
    </Text>,
  );
  if (w) {
    const notReady = w.pods.filter((p) => !p.ready || p.reason);
    lines.push(
      <Section key="rollout" title="ROLLOUT">
        <Text wrap="truncate-end">
          rev {w.revision} {imageTag(w.image)} {w.rollout.phase} · {w.readyReplicas}/{w.replicas} ready,{' '}
          {w.updatedReplicas} updated
          {w.hpa ? ` · HPA ${w.hpa.min}–${w.hpa.max} (now ${w.hpa.current})` : ''}
        </Text>
        <Text wrap="truncate-end" dimColor>
          {w.history
            .slice(-3)
            .reverse()
            .map((h) => `r${h.revision} ${imageTag(h.image)} ${h.changeCause}`)
            .join(' | ')}
        </Text>
        {notReady.length ? (
          <Text wrap="truncate-end">
            {notReady
              .slice(0, 3)
              .map(
                (p) => `${p.name} ${p.reason ?? 'not ready'}${p.restarts ? ` (${p.restarts} restarts)` : ''}`,
              )
              .join('; ')}
          </Text>
        ) : null}
      </Section>,
    );
  }
  for (const c of facts.containers ?? []) {
    const [first, probe] = containerText(c, ctrNow);
    const bad = c.state !== 'running' || c.health === 'unhealthy';
    lines.push(
      <Section key={`ctr-${c.id}`} title="CONTAINR">
        <Text wrap="truncate-end" color={color && bad ? 'red' : undefined}>
          {first}
        </Text>
        {probe ? (
          <Text wrap="truncate-end" dimColor>
            {probe}
          </Text>
        ) : null}
      </Section>,
    );
  }
  if (svc.container) {
    if (ctrSource.error)
      lines.push(
        <Section key="ctr-error" title="CONTAINR">
          <Text wrap="truncate-end" color={color ? 'yellow' : undefined}>
            {ctrSource.error}
          </Text>
        </Section>,
      );
    if (kept)
      lines.push(
        <Section key="ctr-kept" title="">
          <Text wrap="truncate-end" dimColor>
            original container kept stopped by the last rollback: u restores it
          </Text>
        </Section>,
      );
  }
  if (facts.slo) {
    lines.push(
      <Section key="slo" title="SLO">
        <SloDetail slo={facts.slo} color={color} />
      </Section>,
    );
  }
  if (facts.health?.length) {
    lines.push(
      <Section key="health" title="HEALTH">
        {facts.health.map((h) => (
          <Text key={h.url} wrap="truncate-end">
            {h.name} {LEVEL_TEXT[h.state]} {h.statusCode ?? ''}{' '}
            {h.latencyMs !== undefined ? `${h.latencyMs}ms` : ''} {h.error ?? ''}
            {h.checks.filter((c) => !c.ok).map((c) => ` ${c.name}=${c.status}`)}
          </Text>
        ))}
        {latency && latency.length > 1 ? <Text dimColor>latency {sparkline(latency, 30)}</Text> : null}
      </Section>,
    );
  }
  if (facts.certs?.length) {
    lines.push(
      <Section key="certs" title="CERTS">
        {facts.certs.slice(0, 3).map((c) => (
          <Text key={`${c.name}-${c.serial}`} wrap="truncate-end">
            {c.level === 'unknown'
              ? `${c.name} UNREADABLE (${c.source}): ${c.error ?? c.problems.join(', ')}`
              : `${c.name} ${c.daysLeft}d ${c.level.toUpperCase()} until ${new Date(c.notAfter).toISOString().slice(0, 10)} (${c.source})${c.problems.length ? ` ${c.problems.join(', ')}` : ''}`}
          </Text>
        ))}
      </Section>,
    );
  }
  if (facts.alerts?.length) {
    lines.push(
      <Section key="alerts" title="ALERTS">
        {facts.alerts.slice(0, 3).map((a) => (
          <Text key={a.name} wrap="truncate-end">
            {a.name} {a.state} {a.severity} · {a.summary}
          </Text>
        ))}
      </Section>,
    );
  }
  if (w?.events.length) {
    lines.push(
      <Section key="events" title="EVENTS">
        {w.events
          .slice(-3)
          .reverse()
          .map((e, i) => (
            <Text key={i} wrap="truncate-end">
              {clock(e.at)} {e.reason} {e.message}
            </Text>
          ))}
      </Section>,
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {lines}
    </Box>
  );
}
