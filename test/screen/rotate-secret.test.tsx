/**
 * Secret rotation from the Service screen, end to end on the sandbox: K → preview → typed confirmation
 * (production) → live progress → verified; a failed rollout → "Changed so far" → u → revert. Canary secret
 * values (the old one, a generated one, one read from a file) are searched for in every frame, every audit
 * line, every console/stdout/stderr write and the whole store (errors included), and never found.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';
import { SandboxWorld } from '../../src/sandbox/world.js';
import { DEMO_CONFIG_YAML } from '../../src/sandbox/demo-config.js';
import { parseConfigText } from '../../src/config/load.js';

const OLD = 'CANARY-OLD-sk_live_4eC39HqLyjWDarjtT1zdp7dc';
const KUBE_KEY = 'sandbox-prod-eu1/payments/stripe';

let app: RenderedApp | null = null;
let output: string[] = [];
const restores: (() => void)[] = [];

beforeEach(() => {
  output = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const spy = vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      output.push(args.map(String).join(' '));
    });
    restores.push(() => spy.mockRestore());
  }
  for (const stream of [process.stdout, process.stderr]) {
    const orig = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      output.push(String(chunk));
      return (orig as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restores.push(() => (stream.write = orig));
  }
});

afterEach(async () => {
  await app?.cleanup();
  app = null;
  while (restores.length) restores.pop()!();
});

function canaryWorld(): SandboxWorld {
  const world = new SandboxWorld();
  world.secrets.set('secret/payments/stripe', {
    versions: [
      { data: { api_key: 'sk_demo_initial', webhook_secret: 'whsec_demo' }, createdAt: world.now() - 9e9 },
      { data: { api_key: OLD, webhook_secret: 'whsec_demo' }, createdAt: world.now() - 3e9 },
    ],
  });
  world.putKubeSecret('sandbox-prod-eu1', 'payments', 'stripe', {
    api_key: OLD,
    webhook_secret: 'whsec_demo',
  });
  return world;
}

/** Every place a value could leak to: frames, audit file, console and std streams, the store (errors too). */
function expectNowhere(a: RenderedApp, ...values: string[]) {
  const frames = a.frames();
  expect(frames.length).toBeGreaterThan(10);
  const audit = existsSync(a.auditFile) ? readFileSync(a.auditFile, 'utf8') : '';
  const store = JSON.stringify(a.rt.store.getState());
  for (const v of values) {
    expect(v.length).toBeGreaterThan(8);
    for (const probe of [v, v.slice(0, 12), v.slice(-12)]) {
      expect(frames.filter((f) => f.includes(probe))).toEqual([]);
      expect(audit.includes(probe)).toBe(false);
      expect(output.filter((o) => o.includes(probe))).toEqual([]);
      expect(store.includes(probe)).toBe(false);
    }
  }
}

async function openCheckout(a: RenderedApp) {
  await a.press('/');
  await a.type('checkout');
  await a.press(KEYS.enter, KEYS.enter);
  return a.waitForFrame('ROLLOUT');
}

