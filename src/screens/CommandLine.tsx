/**
 * The k9s-style command line: `:` opens it at the bottom, Enter runs, Esc cancels. Commands:
 *   :ctx          list the contexts (the current one marked), Enter on one asks to switch
 *   :ctx NAME     switch to that context (asks first; a production context needs its name typed)
 *   :ns NAME      the Workloads screen: every Deployment of that namespace in the active context
 *   :ns all       the same across all namespaces
 * Parsing is pure (parseCommand); a bad command says what is wrong and changes nothing.
 */
import React from 'react';
import { Box, Text, type Key } from 'ink';
import { useApp, useAppState, type AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import { flash, updateUi, type AppState } from '../state/store.js';
import { isProductionContext } from '../state/selectors.js';
import { pushScreen } from './common.js';

export type Command =
  { kind: 'ctx-list' } | { kind: 'ctx-switch'; context: string } | { kind: 'ns'; namespace: string | null };

export type ParsedCommand = { ok: true; command: Command } | { ok: false; error: string };

export const COMMAND_HELP = 'ctx, ctx NAME, ns NAME, ns all';

/** RFC 1123 label, what Kubernetes accepts as a namespace name. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function parseCommand(text: string): ParsedCommand {
  const words = text.trim().replace(/^:/, '').trim().split(/\s+/).filter(Boolean);
  const [verb, ...args] = words;
  if (!verb) return { ok: false, error: `no command typed (commands: ${COMMAND_HELP})` };
  const v = verb.toLowerCase();
  if (v === 'ctx' || v === 'context' || v === 'contexts') {
    if (args.length === 0) return { ok: true, command: { kind: 'ctx-list' } };
    if (args.length > 1)
      return { ok: false, error: `:ctx takes one context name, got ${args.length}: ${args.join(' ')}` };
    return { ok: true, command: { kind: 'ctx-switch', context: args[0]! } };
  }
  if (v === 'ns' || v === 'namespace' || v === 'namespaces') {
    if (args.length === 0) return { ok: false, error: ':ns needs a namespace name, or "all"' };
    if (args.length > 1)
      return { ok: false, error: `:ns takes one namespace, got ${args.length}: ${args.join(' ')}` };
    const ns = args[0]!;
    if (ns === 'all' || ns === '*' || ns === '-A')
      return { ok: true, command: { kind: 'ns', namespace: null } };
    if (!NAMESPACE.test(ns))
      return {
        ok: false,
        error: `invalid namespace "${ns}": lowercase letters, digits and "-", at most 63 (RFC 1123 label)`,
      };
    return { ok: true, command: { kind: 'ns', namespace: ns } };
  }
  return { ok: false, error: `unknown command "${verb}" (try ${COMMAND_HELP})` };
}

export function noClusterReason(s: AppState): string | null {
  return s.clusterControl ? null : 'no Kubernetes configured (no service has a kubernetes: section)';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Open the Contexts screen with the contexts the cluster port knows. */
export function listContexts(app: AppServices): void {
  const s = app.store.getState();
  const control = s.clusterControl;
  if (!control) return flash(app.store, `:ctx: ${noClusterReason(s)}`, 'warning');
  control
    .listContexts()
    .then((names) => {
      const st = app.store.getState();
      updateUi(app.store, { contexts: names, contextsIndex: Math.max(0, names.indexOf(st.contextName)) });
      if (st.ui.stack[st.ui.stack.length - 1] !== 'contexts') pushScreen(app, 'contexts');
    })
    .catch((err) => flash(app.store, `:ctx: ${errorText(err)}`, 'error'));
}

/** Ask before switching (y/N, or the typed name for a production context); unknown names fail here. */
export function beginContextSwitch(app: AppServices, to: string): void {
  const s = app.store.getState();
  const control = s.clusterControl;
  if (!control) return flash(app.store, `:ctx: ${noClusterReason(s)}`, 'warning');
  if (s.procedure) return flash(app.store, ':ctx: finish or cancel the open procedure first', 'warning');
  if (to === s.contextName && !s.sources.cluster.error)
    return flash(app.store, `already on context ${to}`, 'info');
  control
    .listContexts()
    // No adapter to ask (it failed to load): ask anyway; loading the new one checks the name.
    .catch(() => null)
    .then((names) => {
      if (names && !names.includes(to)) {
        flash(app.store, `:ctx: unknown context "${to}" (known: ${names.join(', ') || 'none'})`, 'error');
        return;
      }
      const st = app.store.getState();
      updateUi(app.store, {
        flash: null,
        contextSwitch: {
          from: st.contextName,
          to,
          production: isProductionContext(st, to),
          typed: '',
          busy: false,
        },
      });
    })
    .catch((err) => flash(app.store, `:ctx: ${errorText(err)}`, 'error'));
}

export function openWorkloads(app: AppServices, namespace: string | null): void {
  const s = app.store.getState();
  const control = s.clusterControl;
  if (!control) return flash(app.store, `:ns: ${noClusterReason(s)}`, 'warning');
  control.openWorkloads(namespace);
  updateUi(app.store, { workloadsIndex: 0, workloadsFilter: '', workloadsFilterEditing: false });
  if (s.ui.stack[s.ui.stack.length - 1] !== 'workloads') pushScreen(app, 'workloads');
}

export function runCommand(app: AppServices, text: string): void {
  const parsed = parseCommand(text);
  if (!parsed.ok) return flash(app.store, parsed.error, 'error');
  const c = parsed.command;
  if (c.kind === 'ctx-list') listContexts(app);
  else if (c.kind === 'ctx-switch') beginContextSwitch(app, c.context);
  else openWorkloads(app, c.namespace);
}

const printable = (input: string, key: Key) =>
  Boolean(input) && !key.ctrl && !key.meta && !/[\u0000-\u001f\u007f]/.test(input);

/** Keys while the command line is open. */
export function commandKey(app: AppServices, name: string, input: string, key: Key): void {
  const text = app.store.getState().ui.command ?? '';
  if (name === 'esc') return updateUi(app.store, { command: null });
  if (name === 'enter') {
    updateUi(app.store, { command: null });
    return runCommand(app, text);
  }
  if (name === 'backspace') {
    // Backspace on an empty line closes it, as in k9s and vim.
    return updateUi(app.store, text ? { command: text.slice(0, -1) } : { command: null });
  }
  if (printable(input, key)) updateUi(app.store, { command: (text + input).slice(0, 120) });
}

/** Keys while "Switch context?" is open. */
export function contextSwitchKey(app: AppServices, name: string, input: string, key: Key): void {
  const s = app.store.getState();
  const p = s.ui.contextSwitch;
  const control = s.clusterControl;
  if (!p || p.busy) return;
  const cancel = () => {
    updateUi(app.store, { contextSwitch: null });
    flash(app.store, `context switch cancelled: still on ${p.from}`, 'info');
  };
  const go = () => {
    if (!control) return cancel();
    updateUi(app.store, { contextSwitch: { ...p, busy: true } });
    control
      .switchContext(p.to)
      .then(() => {
        updateUi(app.store, { contextSwitch: null });
        flash(
          app.store,
          `switched ${p.from} → ${p.to}${control.sandbox ? ' (sandbox, simulated)' : ''}`,
          'info',
        );
      })
      .catch((err) => {
        updateUi(app.store, { contextSwitch: null });
        // The header still names the previous context; the reason matters most on one line.
        flash(app.store, `switch to ${p.to} failed: ${errorText(err)}`, 'error');
      });
  };
  if (name === 'esc') return cancel();
  if (p.production) {
    if (name === 'enter') {
      if (p.typed === p.to) return go();
      return flash(app.store, `type ${p.to} exactly to switch (Esc cancels)`, 'warning');
    }
    if (name === 'backspace')
      return updateUi(app.store, { contextSwitch: { ...p, typed: p.typed.slice(0, -1) } });
    if (printable(input, key))
      updateUi(app.store, { contextSwitch: { ...p, typed: (p.typed + input).slice(0, 253) } });
    return;
  }
  if (input === 'y' || input === 'Y') return go();
  if (input === 'n' || input === 'N' || name === 'enter') return cancel();
}

/** `:` and the commands, as bindings (Help lists them; disabled without a cluster). */
export function commandBindings(app: AppServices, s: AppState): KeyBinding[] {
  const reason = noClusterReason(s);
  const open = (text: string) => () => updateUi(app.store, { command: text, flash: null });
  return [
    {
      keys: [':'],
      label: 'command',
      description: `Command line (${COMMAND_HELP}); Enter runs, Esc cancels`,
      disabledReason: null,
      // Not in the footer: at 80 columns it would push "actions off: read-only" out; Help lists it.
      run: open(''),
    },
    {
      keys: [':ctx'],
      label: 'contexts',
      description: 'List the kubeconfig contexts, the current one marked',
      disabledReason: reason,
      run: () => listContexts(app),
    },
    {
      keys: [':ctx NAME'],
      label: 'switch context',
      description: 'Switch to context NAME (asks first; production: type its name)',
      disabledReason: reason,
      run: open('ctx '),
    },
    {
      keys: [':ns NAME'],
      label: 'namespace',
      description: 'Every Deployment of namespace NAME in the current context',
      disabledReason: reason,
      run: open('ns '),
    },
    {
      keys: [':ns all'],
      label: 'all namespaces',
      description: 'Every Deployment in all namespaces of the current context',
      disabledReason: reason,
      run: () => openWorkloads(app, null),
    },
  ];
}

/** The bottom two lines while the command line is open (in place of the footer). */
export function CommandLine({ width }: { width: number }) {
  const text = useAppState((s) => s.ui.command ?? '');
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-start">:{text}█</Text>
      <Text wrap="truncate-end" dimColor>
        Enter run · Esc cancel · {COMMAND_HELP}
      </Text>
    </Box>
  );
}

