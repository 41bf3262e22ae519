import React from 'react';
import { Box, Text, useInput, useStdout, type Key } from 'ink';
import { useApp, useAppState } from '../hooks/app-context.js';
import { keyName, matchBinding } from '../hooks/bindings.js';
import { flash, updateUi } from '../state/store.js';
import { Header } from '../components/Header.js';
import { Footer } from '../components/Footer.js';
import { Overview } from './Overview.js';
import { Service } from './Service.js';
import { Procedure } from './Procedure.js';
import { Audit } from './Audit.js';
import { Help } from './Help.js';
import { Certificates } from './Certificates.js';
import { currentBindings } from './registry.js';
import { auditBanner } from '../audit/banner.js';
import { CommandLine, ContextSwitchPrompt, commandKey, contextSwitchKey } from './CommandLine.js';
import { Workloads, workloadsFilterKey } from './Workloads.js';
import { Contexts } from './Contexts.js';

const NO_KEY = { return: false, tab: false, backspace: false, delete: false };
const CONTROL_KEYS: Record<string, Partial<Key>> = {
  '\r': { return: true },
  '\n': { return: true },
  '\t': { tab: true },
  '\u0008': { backspace: true },
  '\u007f': { backspace: true },
};

export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = React.useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  React.useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

export function App() {
  const app = useApp();
  const { columns, rows } = useTerminalSize();
  const screen = useAppState((s) => s.ui.stack[s.ui.stack.length - 1] ?? 'overview');
  const helpFor = useAppState((s) => s.ui.helpFor);
  const hasProcedure = useAppState((s) => s.procedure !== null);
  const bannerLines = useAppState((s) => (auditBanner(s) ? 1 : 0));
  const commandOpen = useAppState((s) => s.ui.command != null);
  const switching = useAppState((s) => Boolean(s.ui.contextSwitch));

  const handle = (input: string, key: Key): void => {
    const s = app.store.getState();
    const name = keyName(input, key);
    if (name === 'ctrl+c') return app.quit();
    // The `:` command line, "switch context?" and the Workloads filter own the keyboard while open.
    if (s.ui.contextSwitch) return contextSwitchKey(app, name, input, key);
    if (s.ui.command != null) return commandKey(app, name, input, key);
    if (s.ui.workloadsFilterEditing) return workloadsFilterKey(app, name, input, key);
    const proc = s.procedure;
    const machine = app.procedures.active;
    if (proc && machine) {
      if (proc.step === 'choose') {
        if (name === 'esc') machine.cancel();
        else if (name === 'enter') machine.choose();
        return; // arrows belong to the select list
      }
      if (proc.step === 'confirm' && proc.confirm.mode === 'typed') {
        if (name === 'backspace') return machine.backspace();
        if (
          name !== 'enter' &&
          name !== 'esc' &&
          input &&
          !key.ctrl &&
          !key.meta &&
          input.length >= 1 &&
          !/[\u0000-\u001f\u007f]/.test(input)
        ) {
          return machine.type(input);
        }
      }
    } else if (s.auditView.filterEditing) {
      const av = s.auditView;
      const set = (patch: Partial<typeof av>) => app.store.setState({ auditView: { ...av, ...patch } });
      if (name === 'enter') return set({ filterEditing: false });
      if (name === 'esc') return set({ filterEditing: false, filter: '', offset: 0 });
      if (name === 'backspace') return set({ filter: av.filter.slice(0, -1), offset: 0 });
      if (input && !key.ctrl && !key.meta && !/[\u0000-\u001f\u007f]/.test(input))
        return set({ filter: (av.filter + input).slice(0, 64), offset: 0 });
      return;
    } else if (s.ui.filterEditing) {
      if (name === 'enter') return updateUi(app.store, { filterEditing: false });
      if (name === 'esc') return updateUi(app.store, { filterEditing: false, filter: '', overviewIndex: 0 });
      if (name === 'backspace')
        return updateUi(app.store, { filter: s.ui.filter.slice(0, -1), overviewIndex: 0 });
      if (input && !key.ctrl && !key.meta && !/[\u0000-\u001f\u007f]/.test(input)) {
        return updateUi(app.store, { filter: (s.ui.filter + input).slice(0, 64), overviewIndex: 0 });
      }
      return;
    }
    const b = matchBinding(currentBindings(app, s), name);
    if (!b) return;
    if (s.ui.flash && !b.disabledReason) updateUi(app.store, { flash: null });
    if (b.disabledReason && !b.mutating) {
      flash(app.store, `${b.label}: ${b.disabledReason}`, 'warning');
      return;
    }
    b.run();
  };

  useInput((input, key) => {
    // A slow terminal read can deliver typed text and Enter (or Tab, Backspace) as one chunk, e.g. a name
    // typed into a confirmation followed by Enter: split it so neither the text nor the key is lost.
    if (input.length > 1 && !input.includes('\u001b') && /[\r\n\t\u0008\u007f]/.test(input)) {
      for (const part of input.match(/[\r\n\t\u0008\u007f]|[^\r\n\t\u0008\u007f]+/g) ?? []) {
        const control = CONTROL_KEYS[part];
        handle(control ? '' : part, { ...key, ...NO_KEY, ...control });
      }
      return;
    }
    handle(input, key);
  });

  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return (
      <Box flexDirection="column">
        <Text>
          terminal too small (need {MIN_COLUMNS}×{MIN_ROWS}, have {columns}×{rows})
        </Text>
        <Text>resize the window, or press q to quit</Text>
      </Box>
    );
  }
  const width = Math.min(columns, 160);
  const bodyHeight = rows - 5 - bannerLines;
  let body: React.ReactNode;
  if (switching) body = <ContextSwitchPrompt width={width} />;
  else if (screen === 'workloads' && !hasProcedure) body = <Workloads height={bodyHeight} width={width} />;
  else if (screen === 'contexts' && !hasProcedure) body = <Contexts height={bodyHeight} width={width} />;
  else if (hasProcedure) body = <Procedure width={width} height={bodyHeight} />;
  else if (screen === 'service') body = <Service height={bodyHeight} width={width} />;
  else if (screen === 'audit') body = <Audit height={bodyHeight} width={width} />;
  else if (screen === 'certs') body = <Certificates height={bodyHeight} width={width} />;
  else if (screen === 'help') body = <Help screen={helpFor} height={bodyHeight} width={width} />;
  else body = <Overview height={bodyHeight} width={width} />;
  return (
    <Box flexDirection="column" width={width} height={rows - 1}>
      <Header width={width} />
      <Box height={bodyHeight} flexDirection="column">
        {body}
      </Box>
      {commandOpen ? <CommandLine width={width} /> : <Footer width={width} />}
    </Box>
  );
}
