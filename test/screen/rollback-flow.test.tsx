import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';

let app: RenderedApp | null = null;
afterEach(async () => {
  await app?.cleanup();
  app = null;
});

function auditLines(file: string) {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Let the incident develop until checkout-api pages and sits on top of the Overview. */
async function untilIncident(a: RenderedApp) {
  return a.waitForFrame((f) => /›\s*checkout-api\s+CRIT/.test(f), { advanceMs: 2000 });
}

describe('rollback from the Overview, end to end on the sandbox', () => {
  it('finds the paging service first, rolls it back with a typed confirmation, follows, verifies and audits', async () => {
    app = await renderApp();
    const incident = await untilIncident(app);
    expect(incident).toMatch(/checkout-api\s+CRIT\s+r7 2\.14\.0/);

    await app.press(KEYS.enter);
    await app.waitForFrame(/^ROLLOUT /m);
    expect(app.frame()).toContain('SLO burn');
    await app.press('r');
    await app.waitForFrame('Roll back to which revision?');
    expect(app.frame()).toMatch(/rev 6\s+2\.13\.2/);
    await app.press(KEYS.enter);
    const preview = await app.waitForFrame('Type checkout-api to confirm');
    expect(preview).toContain('registry.example.test/checkout-api:2.14.0');
    expect(preview).toContain('→  registry.example.test/checkout-api:2.13.2');
    expect(preview).toContain('PRODUCTION context sandbox-prod-eu1 · namespace payments');

    await app.type('checkout-api');
    await app.press(KEYS.enter);
    const done = await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });
    expect(done).toMatch(/✓ rollout complete: 4\/4 available on 2\.13\.2/);
    expect(done).toMatch(/✓ error ratio falling/);
    expect(app.world!.mutations.filter((m) => m.kind === 'rollback')).toEqual([
      expect.objectContaining({ target: 'sandbox-prod-eu1/payments/checkout-api', detail: 'to revision 6' }),
    ]);

    const records = auditLines(app.auditFile).filter((r) => r.procedure === 'rollback');
    expect(records.map((r) => `${r.step}:${r.outcome}`)).toEqual([
      'started:pending',
      'executed:pending',
      'finished:success',
    ]);
    expect(records[0]).toMatchObject({
      service: 'checkout-api',
      confirmation: 'checkout-api',
      to: 'rev 6 registry.example.test/checkout-api:2.13.2',
    });
    expect(records[2]!.operationId).toBe(records[0]!.id);

    await app.press(KEYS.esc);
    await app.waitForFrame((f) => !f.includes('DONE: verified'));
  });

  it('u after a verified rollback offers the inverse as a new, previewed, confirmed and audited change', async () => {
    app = await renderApp();
    await untilIncident(app);
    await app.press(KEYS.enter, 'r', KEYS.enter);
    await app.waitForFrame('Type checkout-api to confirm');
    await app.type('checkout-api');
    await app.press(KEYS.enter);
    const done = await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });
    expect(done).toContain('Press u to undo (roll back to rev 7 (2.14.0)), Esc to close.');
    await app.press('u');
    const preview = await app.waitForFrame('Type checkout-api to confirm');
    expect(preview).toContain('revision 8 → 7');
    expect(preview).toContain('→  registry.example.test/checkout-api:2.14.0');
    expect(app.world!.mutations.filter((m) => m.kind === 'rollback')).toHaveLength(1); // nothing yet
    await app.type('checkout-api');
    await app.press(KEYS.enter);
    // Undoing brings the bad image back: the rollout completes, but verification says the error ratio is not falling.
    const failed = await app.waitForFrame('FAILED', { advanceMs: 10_000, timeoutMs: 20_000 });
    expect(failed).toMatch(/✓ rollout complete: 4\/4 available on 2\.14\.0/);
    expect(failed).toMatch(/… error ratio falling/);
    expect(app.world!.mutations.filter((m) => m.kind === 'rollback').map((m) => m.detail)).toEqual([
      'to revision 6',
      'to revision 7',
    ]);
    const started = auditLines(app.auditFile).filter(
      (r) => r.procedure === 'rollback' && r.step === 'started',
    );
    expect(started.map((r) => r.to)).toEqual([
      'rev 6 registry.example.test/checkout-api:2.13.2',
      'rev 7 registry.example.test/checkout-api:2.14.0',
    ]);
  });

  it('a typed name and Enter arriving in one read (a slow terminal) still confirm', async () => {
    app = await renderApp();
    await untilIncident(app);
    await app.press(KEYS.enter, 'r', KEYS.enter);
    await app.waitForFrame('Type checkout-api to confirm');
    await app.press('checkout-api\r');
    await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });
    expect(app.world!.mutations.filter((m) => m.kind === 'rollback')).toHaveLength(1);
  });

  it('rejects a wrong typed name and changes nothing', async () => {
    app = await renderApp();
    await untilIncident(app);
    await app.press(KEYS.enter, 'r', KEYS.enter);
    await app.waitForFrame('Type checkout-api to confirm');
    await app.type('checkout');
    await app.press(KEYS.enter);
    await app.waitForFrame('"checkout" does not match; type checkout-api exactly');
    expect(app.world!.mutations).toEqual([]);
    await app.press(KEYS.backspace, KEYS.backspace);
    await app.waitForFrame('> checko█');
  });

  it.each([
    ['the revision choice', [] as string[]],
    ['the typed confirmation', [KEYS.enter]],
  ])('Esc at %s cancels with nothing changed and no audit record', async (_name, keys) => {
    app = await renderApp();
    await untilIncident(app);
    await app.press(KEYS.enter, 'r');
    await app.waitForFrame('Roll back to which revision?');
    await app.press(...keys);
    if (keys.length) await app.waitForFrame('Type checkout-api');
    await app.press(KEYS.esc);
    await app.waitForFrame((f) => f.includes('ROLLOUT') && !f.includes('Roll back'));
    expect(app.world!.mutations).toEqual([]);
    expect(() => readFileSync(app!.auditFile, 'utf8')).toThrow();
  });

  it('non-production services confirm with y/N, and N changes nothing', async () => {
    app = await renderApp();
    await app.press('/');
    await app.type('search');
    await app.press(KEYS.enter, KEYS.enter, 'r', KEYS.enter);
    await app.waitForFrame('Apply this change? [y/N]');
    await app.press('n');
    await app.waitForFrame((f) => !f.includes('Apply this change'));
    expect(app.world!.mutations).toEqual([]);
  });
});

describe('read-only', () => {
  it('shows why rollback is disabled and never reaches the sandbox', async () => {
    app = await renderApp({ readOnly: true, readOnlyReason: 'read-only mode (--read-only)' });
    const f = await untilIncident(app);
    expect(f).toContain('READ-ONLY');
    expect(f).toContain('actions off: read-only');
    await app.press('r');
    await app.waitForFrame('rollback disabled: read-only mode (--read-only)');
    await app.press(KEYS.enter, 'r');
    await app.waitForFrame('rollback disabled: read-only mode (--read-only)');
    expect(app.frame()).not.toContain('Roll back to which revision');
    expect(app.world!.mutations).toEqual([]);
    expect(app.rt.gate.readOnly).toBe(true);
  });
});
