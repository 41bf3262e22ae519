/** A procedure taller than the screen keeps its title, context, prompt and errors visible; the preview shrinks. */
import { afterEach, describe, expect, it } from 'vitest';
import { renderApp, type RenderedApp } from '../helpers/render-app.js';

let app: RenderedApp | null = null;
afterEach(async () => {
  await app?.cleanup();
  app = null;
});

describe('procedure layout at 80×24', () => {
  it('a 40-line preview with a long error still shows the title, context, confirm prompt and the error', async () => {
    app = await renderApp();
    app.rt.store.setState({
      procedure: {
        kind: 'rollback',
        title: 'Roll back checkout-api',
        service: 'checkout-api',
        step: 'confirm',
        context: 'sandbox-prod-eu1',
        namespace: 'payments',
        production: true,
        preview: Array.from({ length: 40 }, (_, i) => `preview line ${i + 1}`),
        confirm: { mode: 'typed', expected: 'checkout-api', typed: 'check', error: null },
        checks: [],
        message: 'deployment/checkout-api changed since the preview, so nothing was changed.',
        error:
          'Operation cannot be fulfilled on deployments.apps "checkout-api": the object has been modified',
        auditIds: [],
      },
    });
    const f = await app.waitForFrame('Roll back checkout-api');
    expect(f).toContain('PRODUCTION context sandbox-prod-eu1 · namespace payments');
    expect(f).toContain('preview line 1');
    expect(f).not.toContain('preview line 40');
    expect(f).toContain('Type checkout-api to confirm');
    expect(f).toContain('> check█');
    expect(f.replace(/\s*│\n│\s*/g, ' ')).toContain('the object has been modified');
    expect(f.split('\n').length).toBeLessThanOrEqual(24);
  });
});
