/**
 * The rotate-secret procedure end to end: the Vault protocol fake through the real Vault adapter (node-vault),
 * the sandbox cluster (Secret, consumers, rolling restarts), the real gate and audit log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { startFakeVault, type FakeVault } from '../fakes/vault/server.js';
import { createVaultAdapter } from '../../src/adapters/vault/index.js';
import { generateValue } from '../../src/procedures/rotate-secret.js';
import type { ProcedureMachine } from '../../src/procedures/machine.js';
import { startHarness, type Harness } from './rotate-harness.js';
import { SandboxWorld } from '../../src/sandbox/world.js';
import { DEMO_CONFIG_YAML } from '../../src/sandbox/demo-config.js';
import { parseConfigText } from '../../src/config/load.js';

const OLD = 'CANARY-old-sk_live_51H8xQ2eZvKYlo2C';
const KUBE_KEY = 'sandbox-prod-eu1/payments/stripe';

let vault: FakeVault | null = null;
let h: Harness | null = null;
afterEach(async () => {
  h?.stop();
  h = null;
  await vault?.stop();
  vault = null;
});

async function setup(opts: { token?: string; rolloutTimeoutMs?: number } = {}) {
  vault = await startFakeVault({
    tokens: {
      rotator: { policies: ['default', 'rotator'], ttlSeconds: 86_400 },
      reader: { policies: ['default', 'reader'], ttlSeconds: 86_400 },
    },
    policies: {
      rotator: [
        { path: 'secret/data/payments/*', capabilities: ['read', 'create', 'update'] },
        { path: 'secret/metadata/payments/*', capabilities: ['read', 'list'] },
      ],
      reader: [
        { path: 'secret/data/payments/*', capabilities: ['read'] },
        { path: 'secret/metadata/payments/*', capabilities: ['read'] },
      ],
    },
  });
  vault.put('secret', 'payments/stripe', { api_key: 'sk_first', webhook_secret: 'whsec_kept' });
  vault.put('secret', 'payments/stripe', { api_key: OLD, webhook_secret: 'whsec_kept' });
  const adapter = await createVaultAdapter({ addr: vault.url, token: opts.token ?? 'rotator' });
  h = await startHarness({ secrets: adapter, rolloutTimeoutMs: opts.rolloutTimeoutMs });
  h.world.putKubeSecret('sandbox-prod-eu1', 'payments', 'stripe', {
    api_key: OLD,
    webhook_secret: 'whsec_kept',
  });
  return { vault, h };
}

const machine = (x: Harness) => x.procedures.active as ProcedureMachine<unknown>;
const view = (x: Harness) => x.store.getState().procedure!;
const final = (x: Harness) => ['done', 'failed', 'refused'].includes(x.step() ?? '');

async function startAndConfirm(x: Harness) {
  expect(x.procedures.start('rotate-secret', 'checkout-api')).toBe(true);
  await x.until(() => x.step() !== 'planning', { advanceMs: 0, what: 'planning' });
  return view(x);
}

/** Everything the operator or an auditor could see: the view, the audit log, and errors. */
function visible(x: Harness): string {
  return JSON.stringify(x.store.getState()) + x.auditText();
}

