/**
 * Read-only mode, generated: every key binding on every screen (for every service) is pressed, and the
 * sandbox records no mutation and no audit record is written. The bindings come from the screens' own
 * data, so a new action is covered the day it is added.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { renderApp, type RenderedApp } from '../helpers/render-app.js';
import { pressEveryKey } from '../helpers/press-every-key.js';

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
    const pressed = await pressEveryKey(app);
    expect(pressed).toBeGreaterThan(50);
    expect(rt.store.getState().procedure).toBeNull();
    expect(app.world!.mutations).toEqual([]);
    expect(existsSync(app.auditFile)).toBe(false);
    expect(app.frame()).toContain('READ-ONLY');
  });
});