describe('rotate secret from the Service screen', () => {
  it('K → preview → typed confirm → live progress → verified, with no value anywhere', async () => {
    app = await renderApp({ world: canaryWorld() });
    await openCheckout(app);
    await app.press('K');
    const preview = await app.waitForFrame('Type checkout-api to confirm');
    expect(preview).toContain('Rotate secret secret/payments/stripe — preview · confirm');
    expect(preview).toContain('PRODUCTION context sandbox-prod-eu1 · namespace payments');
    expect(preview).toMatch(/Vault {4}secret\/payments\/stripe v2 \(of 2, created /);
    expect(preview).toContain('KV v2 API path secret/data/payments/stripe');
    expect(preview).toContain('keys     api_key (new values are never shown)');
    expect(preview).toContain('value    api_key: random, 40 chars');
    expect(preview).toContain('write    v3 with check-and-set cas=2; other keys kept');
    expect(preview).toContain('restart  deployment/checkout-api (env STRIPE_API_KEY)');
    expect(preview).toContain('deployment/payments-worker (volume stripe)');
    expect(app.world!.mutations).toEqual([]);

    await app.type('checkout-api');
    await app.press(KEYS.enter);
    const done = await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });
    expect(done).toContain('✓ Vault version: secret/payments/stripe at version 3 (wrote 3)');
    expect(done).toMatch(/✓ deployment\/checkout-api restarted: 4\/4 available/);
    expect(done).toMatch(/✓ deployment\/payments-worker restarted: 2\/2 available/);
    expect(app.frames().some((f) => f.includes('rolling out…') && /ready \S+ \d\/\d/.test(f))).toBe(true);

    const next = app.world!.secrets.get('secret/payments/stripe')!.versions[2]!.data;
    expect(next.api_key).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(next.webhook_secret).toBe('whsec_demo');
    expect(app.world!.kubeSecrets.get(KUBE_KEY)!.data.api_key).toBe(next.api_key);
    const audit = readFileSync(app.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const rotation = audit.filter((r) => r.procedure === 'rotate-secret');
    expect(rotation.map((r) => `${r.step}:${r.outcome}`)).toEqual([
      'started:pending',
      'executed:pending',
      'finished:success',
    ]);
    expect(rotation[1].detail).toMatch(
      /^Vault secret\/payments\/stripe: version 2 → 3 written \(keys api_key\); Secret payments\/stripe: resourceVersion \d+ → \d+/,
    );
    expectNowhere(app, OLD, next.api_key!);
  });

  it('a value read from a file (externally issued key) reaches Vault and the Secret, and nowhere else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-issued-'));
    const ISSUED =
      'CANARY-ISSUED-{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"}]}';
    writeFileSync(join(dir, 'jwks.json'), ISSUED);
    const yaml = DEMO_CONFIG_YAML.replace(
      '        generate: {length: 40}',
      `        fromFiles: {api_key: ${join(dir, 'jwks.json')}}`,
    );
    expect(yaml).not.toBe(DEMO_CONFIG_YAML);
    app = await renderApp({ world: canaryWorld(), config: parseConfigText(yaml, 'test.yaml') });
    await openCheckout(app);
    await app.press('K');
    const preview = await app.waitForFrame('Type checkout-api to confirm');
    expect(preview).toContain(`value    api_key: from file ${join(dir, 'jwks.json')}`);
    await app.type('checkout-api');
    await app.press(KEYS.enter);
    await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });
    expect(app.world!.secrets.get('secret/payments/stripe')!.versions[2]!.data.api_key).toBe(ISSUED);
    expect(app.world!.kubeSecrets.get(KUBE_KEY)!.data.api_key).toBe(ISSUED);
    expectNowhere(app, OLD, ISSUED, 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU');
  });

  it('a rollout that fails stops with what changed; u reverts to the previous version end to end', async () => {
    const world = canaryWorld();
    // The first restart of checkout-api produces pods that crash (a key the provider rejects).
    const d = world.deployments.get('checkout-api')!;
    const restart = d.restart.bind(d);
    d.restart = (now: number) => {
      restart(now);
      d.current.crashes = true;
      d.restart = restart;
    };
    app = await renderApp({ world });
    await openCheckout(app);
    await app.press('K');
    await app.waitForFrame('Type checkout-api to confirm');
    await app.type('checkout-api');
    await app.press(KEYS.enter);
    const failed = await app.waitForFrame('FAILED', { advanceMs: 20_000, timeoutMs: 60_000 });
    expect(failed).toContain('Changed so far:');
    expect(failed).toContain('Vault secret/payments/stripe: version 2 → 3 written (keys api_key)');
    expect(failed).toMatch(/Secret payments\/stripe: resourceVersion \d+ → \d+ \(keys api_key\)/);
    expect(failed).toContain('restarted deployment/checkout-api, deployment/payments-worker');
    expect(failed).toContain('Press u to revert these changes, Esc to close and leave them.');
    expect(failed).toMatch(/u revert/);
    const rotated = world.secrets.get('secret/payments/stripe')!.versions[2]!.data.api_key!;

    await app.press('u');
    const revert = await app.waitForFrame('Revert: Rotate secret');
    expect(revert).toContain('Vault    v4 = the content of v2 again (check-and-set cas=3)');
    expect(revert).toContain('Type checkout-api to confirm');
    await app.type('checkout-api');
    await app.press(KEYS.enter);
    const done = await app.waitForFrame('reverted and verified', { advanceMs: 1000, timeoutMs: 30_000 });
    expect(done).toContain('DONE: verified');
    expect(world.secrets.get('secret/payments/stripe')!.versions.map((v) => v.data.api_key)).toEqual([
      'sk_demo_initial',
      OLD,
      rotated,
      OLD,
    ]);
    expect(world.kubeSecrets.get(KUBE_KEY)!.data).toEqual({ api_key: OLD, webhook_secret: 'whsec_demo' });
    const w = await app.rt.read.cluster!.get({ namespace: 'payments', deployment: 'checkout-api' });
    expect(w.rollout.done && w.pods.every((p) => p.ready && !p.reason)).toBe(true);
    const ops = readFileSync(app.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => !String(r.procedure).endsWith(':announce'))
      .map((r) => `${r.procedure} ${r.step}:${r.outcome}`);
    expect(ops).toEqual([
      'rotate-secret started:pending',
      'rotate-secret executed:pending',
      'rotate-secret finished:failed',
      'rotate-secret:revert started:pending',
      'rotate-secret:revert executed:pending',
      'rotate-secret:revert finished:success',
    ]);
    expectNowhere(app, OLD, rotated);
  }, 120_000);

  it('disabled with the reason: a sealed Vault, a service without secrets; nothing changes', async () => {
    const world = canaryWorld();
    world.vault.sealed = true;
    app = await renderApp({ world });
    const overview = await app.waitForFrame('VAULT SEALED');
    expect(overview).toMatch(/VAULT SEALED ·/);
    await openCheckout(app);
    await app.press('?');
    const help = await app.waitForFrame('KEYS on service');
    expect(help).toMatch(/^K\s+Rotate a secret: Vault KV v2.*\n\s+disabled: Vault is sealed$/m);
    await app.press(KEYS.esc);
    await app.waitForFrame('ROLLOUT');
    await app.press('K');
    await app.waitForFrame('rotate secret disabled: Vault is sealed');
    expect(app.frame()).not.toContain('Type checkout-api');
    await app.press(KEYS.esc);
    await app.waitForFrame('SERVICE');
    await app.press('/', KEYS.esc, '/');
    await app.type('accounts');
    await app.press(KEYS.enter, KEYS.enter, 'K');
    await app.waitForFrame('rotate secret disabled: accounts has no secrets configured');
    expect(app.world!.mutations).toEqual([]);
    expect(existsSync(app.auditFile)).toBe(false);
  });

  it('a Vault sealed between the status poll and the keypress is refused at planning, nothing changed', async () => {
    const world = canaryWorld();
    app = await renderApp({ world });
    await openCheckout(app);
    world.vault.sealed = true;
    await app.press('K');
    const refused = await app.waitForFrame('REFUSED');
    expect(refused).toContain('Vault is sealed: nothing was changed (unseal it, then try again)');
    expect(app.world!.mutations).toEqual([]);
    expect(existsSync(app.auditFile)).toBe(false);
  });
});