describe('rotate-secret with the Vault fake and the sandbox cluster', () => {
  it('plans, previews, rotates with CAS, updates the Secret with a precondition, restarts consumers, verifies and audits', async () => {
    const { vault, h } = await setup();
    const rvBefore = h.world.kubeSecrets.get(KUBE_KEY)!.resourceVersion;
    const v = await startAndConfirm(h);
    expect(v.step).toBe('confirm');
    expect(v.confirm).toMatchObject({ mode: 'typed', expected: 'checkout-api' });
    const preview = v.preview.join('\n');
    expect(v.preview.slice(0, 8)).toEqual([
      expect.stringMatching(
        /^Vault {4}secret\/payments\/stripe v2 \(of 2, created \d{4}-\d\d-\d\d \d\d:\d\d\)$/,
      ),
      '         KV v2 API path secret/data/payments/stripe',
      'keys     api_key (new values are never shown)',
      'value    api_key: random, 40 chars',
      'write    v3 with check-and-set cas=2; other keys kept',
      `Secret   payments/stripe rv ${rvBefore}, keys api_key, webhook_secret`,
      'restart  deployment/checkout-api (env STRIPE_API_KEY)',
      '         deployment/payments-worker (volume stripe)',
    ]);
    expect(preview).not.toContain(OLD);
    expect(h.world.mutations).toEqual([]);

    machine(h).type('checkout-api');
    const submitted = machine(h).submit();
    await h.until(() => final(h), { what: 'rotation to finish' });
    await submitted;
    expect(view(h).error).toBeNull();
    expect(view(h).step).toBe('done');

    // Vault: a new version 3 written with cas=2, other keys kept, a new random value.
    const casWrite = vault.requests.find(
      (r) => r.method === 'POST' && r.path === '/v1/secret/data/payments/stripe',
    );
    expect((casWrite!.body as { options: unknown }).options).toEqual({ cas: 2 });
    const now3 = vault.read('secret', 'payments/stripe')!;
    expect(vault.currentVersion('secret', 'payments/stripe')).toBe(3);
    expect(now3.webhook_secret).toBe('whsec_kept');
    expect(now3.api_key).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(now3.api_key).not.toBe(OLD);
    // Kubernetes: the same value, other keys kept, a new resourceVersion.
    const kube = h.world.kubeSecrets.get(KUBE_KEY)!;
    expect(kube.data).toEqual({ api_key: now3.api_key, webhook_secret: 'whsec_kept' });
    expect(kube.resourceVersion).toBe(rvBefore + 1);
    expect(h.world.mutations.map((m) => `${m.kind} ${m.target}`)).toEqual([
      `secret-update ${KUBE_KEY}`,
      'restart sandbox-prod-eu1/payments/checkout-api',
      'restart sandbox-prod-eu1/payments/payments-worker',
      'event sandbox-prod-eu1/payments/checkout-api',
      'event sandbox-prod-eu1/payments/payments-worker',
    ]);
    const checks = view(h).checks.map((c) => `${c.ok ? 'ok' : 'FAIL'} ${c.name}`);
    expect(checks).toEqual([
      'ok Vault version',
      'ok Secret updated',
      'ok deployment/checkout-api restarted',
      'ok deployment/payments-worker restarted',
      'ok checkout-api health',
    ]);

    const records = h.audit().filter((r) => r.procedure === 'rotate-secret');
    expect(records.map((r) => `${r.step}:${r.outcome}`)).toEqual([
      'started:pending',
      'executed:pending',
      'finished:success',
    ]);
    expect(records[0]).toMatchObject({
      target: 'vault:secret/payments/stripe',
      from: `vault secret/payments/stripe v2; secret payments/stripe rv ${rvBefore}`,
      confirmation: 'checkout-api',
    });
    expect(records[1]!.detail).toBe(
      `Vault secret/payments/stripe: version 2 → 3 written (keys api_key); Secret payments/stripe: resourceVersion ${rvBefore} → ${rvBefore + 1} (keys api_key); restarted deployment/checkout-api, deployment/payments-worker`,
    );
    // Never a value, old or new.
    const seen = visible(h);
    expect(seen).not.toContain(OLD);
    expect(seen).not.toContain(now3.api_key);
    expect(seen).not.toContain('whsec_kept');
  });

  it('a CAS conflict (someone rotated in between) changes nothing in Kubernetes and asks again', async () => {
    const { vault, h } = await setup();
    const rvBefore = h.world.kubeSecrets.get(KUBE_KEY)!.resourceVersion;
    await startAndConfirm(h);
    vault.put('secret', 'payments/stripe', { api_key: 'someone-else', webhook_secret: 'whsec_kept' });
    machine(h).type('checkout-api');
    await machine(h).submit();
    expect(view(h).step).toBe('confirm');
    expect(view(h).message).toBe(
      'vault:secret/payments/stripe changed since the preview, so nothing was changed. Review the new state and confirm again.',
    );
    expect(view(h).error).toContain('check-and-set parameter did not match the current version');
    expect(view(h).preview.join('\n')).toContain('write    v4 with check-and-set cas=3');
    expect(h.world.mutations).toEqual([]);
    expect(h.world.kubeSecrets.get(KUBE_KEY)!.resourceVersion).toBe(rvBefore);
    expect(vault.read('secret', 'payments/stripe')!.api_key).toBe('someone-else');
    const records = h.audit().filter((r) => r.procedure === 'rotate-secret');
    expect(records.map((r) => `${r.step}:${r.outcome}`)).toEqual(['started:pending', 'finished:failed']);
    expect(String(records[1]!.error)).toContain('check-and-set');
  });

  it('a sealed Vault is refused while planning: nothing changes, nothing is audited', async () => {
    const { vault, h } = await setup();
    vault.seal();
    const v = await startAndConfirm(h);
    expect(v.step).toBe('refused');
    expect(v.error).toBe('Vault is sealed: nothing was changed (unseal it, then try again)');
    expect(v.message).toBe('nothing was changed');
    expect(h.world.mutations).toEqual([]);
    expect(h.auditText()).toBe('');
    expect(vault.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('a path the token may not write is refused while planning, with the capabilities Vault reported', async () => {
    const { vault, h } = await setup({ token: 'reader' });
    const v = await startAndConfirm(h);
    expect(v.step).toBe('refused');
    expect(v.error).toBe(
      'the Vault token may not rotate secret/payments/stripe: capabilities on secret/data/payments/stripe are read (needs read and update)',
    );
    expect(h.world.mutations).toEqual([]);
    expect(h.auditText()).toBe('');
    expect(vault.currentVersion('secret', 'payments/stripe')).toBe(2);
  });

  it('a rollout that fails after the Vault write stops, lists what changed, and revert restores the previous version end to end', async () => {
    const { vault, h } = await setup({ rolloutTimeoutMs: 40_000 });
    const rvBefore = h.world.kubeSecrets.get(KUBE_KEY)!.resourceVersion;
    // The new pods of checkout-api crash (as with a key the payment provider rejects).
    let crashOnRestart = true;
    const restart = h.mutate.cluster!.restart.bind(h.mutate.cluster);
    h.mutate.cluster!.restart = async (ref, rv, o) => {
      const r = await restart(ref, rv, o);
      if (crashOnRestart && ref.deployment === 'checkout-api' && !o?.dryRun)
        h.world.deployments.get('checkout-api')!.current.crashes = true;
      return r;
    };
    await startAndConfirm(h);
    machine(h).type('checkout-api');
    const submitted = machine(h).submit();
    await h.until(() => final(h), { what: 'the rotation to fail' });
    await submitted;
    const failed = view(h);
    expect(failed.step).toBe('failed');
    expect(failed.error).toMatch(
      /^timed out waiting for deployment\/checkout-api: .* — stopped; changed so far: /,
    );
    expect(failed.changes).toEqual([
      'Vault secret/payments/stripe: version 2 → 3 written (keys api_key)',
      `Secret payments/stripe: resourceVersion ${rvBefore} → ${rvBefore + 1} (keys api_key)`,
      'restarted deployment/checkout-api, deployment/payments-worker',
    ]);
    expect(failed.revertable).toBe(true);
    const rotated = vault.read('secret', 'payments/stripe')!.api_key as string;

    crashOnRestart = false;
    machine(h).startRevert();
    expect(view(h).step).toBe('confirm');
    expect(view(h).title).toBe('Revert: Rotate secret secret/payments/stripe');
    expect(view(h).preview).toEqual([
      'Vault    v4 = the content of v2 again (check-and-set cas=3)',
      `Secret   payments/stripe: api_key from v2 (precondition rv ${rvBefore + 1})`,
      'restart  deployment/checkout-api',
      '         deployment/payments-worker',
      'then     follow rollouts and verify',
    ]);
    machine(h).type('checkout-api');
    const reverting = machine(h).submit();
    await h.until(() => final(h), { what: 'the revert to finish', timeoutMs: 30_000 });
    await reverting;
    expect(view(h).error).toBeNull();
    expect(view(h).step).toBe('done');
    expect(view(h).message).toBe('reverted and verified');

    expect(vault.currentVersion('secret', 'payments/stripe')).toBe(4);
    expect(vault.read('secret', 'payments/stripe')).toEqual({ api_key: OLD, webhook_secret: 'whsec_kept' });
    const kube = h.world.kubeSecrets.get(KUBE_KEY)!;
    expect(kube.data).toEqual({ api_key: OLD, webhook_secret: 'whsec_kept' });
    expect(kube.resourceVersion).toBe(rvBefore + 2);
    const w = await h.read.cluster!.get({ namespace: 'payments', deployment: 'checkout-api' });
    expect(w.rollout.done).toBe(true);
    expect(w.pods.every((p) => p.ready)).toBe(true);

    const ops = h.audit().map((r) => `${r.procedure} ${r.step}:${r.outcome}`);
    expect(ops).toEqual([
      'rotate-secret started:pending',
      'rotate-secret executed:pending',
      'rotate-secret:announce started:pending',
      'rotate-secret:announce executed:pending',
      'rotate-secret finished:failed',
      'rotate-secret:revert started:pending',
      'rotate-secret:revert executed:pending',
      'rotate-secret:revert finished:success',
    ]);
    const seen = visible(h);
    expect(seen).not.toContain(OLD);
    expect(seen).not.toContain(rotated);
  });

  it('Esc at the revert confirmation goes back to the failure report with nothing changed', async () => {
    const { h } = await setup({ rolloutTimeoutMs: 20_000 });
    h.mutate.cluster!.replaceSecretData = async () => {
      throw new Error('secrets "stripe" is forbidden: User "oncall" cannot update resource "secrets"');
    };
    await startAndConfirm(h);
    machine(h).type('checkout-api');
    await machine(h).submit();
    expect(view(h).step).toBe('failed');
    expect(view(h).changes).toEqual(['Vault secret/payments/stripe: version 2 → 3 written (keys api_key)']);
    expect(view(h).error).toContain('cannot update resource "secrets" — stopped; changed so far: Vault');
    machine(h).startRevert();
    expect(view(h).preview).toEqual([
      'Vault    v4 = the content of v2 again (check-and-set cas=3)',
      'then     follow rollouts and verify',
    ]);
    machine(h).cancel();
    expect(view(h).step).toBe('failed');
    expect(view(h).revertable).toBe(true);
    expect(h.world.mutations).toEqual([]);
  });
});

describe('value generation', () => {
  it('draws every character from the configured alphabet, with the configured length', () => {
    const v = generateValue(4096, 'ab');
    expect(v).toMatch(/^[ab]{4096}$/);
    // Both characters appear (a biased or constant generator would fail this with overwhelming probability).
    expect(v.split('a').length - 1).toBeGreaterThan(1500);
    expect(v.split('b').length - 1).toBeGreaterThan(1500);
    expect(generateValue(40)).not.toBe(generateValue(40));
    expect(() => generateValue(10, 'aaaa')).toThrow('at least two distinct characters');
  });

  it('errors from a failed write carry no value', async () => {
    const { vault, h } = await setup();
    vault.failNext((m, p) => m === 'POST' && p.endsWith('/payments/stripe'), 500, ['internal error']);
    await startAndConfirm(h);
    machine(h).type('checkout-api');
    await machine(h).submit();
    expect(view(h).step).toBe('failed');
    expect(view(h).error).toBe('vault write secret/payments/stripe: internal error (HTTP 500)');
    expect(view(h).changes).toEqual([]);
    expect(view(h).revertable).toBe(false);
    expect(inspect(h.store.getState(), { depth: 20 })).not.toContain(OLD);
    expect(h.world.mutations).toEqual([]);
  });
});

describe('several secrets on one service', () => {
  it('asks which one, then previews and rotates only that one (sandbox Vault)', async () => {
    const yaml = DEMO_CONFIG_YAML.replace(
      '        generate: {length: 40}',
      `        generate: {length: 40}
      - vaultPath: secret/payments/adyen
        keys: [hmac]
        kubernetesSecret: {namespace: payments, name: adyen}`,
    );
    const world = new SandboxWorld();
    world.secrets.set('secret/payments/adyen', {
      versions: [{ data: { hmac: 'h1' }, createdAt: world.now() }],
    });
    world.putKubeSecret('sandbox-prod-eu1', 'payments', 'adyen', { hmac: 'h1' });
    world.podSecretRefs.set('payments-worker', {
      env: [{ name: 'ADYEN_HMAC', secret: 'adyen', key: 'hmac' }],
      envFrom: [],
      volumes: [{ name: 'stripe', secret: 'stripe' }],
    });
    h = await startHarness({ world, config: parseConfigText(yaml, 'test.yaml') });
    expect(h.procedures.start('rotate-secret', 'checkout-api')).toBe(true);
    await h.until(() => h!.step() !== 'planning', { advanceMs: 0, what: 'planning' });
    const v = view(h);
    expect(v.step).toBe('choose');
    expect(v.title).toBe('Rotate secret of checkout-api');
    expect(v.choice!.options.map((o) => o.label)).toEqual([
      'secret/payments/stripe (v2) → secret payments/stripe',
      'secret/payments/adyen (v1) → secret payments/adyen',
    ]);
    machine(h).choose('1');
    expect(view(h).preview.slice(0, 3)).toEqual([
      expect.stringMatching(/^Vault {4}secret\/payments\/adyen v1 \(of 1/),
      '         KV v2 API path secret/data/payments/adyen',
      'keys     hmac (new values are never shown)',
    ]);
    expect(view(h).preview).toContain('restart  deployment/payments-worker (env ADYEN_HMAC)');
    machine(h).type('checkout-api');
    const submitted = machine(h).submit();
    await h.until(() => final(h!), { what: 'rotation' });
    await submitted;
    expect(view(h).step).toBe('done');
    expect(world.secrets.get('secret/payments/adyen')!.versions).toHaveLength(2);
    expect(world.secrets.get('secret/payments/stripe')!.versions).toHaveLength(2);
    expect(world.mutations.filter((m) => m.kind === 'restart').map((m) => m.target)).toEqual([
      'sandbox-prod-eu1/payments/payments-worker',
    ]);
  });
});
