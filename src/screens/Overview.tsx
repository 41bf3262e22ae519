import React from 'react';
import { Box, Text } from 'ink';
import { useApp, useAppState, type AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import { filterRows, selectServiceRows, type ServiceRow } from '../state/selectors.js';
import { updateUi, type AppState } from '../state/store.js';
import { Table, type Column } from '../components/Table.js';
import { LEVEL_COLOR, LEVEL_TEXT, budgetCell, burnCell, rolloutCell, sliCell } from '../components/format.js';
import { actionBindings } from './actions.js';
import { globalBindings, pushScreen, listBindings } from './common.js';
import { openCertificates } from './Certificates.js';
import type { CertView } from '../domain/model.js';

/** Nearest expiry among readable certificates; "ERR" when none could be read. */
export function overviewCertCell(certs: CertView[] | undefined): string {
  if (!certs?.length) return '–';
  const readable = certs.filter((c) => !c.error);
  if (readable.length === 0) return 'ERR';
  const c = readable.reduce((a, b) => (b.notAfter < a.notAfter ? b : a));
  return c.daysLeft < 0 ? 'EXP' : `${c.daysLeft}d`;
}

export const overviewColumns: Column<ServiceRow>[] = [
  { title: 'SERVICE', width: 14, cell: (r) => r.name },
  {
    title: 'STATE',
    width: 5,
    cell: (r) => LEVEL_TEXT[r.summary.state],
    color: (r) => LEVEL_COLOR[r.summary.state],
  },
  { title: 'ROLLOUT', width: 15, cell: (r) => rolloutCell(r.facts.workload, r.facts.containers?.[0]?.image) },
  { title: 'SLI', width: 7, align: 'right', cell: (r) => sliCell(r.facts.slo) },
  { title: 'BURN1h', width: 6, align: 'right', cell: (r) => burnCell(r.facts.slo?.burnRate1h) },
  { title: 'BURN6h', width: 6, align: 'right', cell: (r) => burnCell(r.facts.slo?.burnRate6h) },
  { title: 'BUDGET', width: 6, align: 'right', cell: (r) => budgetCell(r.facts.slo) },
  { title: 'CERT', width: 4, align: 'right', cell: (r) => overviewCertCell(r.facts.certs) },
  {
    title: 'ALRT',
    width: 4,
    align: 'right',
    cell: (r) => String(r.facts.alerts?.filter((a) => a.state === 'firing').length ?? 0),
  },
];

let lastRows: ServiceRow[] | null = null;
let lastFilter = '';
let lastVisible: ServiceRow[] = [];
/** Rows after the filter, memoised so selectors return the same array until rows or filter change. */
export function visibleRows(s: AppState): ServiceRow[] {
  const rows = selectServiceRows(s);
  if (rows !== lastRows || s.ui.filter !== lastFilter) {
    lastRows = rows;
    lastFilter = s.ui.filter;
    lastVisible = filterRows(rows, s.ui.filter);
  }
  return lastVisible;
}

export function overviewBindings(app: AppServices, s: AppState): KeyBinding[] {
  const rows = visibleRows(s);
  const index = Math.min(s.ui.overviewIndex, Math.max(0, rows.length - 1));
  const selected = rows[index]?.name;
  const move = (d: number) =>
    updateUi(app.store, { overviewIndex: Math.max(0, Math.min(rows.length - 1, index + d)) });
  return [
    ...listBindings('service', move),
    {
      keys: ['enter'],
      label: 'open',
      description: 'Open the selected service',
      disabledReason: selected ? null : 'no service selected',
      footer: true,
      run: () => {
        if (!selected) return;
        updateUi(app.store, { selectedService: selected });
        pushScreen(app, 'service');
      },
    },
    {
      keys: ['/'],
      label: 'filter',
      description: 'Filter services by name, tier, state or reason',
      disabledReason: null,
      footer: true,
      run: () => updateUi(app.store, { filterEditing: true }),
    },
    {
      keys: ['c'],
      label: 'certs',
      description: 'List every certificate, soonest expiry first (source, chain problems, runbook)',
      disabledReason: null,
      footer: true,
      run: () => openCertificates(app),
    },
    ...actionBindings(app, s, selected),
    ...globalBindings(app, { back: false }),
  ];
}

export function Overview({ height, width }: { height: number; width: number }) {
  const { color } = useApp();
  const rows = useAppState((s) => visibleRows(s));
  const index = useAppState((s) => s.ui.overviewIndex);
  const filter = useAppState((s) => s.ui.filter);
  const editing = useAppState((s) => s.ui.filterEditing);
  const sel = Math.min(index, Math.max(0, rows.length - 1));
  const current = rows[sel];
  const tableHeight = Math.max(3, height - 4);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Table
        rows={rows}
        columns={overviewColumns}
        selected={sel}
        height={tableHeight}
        rowKey={(r) => r.name}
        color={color}
      />
      <Box flexGrow={1} />
      {current ? (
        <Text wrap="truncate-end">
          <Text bold>{current.name}</Text>
          <Text>: {current.summary.reasons.slice(0, 3).join('; ') || 'all checks OK'}</Text>
        </Text>
      ) : (
        <Text>{filter ? `no service matches "${filter}"` : 'no services configured'}</Text>
      )}
      <Text wrap="truncate-end">
        {editing
          ? `filter: ${filter}█  (Enter keep, Esc clear)`
          : filter
            ? `filter: ${filter}  (/ to change)`
            : ' '}
      </Text>
    </Box>
  );
}
