/**
 * Contexts (`:ctx`): the contexts the cluster port knows (the kubeconfig's; the sandbox's simulated ones in
 * the demo), the current one marked, production ones flagged. Enter asks to switch to the selected one.
 */
import React from 'react';
import { Box, Text } from 'ink';
import { useApp, useAppState, type AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import { updateUi, type AppState } from '../state/store.js';
import { Table, type Column } from '../components/Table.js';
import { globalBindings } from './common.js';
import { beginContextSwitch, commandBindings, listContexts } from './CommandLine.js';
import { isProductionContext } from '../state/selectors.js';

interface ContextRow {
  name: string;
  current: boolean;
  production: boolean;
}

let memoIn: [string[] | null | undefined, string, string[]] | null = null;
let memoOut: ContextRow[] = [];
function contextRows(s: AppState): ContextRow[] {
  const names = s.ui.contexts;
  if (!memoIn || memoIn[0] !== names || memoIn[1] !== s.contextName || memoIn[2] !== s.productionContexts) {
    memoIn = [names, s.contextName, s.productionContexts];
    memoOut = (names ?? []).map((name) => ({
      name,
      current: name === s.contextName,
      production: isProductionContext(s, name),
    }));
  }
  return memoOut;
}

const columns: Column<ContextRow>[] = [
  { title: 'CUR', width: 3, cell: (r) => (r.current ? '*' : '') },
  { title: 'CONTEXT', width: 40, cell: (r) => r.name },
  {
    title: 'PRODUCTION',
    width: 10,
    cell: (r) => (r.production ? 'PRODUCTION' : ''),
    color: (r) => (r.production ? 'red' : undefined),
  },
];

export function contextsBindings(app: AppServices, s: AppState): KeyBinding[] {
  const rows = contextRows(s);
  const index = Math.min(s.ui.contextsIndex ?? 0, Math.max(0, rows.length - 1));
  const selected = rows[index];
  const move = (d: number) =>
    updateUi(app.store, { contextsIndex: Math.max(0, Math.min(rows.length - 1, index + d)) });
  return [
    {
      keys: ['esc'],
      label: 'back',
      description: 'Back to the previous screen',
      disabledReason: null,
      footer: true,
      run: () => {
        const ui = app.store.getState().ui;
        if (ui.stack.length > 1)
          updateUi(app.store, { stack: ui.stack.slice(0, -1), flash: null, contexts: null });
      },
    },
    {
      keys: ['down', 'j'],
      label: 'down',
      description: 'Next context',
      disabledReason: null,
      run: () => move(1),
    },
    {
      keys: ['up', 'k'],
      label: 'up',
      description: 'Previous context',
      disabledReason: null,
      run: () => move(-1),
    },
    {
      keys: ['enter'],
      label: 'switch',
      description: 'Switch to the selected context (asks first)',
      disabledReason: !selected
        ? 'no context selected'
        : selected.current
          ? `already on ${selected.name}`
          : null,
      footer: true,
      run: () => {
        if (selected && !selected.current) beginContextSwitch(app, selected.name);
      },
    },
    {
      keys: ['r'],
      label: 'reload',
      description: 'Read the context list again',
      disabledReason: null,
      run: () => listContexts(app),
    },
    ...commandBindings(app, s),
    ...globalBindings(app, { back: false }),
  ];
}

export function Contexts({ height, width }: { height: number; width: number }) {
  const { color } = useApp();
  const rows = useAppState((s) => contextRows(s));
  const index = useAppState((s) => s.ui.contextsIndex ?? 0);
  const sandbox = useAppState((s) => Boolean(s.clusterControl?.sandbox));
  const sel = Math.min(index, Math.max(0, rows.length - 1));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate-end">
        CONTEXTS{sandbox ? ' (sandbox: simulated clusters)' : ' (kubeconfig)'} · * current · Enter switch
      </Text>
      <Table
        rows={rows}
        columns={columns}
        selected={sel}
        height={Math.max(3, height - 2)}
        rowKey={(r) => r.name}
        color={color}
      />
    </Box>
  );
}
