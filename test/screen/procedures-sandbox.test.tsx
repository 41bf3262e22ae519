/**
 * Scale, restart and pause/resume through the TUI on the sandbox world (what `oncall demo` shows):
 * key, preview, confirmation, live progress, verification, the audit trail and the Event on the target.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';

let app: RenderedApp | null = null;
afterEach(async () => {
  await app?.cleanup();
  app = null;
});

function audit(file: string, procedure: string) {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.procedure === procedure);
}

/** Let React flush passive effects (Ink re-subscribes input handlers there) before the next key. */
async function settle() {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
}

async function openService(a: RenderedApp, name: string) {
  await a.press('/');
  await a.type(name);
  await a.press(KEYS.enter, KEYS.enter);
  await a.waitForFrame('ROLLOUT');
}

describe('scale in the sandbox', () => {
  it('s picks a count, previews, confirms y/N, follows ready replicas, verifies and audits', async () => {
    app = await renderApp();
    await openService(app, 'search');
    expect(app.frame()).toMatch(/s scale/);
    await app.press('s');
    await app.waitForFrame('Scale to how many replicas? (now 2)');
    // Initial choice is one more than now; move down once more: 4.
    await app.press(KEYS.down);
    await app.press(KEYS.enter);
    const preview = await app.waitForFrame('Apply this change? [y/N]');
    expect(preview).toContain('replicas 2 → 4 (scale subresource; precondition: current replicas = 2)');
    await app.press('y');
    const done = await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });
    expect(done).toMatch(/✓ desired replicas: spec\.replicas 4 \(wanted 4\)/);
    expect(done).toMatch(/✓ rollout complete: 4\/4 available/);
    expect(app.world!.mutations.map((m) => `${m.kind}:${m.detail}`)).toEqual([
      'scale:2 → 4',
      'event:OncallScale',
    ]);
    expect(audit(app.auditFile, 'scale').map((r) => `${r.step}:${r.outcome}`)).toEqual([
      'started:pending',
      'executed:pending',
      'finished:success',
    ]);
    expect(audit(app.auditFile, 'scale')[0]).toMatchObject({
      from: 'replicas 2',
      to: 'replicas 4',
      confirmation: 'y',
    });
    const ev = app.world!.deployments.get('search')!.events.find((e) => e.reason === 'OncallScale');
    expect(ev?.message).toMatch(/scaled from 2 to 4 replicas via oncall; audit /);
  });

  it('warns about the HPA, and a count outside its bounds needs the typed second confirmation', async () => {
    app = await renderApp();
    await openService(app, 'checkout-api');
    await app.press('s');
    await app.waitForFrame('HPA bounds 3–10');
    // From the initial 5 (now 4, which is not offered), go up to 2 (outside min 3).
    await app.press(KEYS.up);
    await app.waitForFrame(/❯\s*3 replicas/);
    await settle();
    await app.press(KEYS.up);
    await app.waitForFrame(/❯\s*2 replicas\s+\(outside HPA 3–10\)/);
    await app.press(KEYS.enter);
    const preview = await app.waitForFrame('Type checkout-api 2 to confirm');
    expect(preview).toContain('HPA      min 3 · max 10');
    expect(preview).toContain('WARNING  2 is outside the HPA bounds 3–10');
    await app.type('checkout-api');
    await app.press(KEYS.enter);
    await app.waitForFrame('"checkout-api" does not match; type checkout-api 2 exactly');
    expect(app.world!.mutations).toEqual([]);
    await app.type(' 2');
    await app.press(KEYS.enter);
    const done = await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });
    expect(done).toMatch(/✓ desired replicas: spec\.replicas 2 \(wanted 2\)/);
    expect(app.world!.mutations.map((m) => `${m.kind}:${m.detail}`)).toEqual([
      'scale:4 → 2',
      'event:OncallScale',
    ]);
    expect(audit(app.auditFile, 'scale')[0]).toMatchObject({ confirmation: 'checkout-api 2' });
    // As the preview warned: the (simulated) HPA clamps the count back to its minimum on its next sync.
    await app.press(KEYS.esc);
    await app.waitForFrame(/3\/3 ready/, { advanceMs: 2000, timeoutMs: 20_000 });
    const ev = app
      .world!.deployments.get('checkout-api')!
      .events.find((e) => e.reason === 'SuccessfulRescale');
    expect(ev?.message).toBe('New size: 3; reason: Current number of replicas below Spec.MinReplicas');
  });

  it('within the HPA bounds the warning stays and a production service asks for its name', async () => {
    app = await renderApp();
    await openService(app, 'checkout-api');
    await app.press('s', KEYS.enter);
    const preview = await app.waitForFrame('Type checkout-api to confirm');
    expect(preview).toContain('the HPA will override a manual scale');
    await app.press(KEYS.esc);
    await app.waitForFrame((f) => !f.includes('Type checkout-api'));
    expect(app.world!.mutations).toEqual([]);
  });
});

