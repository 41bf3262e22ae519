/** Container procedures in `oncall demo` (the sandbox world): rollback to an earlier local tag, restore, restart. */
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

async function openService(a: RenderedApp, name: string) {
  await a.press('/');
  await a.type(name);
  await a.press(KEYS.enter, KEYS.enter);
  await a.waitForFrame('CONTAINR');
}

describe('container procedures in the demo', () => {
  it('rolls ledger back to an earlier local tag, waits for health, audits; u restores the original', async () => {
    app = await renderApp();
    await openService(app, 'ledger');
    expect(app.frame()).toMatch(/ledger-1 running .*healthy.*1\.8\.0/);
    await app.press('r');
    await app.waitForFrame('Roll back to which local image?');
    expect(app.frame()).toContain('localhost/ledger:1.7.3  (local tag)');
    await app.press(KEYS.enter);
    // ledger is staging, but the demo context matches production.contexts: typed confirmation.
    const preview = await app.waitForFrame('Type ledger to confirm');
    expect(preview).toContain('→  localhost/ledger:1.7.3 (local; never pulled)');
    expect(preview).toContain('then     original kept stopped as ledger-1_oncall-kept; u restores it');
    expect(preview).toContain('verify   health check healthy + GET http://127.0.0.1:8081/healthz');
    await app.type('ledger');
    await app.press(KEYS.enter);
    const done = await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });
    expect(done).toMatch(/✓ container running: ledger-1 running on localhost\/ledger:1\.7\.3/);
    expect(done).toMatch(/✓ health check: healthy/);
    expect(done).toMatch(/✓ health URL/);
    const records = auditLines(app.auditFile).filter((r) => r.procedure === 'container-rollback');
    expect(records.map((r) => `${r.step}:${r.outcome}`)).toEqual([
      'started:pending',
      'executed:pending',
      'finished:success',
    ]);
    expect(records[0]).toMatchObject({
      target: 'container/ledger-1',
      from: 'localhost/ledger:1.8.0',
      to: 'localhost/ledger:1.7.3',
    });

    await app.press(KEYS.esc);
    const svc = await app.waitForFrame((f) => !f.includes('DONE: verified') && f.includes('CONTAINR'));
    expect(svc).toContain('original container kept stopped by the last rollback: u restores it');
    await app.press('u');
    const restore = await app.waitForFrame('Type ledger to confirm');
    expect(restore).toContain('restore  ledger-1_oncall-kept');
    await app.type('ledger');
    await app.press(KEYS.enter);
    const back = await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });
    expect(back).toMatch(/✓ container running: ledger-1 running on localhost\/ledger:1\.8\.0/);
    expect(app.world!.mutations.map((m) => m.kind)).toEqual(['recreate', 'restore']);
  });

  it('webhooks (production) restarts with a typed confirmation and the same verification', async () => {
    app = await renderApp();
    await openService(app, 'webhooks');
    await app.press('R');
    await app.waitForFrame('Type webhooks to confirm');
    await app.type('webhooks');
    await app.press(KEYS.enter);
    const done = await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });
    expect(done).toMatch(/✓ health check: healthy/);
    expect(app.world!.mutations.map((m) => m.kind)).toEqual(['restart-container']);
  });

  it('u is disabled with a reason when nothing was kept', async () => {
    app = await renderApp();
    await openService(app, 'ledger');
    await app.press('u');
    await app.waitForFrame('restore disabled: no original container of ledger is kept');
  });
});
