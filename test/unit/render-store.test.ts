import { describe, expect, it } from 'vitest';
import { createAppStore, updateUi } from '../../src/state/store.js';
import { createRenderStore, underlyingStore, type Scheduler } from '../../src/state/render-store.js';
import { demoConfig } from '../../src/sandbox/demo-config.js';

function manualScheduler() {
  let t = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const s: Scheduler & { advance(ms: number): void } = {
    now: () => t,
    setTimeout(fn, ms) {
      timers.push({ at: t + ms, fn });
    },
    advance(ms) {
      t += ms;
      for (const timer of timers.splice(0).sort((a, b) => a.at - b.at)) {
        if (timer.at <= t) timer.fn();
        else timers.push(timer);
      }
    },
  };
  return s;
}

describe('render store', () => {
  it('shows the operator’s own changes at once and coalesces a flood of data updates to ≤ 30 per second', () => {
    const store = createAppStore({
      config: demoConfig(),
      mode: 'demo',
      readOnly: false,
      contextName: 'c',
      configured: {},
      now: 0,
    });
    const clock = manualScheduler();
    const view = createRenderStore(store, { fps: 30, scheduler: clock });
    let notified = 0;
    view.subscribe(() => notified++);

    // 1,000 data updates within one second: at most ~31 renders.
    for (let i = 0; i < 1000; i++) {
      store.setState({ now: i });
      clock.advance(1);
    }
    clock.advance(100);
    expect(notified).toBeGreaterThan(20);
    expect(notified).toBeLessThanOrEqual(31);
    expect(view.getState().now).toBe(999); // the last value always arrives

    // A keystroke (ui change) right after a data flush is not delayed.
    store.setState({ now: 2000 });
    const before = notified;
    updateUi(store, { overviewIndex: 3 });
    expect(notified).toBe(before + 1);
    expect(view.getState().ui.overviewIndex).toBe(3);
    expect(view.getState().now).toBe(2000); // pending data rides along with the urgent render
  });

  it('knows the store behind it, for registries keyed by the app store (the audit session)', () => {
    const store = createAppStore({
      config: demoConfig(),
      mode: 'demo',
      readOnly: false,
      contextName: 'c',
      configured: {},
      now: 0,
    });
    expect(underlyingStore(createRenderStore(store))).toBe(store);
    expect(underlyingStore(store)).toBe(store);
  });
});
