import React from 'react';
import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';
import { useApp, useAppState, type AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import type { AppState } from '../state/store.js';
import { progressBar } from '../components/format.js';

/** Keys while a procedure is open. Typed characters go to the confirmation box (handled in App). */
export function procedureBindings(app: AppServices, s: AppState): KeyBinding[] {
  const p = s.procedure;
  const m = app.procedures.active;
  if (!p || !m) return [];
  const final = p.step === 'done' || p.step === 'failed' || p.step === 'refused' || p.step === 'cancelled';
  const acting = p.step === 'executing' || p.step === 'progress' || p.step === 'verifying';
  const out: KeyBinding[] = [];
  if (p.step === 'choose') {
    out.push({
      keys: ['enter'],
      label: 'choose',
      description: 'Use the highlighted option',
      disabledReason: null,
      footer: true,
      run: () => m.choose(),
    });
    out.push({
      keys: ['up', 'down', 'k', 'j'],
      label: 'move',
      description: 'Move through the options',
      disabledReason: null,
      run: () => undefined,
    });
  }
  if (p.step === 'confirm') {
    if (p.confirm.mode === 'typed') {
      out.push({
        keys: ['enter'],
        label: 'confirm',
        description: 'Confirm (the typed name must match)',
        disabledReason: null,
        footer: true,
        run: () => void m.submit(),
      });
    } else {
      out.push({
        keys: ['y'],
        label: 'yes',
        description: 'Confirm the change',
        disabledReason: null,
        footer: true,
        run: () => void m.submit('yes'),
      });
      out.push({
        keys: ['n', 'enter'],
        label: 'no',
        description: 'Do not change anything',
        disabledReason: null,
        footer: true,
        run: () => void m.submit('no'),
      });
    }
  }
  out.push({
    keys: ['esc'],
    label: final ? 'close' : 'cancel',
    description: final ? 'Close the procedure' : 'Cancel: nothing is changed',
    disabledReason: acting ? 'the change is being applied; wait for it to finish' : null,
    footer: true,
    run: () => m.cancel(),
  });
  if (p.step === 'done' && p.undo) {
    const undo = p.undo;
    out.push({
      keys: ['u'],
      label: 'undo',
      description: `Undo: ${undo.label} (a new change: preview, confirm, follow, verify, audit)`,
      disabledReason: null,
      footer: true,
      mutating: true,
      run: () => {
        m.cancel(); // close the finished procedure first
        app.procedures.start(undo.kind, p.service, { preset: undo.choice });
      },
    });
  }
  if (p.step === 'failed' && p.revertable)
    out.push({
      keys: ['u'],
      label: 'revert',
      description: 'Undo what was changed (preview, confirm, follow, verify, audit)',
      disabledReason: null,
      footer: true,
      mutating: true,
      run: () => m.startRevert(),
    });
  if (final)
    out.push({
      keys: ['enter'],
      label: 'close',
      description: 'Close the procedure',
      disabledReason: null,
      run: () => m.cancel(),
    });
  return out;
}

const STEP_TEXT: Record<string, string> = {
  planning: 'planning…',
  choose: 'choose',
  confirm: 'preview · confirm',
  executing: 'applying…',
  progress: 'rolling out…',
  verifying: 'verifying…',
  done: 'DONE: verified',
  failed: 'FAILED',
  refused: 'REFUSED',
  cancelled: 'cancelled',
};

/** Rows that must stay visible however tall the procedure gets (the preview above them shrinks instead). */
function Keep({ children }: { children: React.ReactNode }) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      {children}
    </Box>
  );
}

export function Procedure({ width, height }: { width: number; height: number }) {
  const { color, procedures } = useApp();
  const p = useAppState((s) => s.procedure);
  if (!p) return null;
  const stepColor =
    p.step === 'done' ? 'green' : p.step === 'failed' || p.step === 'refused' ? 'red' : 'cyan';
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height}
      overflow="hidden"
      borderStyle="round"
      paddingX={1}
    >
      <Keep>
        <Text wrap="truncate-end">
          <Text bold>{p.title}</Text>
          <Text> — </Text>
          <Text bold color={color ? stepColor : undefined}>
            {STEP_TEXT[p.step]}
          </Text>
        </Text>
        <Text wrap="truncate-end" color={color && p.production ? 'red' : undefined}>
          {p.production ? 'PRODUCTION ' : ''}context {p.context ?? '–'} · namespace {p.namespace ?? '–'}
        </Text>
      </Keep>
      {p.step === 'choose' && p.choice ? (
        <Box flexDirection="column" flexShrink={0}>
          <Text>{p.choice.prompt}</Text>
          <SelectInput
            items={p.choice.options.map((o) => ({ key: o.value, label: o.label, value: o.value }))}
            initialIndex={Math.max(
              0,
              p.choice.options.findIndex((o) => o.value === p.choice!.initial),
            )}
            limit={6}
            onHighlight={(item) => procedures.active?.highlight(String(item.value))}
          />
        </Box>
      ) : (
        <Box flexDirection="column" flexShrink={1} overflow="hidden">
          {p.preview.map((l, i) => (
            <Box key={i} flexShrink={0}>
              <Text wrap="truncate-end">{l}</Text>
            </Box>
          ))}
        </Box>
      )}
      <Keep>
        {p.step === 'confirm' ? (
          p.confirm.mode === 'typed' ? (
            <Box flexDirection="column">
              <Text>
                Type <Text bold>{p.confirm.expected}</Text> to confirm (Esc cancels):
              </Text>
              <Text>
                {'> '}
                {p.confirm.typed}█
              </Text>
              {p.confirm.error ? <Text color={color ? 'red' : undefined}>{p.confirm.error}</Text> : null}
            </Box>
          ) : (
            <Text>Apply this change? [y/N] (Esc cancels)</Text>
          )
        ) : null}
        {p.progress ? (
          <Text wrap="truncate-end">
            ready {progressBar(p.progress.done, p.progress.total)} {p.progress.message}
          </Text>
        ) : null}
        {p.checks.map((c) => (
          <Text
            key={c.name}
            wrap="truncate-end"
            color={color ? (c.ok ? 'green' : c.ok === false ? 'yellow' : undefined) : undefined}
          >
            {c.ok ? '✓' : c.ok === false ? '…' : '?'} {c.name}: {c.detail}
          </Text>
        ))}
        {p.changes?.length ? (
          <Box flexDirection="column">
            <Text bold>Changed so far:</Text>
            {p.changes.map((c, i) => (
              <Text key={i} wrap="truncate-end">
                {'  '}
                {c}
              </Text>
            ))}
            {p.revertable ? <Text>Press u to revert these changes, Esc to close and leave them.</Text> : null}
          </Box>
        ) : null}
        {p.message ? <Text wrap="wrap">{p.message}</Text> : null}
        {p.step === 'done' && p.undo ? <Text>Press u to undo ({p.undo.label}), Esc to close.</Text> : null}
        {p.error ? (
          <Text wrap="wrap" color={color ? 'red' : undefined}>
            {p.error}
          </Text>
        ) : null}
        {p.auditIds.length ? (
          <Text dimColor>audit {p.auditIds.map((id) => id.slice(0, 8)).join(' ')}</Text>
        ) : null}
      </Keep>
    </Box>
  );
}
