/**
 * Certificates: every certificate of every service, soonest expiry first (unreadable ones on top), with its
 * source, chain position, problems and the service's runbook link; details of the selected one below.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useApp, useAppState, type AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import type { AppState, AppStore } from '../state/store.js';
import type { CertView, Level } from '../domain/model.js';
import { Table, type Column } from '../components/Table.js';
import { LEVEL_COLOR, LEVEL_TEXT } from '../components/format.js';
import { globalBindings, pushScreen, listBindings } from './common.js';

export interface CertRow {
  key: string;
  service: string;
  runbook?: string;
  cert: CertView;
}

const SOURCE_TEXT: Record<CertView['source'], string> = {
  tls: 'tls',
  'kubernetes-secret': 'secret',
  metric: 'metric',
  sandbox: 'demo',
};

/** Unreadable first, then soonest expiry; ties by service and name so the order is stable. */
export function compareCertRows(a: CertRow, b: CertRow): number {
  const ea = a.cert.error ? 0 : 1;
  const eb = b.cert.error ? 0 : 1;
  if (ea !== eb) return ea - eb;
  if (!a.cert.error && a.cert.notAfter !== b.cert.notAfter) return a.cert.notAfter - b.cert.notAfter;
  return a.service.localeCompare(b.service) || a.cert.name.localeCompare(b.cert.name);
}

let memoCerts: AppState['certs'] | null = null;
let memoServices: AppState['services'] | null = null;
let memoRows: CertRow[] = [];
export function selectCertRows(s: AppState): CertRow[] {
  if (s.certs === memoCerts && s.services === memoServices) return memoRows;
  const rows: CertRow[] = [];
  for (const svc of s.services) {
    (s.certs[svc.name] ?? []).forEach((cert, i) =>
      rows.push({ key: `${svc.name}\u0000${i}`, service: svc.name, runbook: svc.runbook, cert }),
    );
  }
  rows.sort(compareCertRows);
  memoCerts = s.certs;
  memoServices = s.services;
  memoRows = rows;
  return rows;
}

export function daysCell(c: CertView): string {
  if (c.error) return 'ERR';
  return c.daysLeft < 0 ? `EXP${c.daysLeft}` : `${c.daysLeft}d`;
}

const levelOf = (c: CertView): Level => c.level;

/** Leaves (and bundle heads) by entry name; issuers as "[position] subject CN" (the endpoint is in the details). */
export function certNameCell(c: CertView): string {
  if (!c.chainPosition) return c.name;
  const cn = /(?:^|, )CN=([^,]+)/.exec(c.subject)?.[1] ?? c.subject;
  return `  [${c.chainPosition}] ${cn}${c.endpoint ? ` (${c.endpoint})` : ''}`;
}

/** Columns for a terminal `width` wide: above 80 columns, name and problems share what is left. */
export function certColumnsFor(width: number): Column<CertRow>[] {
  const extra = Math.max(0, width - 80);
  const toName = Math.min(30, Math.floor(extra / 2));
  const toProblems = Math.min(60, extra - toName);
  return certColumns.map((c) =>
    c.title === 'CERTIFICATE'
      ? { ...c, width: c.width + toName }
      : c.title === 'PROBLEMS'
        ? { ...c, width: c.width + toProblems }
        : c,
  );
}

export const certColumns: Column<CertRow>[] = [
  { title: 'SERVICE', width: 12, cell: (r) => r.service },
  { title: 'CERTIFICATE', width: 26, cell: (r) => certNameCell(r.cert) },
  { title: 'SRC', width: 6, cell: (r) => SOURCE_TEXT[r.cert.source] },
  { title: 'DAYS', width: 7, align: 'right', cell: (r) => daysCell(r.cert) },
  {
    title: 'LVL',
    width: 4,
    cell: (r) => LEVEL_TEXT[levelOf(r.cert)],
    color: (r) => LEVEL_COLOR[levelOf(r.cert)],
  },
  {
    title: 'PROBLEMS',
    width: 14,
    cell: (r) => (r.cert.error ? 'unreadable' : r.cert.problems.join(', ') || '–'),
  },
];

// The selected row, per app store (no global state shared between app instances).
const selections = new WeakMap<AppStore, StoreApi<{ index: number }>>();
function selectionOf(store: AppStore): StoreApi<{ index: number }> {
  let sel = selections.get(store);
  if (!sel) {
    sel = createStore(() => ({ index: 0 }));
    selections.set(store, sel);
  }
  return sel;
}

export function openCertificates(app: AppServices): void {
  selectionOf(app.store).setState({ index: 0 });
  pushScreen(app, 'certs');
}

export function certsBindings(app: AppServices, s: AppState): KeyBinding[] {
  const rows = selectCertRows(s);
  const sel = selectionOf(app.store);
  const move = (d: number) =>
    sel.setState((x) => ({ index: Math.max(0, Math.min(rows.length - 1, x.index + d)) }));
  return [...listBindings('certificate', move), ...globalBindings(app, { back: true })];
}

function date(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '–';
}

function Details({ row, width }: { row: CertRow; width: number }) {
  const c = row.cert;
  const lines: string[] = [];
  if (c.error) {
    lines.push(`${row.service} · ${c.name}: could not be read — ${c.error}`);
    lines.push('the certificate probe will retry on its next round');
  } else {
    const pos =
      c.chainPosition === undefined ? '' : c.chainPosition === 0 ? ' · leaf' : ` · chain #${c.chainPosition}`;
    lines.push(
      `${c.name}${pos} · ${c.daysLeft < 0 ? `expired ${-c.daysLeft}d ago` : `${c.daysLeft}d left`} · until ${date(c.notAfter)} UTC`,
    );
    lines.push(`subject ${c.subject || '–'} · issuer ${c.issuer || '–'}`);
    lines.push(`serial ${c.serial || '–'} · from ${date(c.notBefore)}`);
    lines.push(`SANs ${c.sans.join(' ') || '–'}`);
    lines.push(`problems: ${c.problems.join('; ') || 'none'}`);
  }
  lines.push(`source ${c.source}${c.endpoint ? ` ${c.endpoint}` : ''} · runbook ${row.runbook ?? '–'}`);
  return (
    <Box flexDirection="column" width={width}>
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate-end">
          {l}
        </Text>
      ))}
    </Box>
  );
}

export function Certificates({ height, width }: { height: number; width: number }) {
  const app = useApp();
  const rows = useAppState(selectCertRows);
  const index = useStore(selectionOf(app.store), (x) => x.index);
  const sel = Math.min(index, Math.max(0, rows.length - 1));
  const current = rows[sel];
  const tableHeight = Math.max(3, height - 7);
  const columns = React.useMemo(() => certColumnsFor(width), [width]);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate-end">
        CERTIFICATES ({rows.length}) · soonest expiry first · warn ≤ 30d, critical ≤ 7d unless the service
        overrides
      </Text>
      {rows.length === 0 ? (
        <Text>no certificates yet (configure certificates: on a service, or wait for the first probe)</Text>
      ) : (
        <Table
          rows={rows}
          columns={columns}
          selected={sel}
          height={tableHeight}
          rowKey={(r) => r.key}
          color={app.color}
        />
      )}
      <Box flexGrow={1} />
      {current ? <Details row={current} width={width} /> : null}
    </Box>
  );
}
