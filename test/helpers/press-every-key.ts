/**
 * Press every key binding on every screen for every service (the bindings come from the screens' own data,
 * so a new action is covered the day it is added). After each key, anything that opened is pushed as far
 * as a user could push it: choose, type the service name, Enter, y. Returns how many keys were pressed.
 */
import { bindingsFor } from '../../src/screens/registry.js';
import type { AppServices } from '../../src/hooks/app-context.js';
import { updateUi, type ScreenName } from '../../src/state/store.js';
import { KEYS, type RenderedApp } from './render-app.js';
import { keyBytes } from './keys.js';

const SCREENS: ScreenName[] = ['overview', 'service', 'audit', 'help', 'certs'];

export async function pressEveryKey(app: RenderedApp): Promise<number> {
  const { rt } = app;
  const services: AppServices = {
    store: rt.store,
    procedures: rt.procedures,
    quit: () => undefined,
    color: false,
    reloadAudit: () => undefined,
  };
  let pressed = 0;
  for (const svc of rt.config.services) {
    for (const screen of SCREENS) {
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
        await app.press(KEYS.enter);
        if (rt.store.getState().procedure) {
          // Try every way of confirming: the typed name (and "name count"), Enter, y; then let it settle.
          await app.type(svc.name);
          await app.press(KEYS.enter, 'y');
          await app.waitForFrame(() => {
            const step = rt.store.getState().procedure?.step;
            return step === undefined || ['refused', 'failed', 'done', 'confirm', 'choose'].includes(step);
          });
        }
        await app.press(KEYS.esc, KEYS.esc);
        pressed++;
      }
    }
  }
  return pressed;
}
