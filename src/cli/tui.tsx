/** The terminal UI: first frame from config alone, then sources start; every exit restores the terminal. */
import React from 'react';
import { render } from 'ink';
import { AppContext, type AppServices } from '../hooks/app-context.js';
import { App } from '../screens/App.js';
import type { Runtime } from './runtime.js';
import { enterTerminal } from './terminal.js';
import { createRenderStore } from '../state/render-store.js';

export function colorAllowed(env: NodeJS.ProcessEnv): boolean {
  return !('NO_COLOR' in env && env.NO_COLOR !== undefined) && env.TERM !== 'dumb';
}

/**
 * Ink render options: only changed lines are rewritten (a one-cell change costs a few hundred bytes, not
 * the whole screen), and renders are throttled to 30 frames/s so bursts of store updates coalesce.
 */
export const RENDER_OPTIONS = {
  exitOnCtrlC: false,
  patchConsole: false,
  incrementalRendering: true,
  // Background data is coalesced to ≤ 30 renders/s by the render store; Ink's own throttle would also
  // delay keystrokes (a key right after a frame waited up to 33 ms), so it is set out of the way.
  maxFps: 1000,
} as const;

export async function runTui(
  rt: Runtime,
  opts: { altScreen: boolean; env: NodeJS.ProcessEnv },
): Promise<number> {
  const term = enterTerminal(process.stdout, opts.altScreen);
  let exitCode = 0;
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((r) => (resolveExit = r));
  let closing = false;
  const shutdown = async (code: number, why?: string) => {
    if (closing) return;
    closing = true;
    exitCode = code;
    const proc = rt.store.getState().procedure;
    if (
      proc &&
      (proc.step === 'executing' || proc.step === 'progress' || proc.step === 'verifying') &&
      proc.auditIds[0]
    ) {
      await rt.audit
        .append({
          procedure: proc.kind,
          service: proc.service,
          target: proc.target ?? proc.title,
          context: proc.context,
          namespace: proc.namespace,
          step: 'interrupted',
          outcome: 'interrupted',
          detail: why ?? 'oncall exited',
          operationId: proc.auditIds[0],
        })
        .catch((err: Error) =>
          process.stderr.write(`oncall: audit record of the interruption failed: ${err.message}\n`),
        );
    }
    instance.unmount();
    term.restore();
    await rt.stop().catch((err: Error) => process.stderr.write(`oncall: stopping sources: ${err.message}\n`));
    resolveExit(exitCode);
  };
  const services: AppServices = {
    store: createRenderStore(rt.store, { fps: 30 }),
    procedures: rt.procedures,
    quit: () => void shutdown(0),
    color: colorAllowed(opts.env),
    reloadAudit: () => rt.store.setState({ audit: rt.audit.recent(200) }),
  };
  const instance = render(
    <AppContext.Provider value={services}>
      <App />
    </AppContext.Provider>,
    RENDER_OPTIONS,
  );
  // The first frame is on the terminal (Ink renders synchronously): the launcher caches compiled code now.
  (process as NodeJS.EventEmitter).emit('oncall:first-frame');
  const onSignal = (sig: NodeJS.Signals) =>
    void shutdown(sig === 'SIGINT' ? 130 : 128 + (sig === 'SIGHUP' ? 1 : 15), `received ${sig}`);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  process.once('SIGINT', onSignal);
  // A bug must not leave the operator with a broken terminal: unmount, restore, then say what happened.
  const crash = (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    void shutdown(70, `crashed: ${e.message}`).finally(() => {
      term.restore();
      process.stderr.write(`oncall: unexpected error: ${e.stack ?? e.message}\n`);
    });
  };
  process.once('uncaughtException', crash);
  process.once('unhandledRejection', crash);
  // Test hook (documented in the README's testing notes): prove the crash path restores the terminal.
  const crashAfter = Number(opts.env.ONCALL_TEST_CRASH_AFTER_MS);
  if (crashAfter > 0) {
    setTimeout(() => {
      throw new Error('test crash (ONCALL_TEST_CRASH_AFTER_MS)');
    }, crashAfter);
  }
  // Sources start after the first frame is on screen.
  setImmediate(() => {
    void rt.start().catch((err: Error) =>
      rt.store.setState({
        ui: { ...rt.store.getState().ui, flash: { text: `start failed: ${err.message}`, level: 'error' } },
      }),
    );
  });
  return exited;
}
