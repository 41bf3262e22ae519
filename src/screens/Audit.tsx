import React from 'react';
import { Box, Text } from 'ink';
import { useAppState, type AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import type { AppState } from '../state/store.js';
import { globalBindings } from './common.js';

export function auditBindings(app: AppServices, _s: AppState): KeyBinding[] {
  return [
    {
      keys: ['g'],
      label: 'reload',
      description: 'Reload the audit records',
      disabledReason: null,
      footer: true,
      run: () => app.reloadAudit(),
    },
    ...globalBindings(app, { back: true }).filter((b) => b.label !== 'audit'),
  ];
}

export function Audit({ height, width }: { height: number; width: number }) {
  const records = useAppState((s) => s.audit);
  const shown = records.slice(-(height - 2)).reverse();
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>AUDIT (newest first)</Text>
      {shown.length === 0 ? <Text>no audit records yet</Text> : null}
      {shown.map((r) => (
        <Text key={r.id} wrap="truncate-end">
          {r.ts.slice(11, 19)} {r.actor.user} {r.procedure} {r.service} {r.step} {r.outcome}
          {r.to ? ` → ${r.to}` : ''}
          {r.error ? ` ! ${r.error}` : ''}
        </Text>
      ))}
    </Box>
  );
}