describe('restart in the sandbox', () => {
  it('R previews the restartedAt change, follows the new revision and verifies every pod was replaced', async () => {
    app = await renderApp();
    await openService(app, 'search');
    await app.press('R');
    const preview = await app.waitForFrame('Apply this change? [y/N]');
    expect(preview).toContain('rolling restart: all 2 pods replaced');
    expect(preview).toContain('kubectl.kubernetes.io/restartedAt');
    await app.press('y');
    const done = await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });
    expect(done).toMatch(/✓ all pods replaced: revision 2 → 3; 0 pod\(s\) from before remain/);
    expect(app.world!.mutations.map((m) => m.kind)).toEqual(['restart', 'event']);
    expect(audit(app.auditFile, 'restart').map((r) => `${r.step}:${r.outcome}`)).toEqual([
      'started:pending',
      'executed:pending',
      'finished:success',
    ]);
  });
});

describe('pause and resume in the sandbox', () => {
  it('p pauses; restart and rollback then say why they are disabled; p again resumes', async () => {
    app = await renderApp();
    await openService(app, 'search');
    await app.press('p');
    const preview = await app.waitForFrame('Apply this change? [y/N]');
    expect(preview).toContain('spec.paused false → true, like kubectl rollout pause');
    await app.press('y');
    await app.waitForFrame('DONE: verified', { advanceMs: 1000 });
    expect(app.frame()).toMatch(/✓ paused: spec\.paused true/);
    await app.press(KEYS.esc);
    await app.waitForFrame(/paused/);
    await app.press('R');
    await app.waitForFrame('restart disabled: search is paused: resume it first (p)');
    await app.press('r');
    await app.waitForFrame('rollback disabled: search is paused: resume it first (p)');

    await app.press('p');
    const resume = await app.waitForFrame('Resume search');
    expect(resume).toContain('spec.paused true → false, like kubectl rollout resume');
    await app.press('y');
    await app.waitForFrame('DONE: verified', { advanceMs: 1000 });
    expect(app.frame()).toMatch(/✓ resumed: spec\.paused false/);
    expect(app.world!.mutations.map((m) => m.kind)).toEqual(['pause', 'event', 'resume', 'event']);
    expect(audit(app.auditFile, 'pause')).toHaveLength(3);
    expect(audit(app.auditFile, 'resume')).toHaveLength(3);
  });

  it('N at the confirmation changes nothing and writes no audit record', async () => {
    app = await renderApp();
    await openService(app, 'search');
    await app.press('p');
    await app.waitForFrame('Apply this change? [y/N]');
    await app.press('n');
    await app.waitForFrame((f) => !f.includes('Apply this change'));
    expect(app.world!.mutations).toEqual([]);
    expect(() => readFileSync(app!.auditFile, 'utf8')).toThrow();
  });
});

describe('read-only', () => {
  it('scale, restart and pause are shown disabled with the reason and never reach the sandbox', async () => {
    app = await renderApp({ readOnly: true, readOnlyReason: 'read-only mode (--read-only)' });
    await openService(app, 'search');
    for (const [key, label] of [
      ['s', 'scale'],
      ['R', 'restart'],
      ['p', 'pause/resume'],
    ] as const) {
      await app.press(key);
      await app.waitForFrame(`${label} disabled: read-only mode (--read-only)`);
    }
    expect(app.world!.mutations).toEqual([]);
  });
});
