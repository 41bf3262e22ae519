import React from 'react';
import { Box, Text } from 'ink';
import { useApp, useAppState, type AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import type { AppState, AuditViewState } from '../state/store.js';
import type { AuditRecord } from '../audit/record.js';
import { auditSession, filterAuditRecords } from '../audit/session.js';
import { describeUnfinished } from '../audit/unfinished.js';
import { flash } from '../state/store.js';
import { globalBindings } from './common.js';

function setView(app: AppServices, patch: Partial<AuditViewState>): void {
  app.store.setState((s) => ({ auditView: { ...s.auditView, ...patch } }));
}

function shownRecords(s: AppState): AuditRecord[] {
  return filterAuditRecords(s.audit, s.auditView.filter, s.auditView.operationId);
}

function selected(s: AppState): AuditRecord | undefined {
  const rows = shownRecords(s);
  return rows[rows.length - 1 - s.auditView.offset];
}

export function auditBindings(app: AppServices, s: AppState): KeyBinding[] {
  const session = auditSession(app.store);
  const av = s.auditView;
  const count = shownRecords(s).length;
  const move = (d: number) => setView(app, { offset: Math.max(0, Math.min(count - 1, av.offset + d)) });
  const inspecting = av.operationId ? av.unfinished.find((u) => u.operationId === av.operationId) : undefined;
  const noSession = session ? null : 'no audit log in this session';
  return [
    {
      keys: ['g'],
      label: 'reload',
      description: 'Reload the audit records',
      disabledReason: null,
      footer: true,
      run: () => {
        app.reloadAudit();
        session?.scanUnfinished();
      },
    },
    {
      keys: ['v'],
      label: 'verify',
      description: 'Verify the hash chain of the whole audit file set (rotated files too)',
      disabledReason: noSession,
      footer: true,
      run: () => session?.verify(),
    },
    {
      keys: ['/'],
      label: 'filter',
      description: 'Filter records by words (service, procedure, user, outcome, incident…)',
      disabledReason: null,
      footer: true,
      run: () => setView(app, { filterEditing: true }),
    },
    {
      keys: ['i'],
      label: av.operationId ? 'all records' : 'inspect',
      description:
        'Show only one operation: the newest unfinished procedure, else the selected record’s (again: all)',
      disabledReason: count === 0 && !av.operationId && !av.unfinished.length ? 'no records' : null,
      footer: true,
      run: () => {
        if (av.operationId) return session?.inspect(null);
        const target =
          av.unfinished.find((u) => u.state !== 'running')?.operationId ??
          (() => {
            const r = selected(s);
            return r ? (r.operationId ?? r.id) : null;
          })();
        session?.inspect(target);
      },
    },
    {
      keys: ['x'],
      label: 'close unfinished',
      description: 'After inspecting an unfinished procedure: record that it was closed (who, why)',
      disabledReason: !inspecting
        ? 'inspect an unfinished procedure first (i)'
        : inspecting.state === 'running'
          ? `still running in pid ${inspecting.pid}`
          : null,
      footer: Boolean(inspecting),
      run: () => {
        if (!inspecting || !session) return;
        session
          .closeUnfinished(inspecting.operationId)
          .then(() => flash(app.store, `closed: ${inspecting.procedure} of ${inspecting.service}`, 'info'))
          .catch((err: Error) => flash(app.store, `not closed: ${err.message}`, 'error'));
      },
    },
    {
      keys: ['up'],
      label: 'newer',
      description: 'Select a newer record',
      disabledReason: null,
      run: () => move(-1),
    },
    {
      keys: ['down'],
      label: 'older',
      description: 'Select an older record',
      disabledReason: null,
      run: () => move(1),
    },
    {
      keys: ['pageup'],
      label: 'page newer',
      description: 'Ten records newer',
      disabledReason: null,
      run: () => move(-10),
    },
    {
      keys: ['pagedown'],
      label: 'page older',
      description: 'Ten records older',
      disabledReason: null,
      run: () => move(10),
    },
    ...globalBindings(app, { back: true }).filter((b) => b.label !== 'audit'),
  ];
}

/** Column widths: narrower terminals keep room for WHAT (time without the date, shorter names). */
function columns(width: number) {
  const wide = width >= 120;
  return {
    time: wide ? 15 : 9,
    user: wide ? 10 : 9,
    procedure: wide ? 12 : 11,
    service: wide ? 16 : 14,
    step: wide ? 12 : 9,
    outcome: wide ? 12 : 9,
    fmt: (ts: string) => (wide ? `${ts.slice(5, 10)} ${ts.slice(11, 19)}` : ts.slice(11, 19)),
  };
}

function pad(text: string, n: number): string {
  // Always at least one space between columns.
  return text.length >= n ? `${text.slice(0, n - 2)}… ` : text.padEnd(n);
}

function what(r: AuditRecord): string {
  if (r.error) return `! ${r.error}`;
  if (r.step === 'started') return `${r.from ?? ''}${r.to ? ` → ${r.to}` : ''}`.trim() || r.target;
  return r.detail ?? r.to ?? '';
}

export function Audit({ height, width }: { height: number; width: number }) {
  const app = useApp();
  const { color } = app;
  const records = useAppState((s) => s.audit);
  const av = useAppState((s) => s.auditView);
  const now = useAppState((s) => s.now);

  // The chain is verified when the screen is first opened (and on `v`).
  React.useEffect(() => {
    if (app.store.getState().auditView.verify.state === 'unknown') auditSession(app.store)?.verify();
  }, [app.store]);

  const rows = filterAuditRecords(records, av.filter, av.operationId);
  const c = columns(width);
  const detailLines = 3;
  const fixed = 4 + detailLines;
  const visible = Math.max(1, height - fixed);
  const sel = Math.min(av.offset, Math.max(0, rows.length - 1));
  const newestFirst = rows.slice().reverse();
  const start = Math.max(0, Math.min(sel - Math.floor(visible / 2), newestFirst.length - visible));
  const shown = newestFirst.slice(start, start + visible);
  const current = newestFirst[sel];
  const verifyColor =
    av.verify.state === 'ok'
      ? 'green'
      : av.verify.state === 'failed' || av.verify.state === 'error'
        ? 'red'
        : undefined;
  const stale = av.unfinished.filter((u) => u.state !== 'running');
  const first = stale[0] ?? av.unfinished[0];

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate-end">
        <Text bold>AUDIT </Text>
        <Text>chain: </Text>
        <Text color={color ? verifyColor : undefined} bold={av.verify.state === 'failed'}>
          {av.verify.state === 'ok' ? '✓ ' : av.verify.state === 'failed' ? '✗ ' : ''}
          {av.verify.summary}
          {av.verify.problems.length ? ` — ${av.verify.problems.slice(0, 2).join('; ')}` : ''}
        </Text>
        {av.file ? <Text dimColor>{` · ${av.file}`}</Text> : null}
      </Text>
      <Text wrap="truncate-end" color={color && stale.length ? 'yellow' : undefined}>
        {first
          ? `${stale.length ? '⚠ ' : ''}${describeUnfinished(first, now)}${av.unfinished.length > 1 ? ` (+${av.unfinished.length - 1} more)` : ''}`
          : 'no unfinished procedures'}
      </Text>
      <Text wrap="truncate-end" dimColor={!av.filterEditing && !av.filter && !av.operationId}>
        {av.filterEditing
          ? `filter: ${av.filter}█`
          : av.filter
            ? `filter: ${av.filter}`
            : 'filter: (none, / to set)'}
        {av.operationId ? ` · operation ${av.operationId.slice(0, 8)} only (i: all)` : ''}
        {` · ${rows.length} of ${records.length} records`}
      </Text>
      <Text bold wrap="truncate-end">
        {`  ${pad('TIME', c.time)}${pad('USER', c.user)}${pad('PROCEDURE', c.procedure)}${pad('SERVICE', c.service)}${pad('STEP', c.step)}${pad('OUTCOME', c.outcome)}WHAT`}
      </Text>
      {shown.length === 0 ? (
        <Text>no audit records{av.filter || av.operationId ? ' match' : ' yet'}</Text>
      ) : null}
      {shown.map((r, i) => {
        const isSel = start + i === sel;
        const bad = r.outcome === 'failed' || r.outcome === 'refused' || r.outcome === 'interrupted';
        return (
          <Text
            key={`${r.id}-${start + i}`}
            wrap="truncate-end"
            inverse={isSel}
            color={color && bad ? 'red' : undefined}
          >
            {`${isSel ? '›' : ' '} ${pad(c.fmt(r.ts), c.time)}${pad(r.actor.user, c.user)}${pad(r.procedure, c.procedure)}${pad(r.service, c.service)}${pad(r.step, c.step)}${pad(r.outcome, c.outcome)}${what(r)}`}
          </Text>
        );
      })}
      <Box flexGrow={1} />
      {current ? (
        <Box flexDirection="column">
          <Text wrap="truncate-end" dimColor>
            {`seq ${current.seq} · id ${current.id.slice(0, 8)}${current.operationId ? ` · op ${current.operationId.slice(0, 8)}` : ''} · hash ${current.hash.slice(0, 12)}… · ${current.mode} · v${current.version}${current.incidentId ? ` · incident ${current.incidentId}` : ''}${current.durationMs !== undefined ? ` · ${(current.durationMs / 1000).toFixed(1)} s` : ''}`}
          </Text>
          <Text wrap="truncate-end" dimColor>
            {`${current.actor.user}@${current.actor.host}${current.actor.sshClient ? ` via ssh ${current.actor.sshClient}` : ''}${current.actor.kubernetes ? ` · k8s ${current.actor.kubernetes.username}` : ''} · ${[current.context, current.namespace].filter(Boolean).join('/') || current.target}`}
          </Text>
          <Text wrap="truncate-end" dimColor>
            {current.preview?.length
              ? `saw: ${current.preview.join(' | ')}${current.confirmation ? ` · typed "${current.confirmation}"` : ''}`
              : (current.detail ?? current.error ?? '')}
          </Text>
        </Box>
      ) : null}
    </Box>
  );
}