/** "Switch context?" with from → to; production targets need the context name typed. */
export function ContextSwitchPrompt({ width }: { width: number }) {
  const { color } = useApp();
  const p = useAppState((s) => s.ui.contextSwitch);
  const fromProd = useAppState((s) => (p ? isProductionContext(s, p.from) : false));
  const readOnly = useAppState((s) => s.readOnly);
  const sandbox = useAppState((s) => Boolean(s.clusterControl?.sandbox));
  if (!p) return null;
  const prod = (on: boolean) => (on ? <Text color={color ? 'red' : undefined}> [PRODUCTION]</Text> : null);
  return (
    <Box flexDirection="column" width={width} borderStyle="single" paddingX={1}>
      <Text bold>Switch Kubernetes context?</Text>
      <Text>
        {'  '}
        {p.from}
        {prod(fromProd)} → <Text bold>{p.to}</Text>
        {prod(p.production)}
      </Text>
      <Text wrap="truncate-end">
        Services without a pinned kubernetes.context follow {p.to}; pinned ones keep theirs.
      </Text>
      {sandbox ? (
        <Text wrap="truncate-end">Sandbox: both contexts are simulated; nothing real is reached.</Text>
      ) : null}
      {readOnly ? <Text wrap="truncate-end">Read-only stays read-only in the new context.</Text> : null}
      <Text> </Text>
      {p.busy ? (
        <Text>connecting to {p.to}…</Text>
      ) : p.production ? (
        <Text>
          Type {p.to} to confirm (Esc cancels): {p.typed}█
        </Text>
      ) : (
        <Text>Switch? y yes · N/Esc no</Text>
      )}
    </Box>
  );
}
