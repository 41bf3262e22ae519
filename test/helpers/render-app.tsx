/**
 * Renders the real App over a runtime (sandbox world by default) with ink-testing-library, and gives
 * key helpers and `waitForFrame` that waits on frame content (never on sleeps).
 */
import React from 'react';
import { render } from 'ink-testing-library';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppContext, type AppServices } from '../../src/hooks/app-context.js';
import { App } from '../../src/screens/App.js';
import { createRenderStore } from '../../src/state/render-store.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/cli/runtime.js';
import { demoConfig } from '../../src/sandbox/demo-config.js';
import { SandboxWorld } from '../../src/sandbox/world.js';

export const KEYS = {
  enter: '\r',
  esc: '\u001b',
  up: '\u001b[A',
  down: '\u001b[B',
  backspace: '\u007f',
  ctrlC: '\u0003',
} as const;

export interface RenderedApp {
  rt: Runtime;
  world: SandboxWorld | null;
  auditFile: string;
  frame(): string;
  /** Every frame written so far (ink-testing-library keeps them all), e.g. to search for a secret. */
  frames(): string[];
  press(...keys: string[]): Promise<void>;
  type(text: string): Promise<void>;
  waitForFrame(
    predicate: string | RegExp | ((frame: string) => boolean),
    opts?: { timeoutMs?: number; advanceMs?: number },
  ): Promise<string>;
  quitCalled(): boolean;
  cleanup(): Promise<void>;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

export async function renderApp(
  opts: Partial<RuntimeOptions> & { columns?: number; rows?: number } = {},
): Promise<RenderedApp> {
  const dir = mkdtempSync(join(tmpdir(), 'oncall-ui-'));
  const auditFile = opts.auditFile ?? join(dir, 'audit.jsonl');
  const world = opts.world ?? (opts.mode === 'live' ? undefined : new SandboxWorld());
  const rt = await createRuntime({
    config: opts.config ?? demoConfig(),
    mode: opts.mode ?? 'demo',
    readOnly: opts.readOnly ?? false,
    readOnlyReason: opts.readOnlyReason,
    auditFile,
    world,
    manualClock: opts.manualClock ?? true,
    intervals: opts.intervals ?? { metricsMs: 60_000, healthMs: 60_000, certsMs: 60_000, clockMs: 60_000 },
    env: opts.env ?? {},
  });
  let quit = false;
  const services: AppServices = {
    // The same render store the TUI uses: keystrokes at once, background data coalesced.
    store: createRenderStore(rt.store),
    procedures: rt.procedures,
    quit: () => (quit = true),
    color: false,
    reloadAudit: () => rt.store.setState({ audit: rt.audit.recent(200) }),
  };
  const instance = render(
    <AppContext.Provider value={services}>
      <App />
    </AppContext.Provider>,
  );
  // ink-testing-library's stdout reports 100 columns and no rows; pin the terminal size we test at.
  Object.defineProperty(instance.stdout, 'columns', { configurable: true, get: () => opts.columns ?? 80 });
  Object.defineProperty(instance.stdout, 'rows', { configurable: true, get: () => opts.rows ?? 24 });
  (instance.stdout as unknown as NodeJS.EventEmitter).emit('resize');
  instance.rerender(
    <AppContext.Provider value={services}>
      <App />
    </AppContext.Provider>,
  );
  const sources = await rt.start();
  await sources.refreshNow();
  const frame = () => instance.lastFrame() ?? '';
  return {
    rt,
    world: rt.world,
    auditFile,
    frame,
    frames: () => instance.frames,
    async press(...keys) {
      for (const k of keys) {
        instance.stdin.write(k);
        await tick();
        await tick();
      }
    },
    async type(text) {
      for (const ch of text) {
        instance.stdin.write(ch);
        await tick();
      }
    },
    async waitForFrame(predicate, { timeoutMs = 10_000, advanceMs = 0 } = {}) {
      const test =
        typeof predicate === 'string'
          ? (f: string) => f.includes(predicate)
          : predicate instanceof RegExp
            ? (f: string) => predicate.test(f)
            : predicate;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const f = frame();
        if (test(f)) return f;
        if (Date.now() > deadline)
          throw new Error(`frame never matched ${String(predicate)}; last frame:\n${f}`);
        if (advanceMs && rt.world) {
          rt.world.advance(advanceMs);
          await sources.refreshNow();
        }
        await new Promise<void>((r) => setTimeout(r, 5));
      }
    },
    quitCalled: () => quit,
    async cleanup() {
      instance.unmount();
      await rt.stop();
    },
  };
}
