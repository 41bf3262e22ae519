/**
 * What the React tree subscribes to. The operator's own actions (keys → ui, procedure, prompts) reach the
 * screen at once; background data (watch events, polls, the clock) is coalesced to at most `fps` renders
 * per second, so a flood of updates over a slow SSH link neither freezes input nor floods the terminal.
 * Ink's own throttle is set high (src/cli/tui.tsx) so it does not delay keystrokes.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { AppState, AppStore } from './store.js';

/** Slices written by sources and timers, not by the operator. */
const DATA_KEYS = new Set<keyof AppState>([
  'now',
  'sources',
  'workloads',
  'workloadErrors',
  'containers',
  'health',
  'healthLatency',
  'slo',
  'alerts',
  'certs',
  'audit',
  'vault',
  'workloadsView',
]);

export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
}

const realScheduler: Scheduler = { now: () => performance.now(), setTimeout: (fn, ms) => setTimeout(fn, ms) };

export function isUrgent(state: AppState, prev: AppState): boolean {
  for (const key of Object.keys(state) as (keyof AppState)[]) {
    if (!DATA_KEYS.has(key) && state[key] !== prev[key]) return true;
  }
  return false;
}

const SOURCE = Symbol('oncall.renderStore.source');

/** The store a render store reads from (or the store itself): for registries keyed by the app's store. */
export function underlyingStore(store: AppStore): AppStore {
  return (store as AppStore & { [SOURCE]?: AppStore })[SOURCE] ?? store;
}

export function createRenderStore(
  store: AppStore,
  opts: { fps?: number; scheduler?: Scheduler } = {},
): AppStore {
  const interval = 1000 / (opts.fps ?? 30);
  const clock = opts.scheduler ?? realScheduler;
  let snapshot = store.getState();
  let lastFlush = -Infinity;
  let timerPending = false;
  const listeners = new Set<(state: AppState, prev: AppState) => void>();

  const flush = () => {
    timerPending = false;
    const next = store.getState();
    if (next === snapshot) return;
    const prev = snapshot;
    snapshot = next;
    lastFlush = clock.now();
    for (const l of listeners) l(next, prev);
  };

  store.subscribe((state, prev) => {
    if (isUrgent(state, prev)) return flush();
    if (timerPending) return;
    const wait = lastFlush + interval - clock.now();
    if (wait <= 0) return flush();
    timerPending = true;
    clock.setTimeout(flush, wait);
  });

  const facade: StoreApi<AppState> & { [SOURCE]: AppStore } = {
    [SOURCE]: store,
    getState: () => snapshot,
    getInitialState: () => store.getInitialState(),
    setState: store.setState,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return facade;
}
