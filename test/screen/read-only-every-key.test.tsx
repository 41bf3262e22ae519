/**
 * Read-only mode, generated: every key binding on every screen (for every service) is pressed, and the
 * sandbox records no mutation and no audit record is written. The bindings come from the screens' own
 * data, so a new action is covered the day it is added.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { renderApp, KEYS, type RenderedApp } from '../helpers/render-app.js';
import { keyBytes } from '../helpers/keys.js';
import { bindingsFor } from '../../src/screens/registry.js';
import type { AppServices } from '../../src/hooks/app-context.js';
import { updateUi, type ScreenName } from '../../src/state/store.js';

let app: RenderedApp | null = null;
afterEach(async () => {
  await app?.cleanup();
  app = null;
});

describe('read-only: every key on every screen', () => {
  it('changes nothing in the sandbox world and writes no audit record', async () => {
    const readOnly = process.env.ONCALL_TEST_BREAK_READ_ONLY !== '1'; // set to 1 to see this test fail
    app = await renderApp({
      readOnly,
      readOnlyReason: readOnly ? 'read-only mode (--read-only)' : undefined,
    });
    const { rt } = app;
    const services: AppServices = {
      store: rt.store,
      procedures: rt.procedures,
      quit: () => undefined,
      color: false,
      reloadAudit: () => undefined,
    };
    const screens: ScreenName[] = ['overview', 'service', 'audit', 'help', 'certs'];
    let pressed = 0;
    for (const svc of rt.config.services) {
      for (const screen of screens) {
        const reset = () =>
          updateUi(rt.store, {
            stack: screen === 'overview' ? ['overview'] : ['overview', screen],
            selectedService: svc.name,
            filter: '',
            filterEditing: false,
            helpFor: 'overview',
          });
        reset();
        const names = new Set(bindingsFor(services, rt.store.getState(), screen).flatMap((b) => b.keys));
        for (const name of names) {
          if (name === 'q' || name === 'ctrl+c') continue; // quitting is tested elsewhere
          reset();
          await app.press(keyBytes(name));
          // If anything opened a procedure, try every way of confirming it: choose, type the name, y.
          await app.press(KEYS.enter);
          if (rt.store.getState().procedure) {
            await app.type(svc.name);
            await app.press(KEYS.enter, 'y');
          }
          // Whatever opened (filter, help, a procedure), back out.
          await app.press(KEYS.esc, KEYS.esc);
          pressed++;
        }
      }
    }
    expect(pressed).toBeGreaterThan(50);
    expect(rt.store.getState().procedure).toBeNull();
    expect(app.world!.mutations).toEqual([]);
    expect(existsSync(app.auditFile)).toBe(false);
    expect(app.frame()).toContain('READ-ONLY');
  });
});
