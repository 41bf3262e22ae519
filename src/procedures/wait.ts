import type { AppState, AppStore } from '../state/store.js';

/**
 * Resolve with the first state for which `pick` returns a value, watching store updates; reject at the
 * deadline (measured on the app clock, checked on every update and every `pollMs` of real time).
 */
export function waitForState<T>(
  store: AppStore,
  pick: (s: AppState) => T | undefined,
  opts: { now: () => number; timeoutMs: number; pollMs?: number; what: string; isCancelled?: () => boolean },
): Promise<T> {
  const deadline = opts.now() + opts.timeoutMs;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | null = null;
    let unsubscribe: () => void = () => undefined;
    const finish = (fn: () => void) => {
      settled = true;
      unsubscribe();
      if (timer) clearInterval(timer);
      fn();
    };
    let checking = false;
    let settled = false;
    const check = () => {
      // pick() may itself update the store (progress reports): never re-enter.
      if (checking || settled) return;
      checking = true;
      try {
        checkOnce();
      } finally {
        checking = false;
      }
    };
    const checkOnce = () => {
      let value: T | undefined;
      try {
        value = pick(store.getState());
      } catch (err) {
        finish(() => reject(err as Error));
        return;
      }
      if (value !== undefined) finish(() => resolve(value as T));
      else if (opts.isCancelled?.()) finish(() => reject(new Error(`stopped waiting for ${opts.what}`)));
      else if (opts.now() >= deadline) finish(() => reject(new Error(`timed out waiting for ${opts.what}`)));
    };
    unsubscribe = store.subscribe(check);
    timer = setInterval(check, opts.pollMs ?? 250);
    check();
  });
}
