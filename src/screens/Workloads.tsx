/**
 * Workloads (`:ns all`, `:ns NAME`): every Deployment the active context's API shows, in all namespaces or
 * one, from a read-only list+watch (ClusterReadPort.watchAllDeployments through the store). Namespace, name,
 * rollout state (kubectl's maths), ready/desired, image tag, revision; virtualised, j/k, `/` filter, Esc back.
 */
import React from 'react';
import { Box, Text, type Key } from 'ink';
import { useApp, useAppState, type AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import type { DeploymentRow } from '../adapters/ports.js';
import type { RolloutPhase } from '../domain/model.js';
import { imageTag } from '../domain/rollout.js';
import { popScreen, globalBindings, listBindings } from './common.js';
import { updateUi, type AppState } from '../state/store.js';
import { Table, type Column } from '../components/Table.js';
import { commandBindings } from './CommandLine.js';

const PHASE_TEXT: Record<RolloutPhase, string> = {
  complete: 'complete',
  progressing: 'progressing',
  paused: 'paused',
  'deadline-exceeded': 'DEADLINE',
  'scaled-to-zero': 'scaled to 0',
  unknown: 'unknown',
};

const PHASE_COLOR: Record<RolloutPhase, string | undefined> = {
  complete: 'green',
  progressing: 'yellow',
  paused: 'yellow',
  'deadline-exceeded': 'red',
  'scaled-to-zero': undefined,
  unknown: undefined,
};

export const workloadColumns: Column<DeploymentRow>[] = [
  { title: 'NAMESPACE', width: 14, cell: (r) => r.namespace },
  { title: 'DEPLOYMENT', width: 20, cell: (r) => r.name },
  {
    title: 'ROLLOUT',
    width: 11,
    cell: (r) => PHASE_TEXT[r.rollout.phase],
    color: (r) => PHASE_COLOR[r.rollout.phase],
  },
  { title: 'READY', width: 7, align: 'right', cell: (r) => `${r.ready}/${r.desired}` },
  { title: 'IMAGE', width: 12, cell: (r) => r.image.split(',').map(imageTag).join(',') },
  { title: 'REV', width: 4, align: 'right', cell: (r) => String(r.revision) },
];

let memoRows: DeploymentRow[] | null = null;
let memoFilter = '';
let memoVisible: DeploymentRow[] = [];
/** Rows after the filter (namespace/name, image, rollout state), memoised per rows and filter. */
export function visibleWorkloads(s: AppState): DeploymentRow[] {
  const rows = s.workloadsView?.rows ?? [];
  const filter = (s.ui.workloadsFilter ?? '').toLowerCase();
  if (rows !== memoRows || filter !== memoFilter) {
    memoRows = rows;
    memoFilter = filter;
    memoVisible = filter
      ? rows.filter((r) =>
          `${r.namespace}/${r.name} ${r.image} ${PHASE_TEXT[r.rollout.phase]}`.toLowerCase().includes(filter),
        )
      : rows;
  }
  return memoVisible;
}

/** Keys while the Workloads filter is being typed. */
export function workloadsFilterKey(app: AppServices, name: string, input: string, key: Key): void {
  const f = app.store.getState().ui.workloadsFilter ?? '';
  if (name === 'enter') return updateUi(app.store, { workloadsFilterEditing: false });
  if (name === 'esc')
    return updateUi(app.store, { workloadsFilterEditing: false, workloadsFilter: '', workloadsIndex: 0 });
  if (name === 'backspace')
    return updateUi(app.store, { workloadsFilter: f.slice(0, -1), workloadsIndex: 0 });
  if (input && !key.ctrl && !key.meta && !/[\u0000-\u001f\u007f]/.test(input))
    updateUi(app.store, { workloadsFilter: (f + input).slice(0, 64), workloadsIndex: 0 });
}

export function workloadsBindings(app: AppServices, s: AppState): KeyBinding[] {
  const rows = visibleWorkloads(s);
  const index = Math.min(s.ui.workloadsIndex ?? 0, Math.max(0, rows.length - 1));
  const move = (d: number) =>
    updateUi(app.store, { workloadsIndex: Math.max(0, Math.min(rows.length - 1, index + d)) });
  return [
    {
      keys: ['esc'],
      label: 'back',
      description: 'Back (stops watching these Deployments)',
      disabledReason: null,
      footer: true,
      run: () => {
        app.store.getState().clusterControl?.closeWorkloads();
        updateUi(app.store, { workloadsFilter: '', workloadsIndex: 0 });
        popScreen(app);
      },
    },
    ...listBindings('Deployment', move),
    {
      keys: ['/'],
      label: 'filter',
      description: 'Filter by namespace/name, image or rollout state',
      disabledReason: null,
      footer: true,
      run: () => updateUi(app.store, { workloadsFilterEditing: true }),
    },
    ...commandBindings(app, s),
    ...globalBindings(app, { back: false }),
  ];
}

export function Workloads({ height, width }: { height: number; width: number }) {
  const { color } = useApp();
  const rows = useAppState((s) => visibleWorkloads(s));
  const total = useAppState((s) => s.workloadsView?.rows.length ?? 0);
  const view = useAppState((s) => s.workloadsView);
  const index = useAppState((s) => s.ui.workloadsIndex ?? 0);
  const filter = useAppState((s) => s.ui.workloadsFilter ?? '');
  const editing = useAppState((s) => Boolean(s.ui.workloadsFilterEditing));
  const sel = Math.min(index, Math.max(0, rows.length - 1));
  const current = rows[sel];
  const scope = view?.namespace ? `namespace ${view.namespace}` : 'all namespaces';
  const title = `DEPLOYMENTS · ${view?.context ?? '?'} · ${scope} · ${filter ? `${rows.length} of ${total}` : total}`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate-end">
        {title}
      </Text>
      {view?.error ? (
        <Text wrap="truncate-end" color={color ? 'red' : undefined}>
          {view.updatedAt ? 'stale: ' : ''}
          {view.error}
        </Text>
      ) : null}
      <Table
        rows={rows}
        columns={workloadColumns}
        selected={sel}
        height={Math.max(3, height - 4 - (view?.error ? 1 : 0))}
        rowKey={(r) => `${r.namespace}/${r.name}`}
        color={color}
      />
      <Box flexGrow={1} />
      <Text wrap="truncate-end">
        {current
          ? `${current.namespace}/${current.name}: ${current.rollout.message} · ${current.image}`
          : view && view.updatedAt === null && !view.error
            ? 'listing Deployments…'
            : filter
              ? `no Deployment matches "${filter}"`
              : `no Deployments in ${scope}`}
      </Text>
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
