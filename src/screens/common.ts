import type { AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import { updateUi, type ScreenName } from '../state/store.js';

export function pushScreen(app: AppServices, screen: ScreenName): void {
  const ui = app.store.getState().ui;
  updateUi(app.store, {
    stack: [...ui.stack, screen],
    flash: null,
    helpFor: ui.stack[ui.stack.length - 1] ?? 'overview',
    helpScroll: 0,
  });
}

export function popScreen(app: AppServices): void {
  const ui = app.store.getState().ui;
  if (ui.stack.length > 1) updateUi(app.store, { stack: ui.stack.slice(0, -1), flash: null });
}

/** Bindings every screen has: help, audit, back, quit. */
export function globalBindings(app: AppServices, opts: { back: boolean }): KeyBinding[] {
  const out: KeyBinding[] = [];
  if (opts.back)
    out.push({
      keys: ['esc'],
      label: 'back',
      description: 'Back to the previous screen',
      disabledReason: null,
      footer: true,
      run: () => popScreen(app),
    });
  out.push(
    {
      keys: ['a'],
      label: 'audit',
      description: 'Show the latest audit records',
      disabledReason: null,
      footer: true,
      run: () => {
        app.reloadAudit();
        pushScreen(app, 'audit');
      },
    },
    {
      keys: ['?'],
      label: 'help',
      description: 'Show every key binding of this screen',
      disabledReason: null,
      footer: true,
      run: () => pushScreen(app, 'help'),
    },
    {
      keys: ['q', 'ctrl+c'],
      label: 'quit',
      description: 'Quit and restore the terminal',
      disabledReason: null,
      footer: true,
      run: () => app.quit(),
    },
  );
  return out;
}

/** j/k, arrows and PgUp/PgDn for a list; `move` receives the step (±1, ±10). `what` names one item. */
export function listBindings(what: string, move: (delta: number) => void): KeyBinding[] {
  const row = (keys: string[], label: string, description: string, delta: number): KeyBinding => ({
    keys,
    label,
    description,
    disabledReason: null,
    run: () => move(delta),
  });
  return [
    row(['down', 'j'], 'down', `Select the next ${what}`, 1),
    row(['up', 'k'], 'up', `Select the previous ${what}`, -1),
    row(['pagedown'], 'page down', 'Move ten rows down', 10),
    row(['pageup'], 'page up', 'Move ten rows up', -10),
  ];
}

/** Scrolling: Help is often longer than an 80×24 screen. */
export function helpBindings(app: AppServices): KeyBinding[] {
  const scroll = (d: number) => {
    const cur = app.store.getState().ui.helpScroll ?? 0;
    updateUi(app.store, { helpScroll: Math.max(0, cur + d) });
  };
  return [
    {
      keys: ['down', 'j'],
      label: 'down',
      description: 'Scroll down',
      disabledReason: null,
      run: () => scroll(1),
    },
    { keys: ['up', 'k'], label: 'up', description: 'Scroll up', disabledReason: null, run: () => scroll(-1) },
    {
      keys: ['pagedown', ' '],
      label: 'page down',
      description: 'Scroll a page down',
      disabledReason: null,
      run: () => scroll(10),
    },
    {
      keys: ['pageup'],
      label: 'page up',
      description: 'Scroll a page up',
      disabledReason: null,
      run: () => scroll(-10),
    },
  ];
}
