/**
 * rotate-secret through the REAL adapters: node-vault against the Vault protocol fake, and
 * @kubernetes/client-node (oncall's Kubernetes adapter) against the fake kube-apiserver with its
 * deployment controller. Consumers are found by scanning pod templates (env, envFrom, volumes).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeVault, type FakeVault } from '../fakes/vault/server.js';
import { startFakeApiServer, type FakeApiServer, type KObj } from '../fakes/kube-apiserver/index.js';
import { deploymentManifest } from '../fakes/kube-apiserver/testing.js';
import { createVaultAdapter } from '../../src/adapters/vault/index.js';
import { createKubernetesAdapter, type KubernetesAdapter } from '../../src/adapters/kubernetes/index.js';
import { parseConfigText } from '../../src/config/load.js';
import type { ProcedureMachine } from '../../src/procedures/machine.js';
import { startHarness, type Harness } from './rotate-harness.js';

const OLD = 'CANARY-kube-old-sk_live_9a8b7c6d5e4f';
const CONFIG = parseConfigText(
  `
production: {contexts: [fake]}
services:
  - name: checkout-api
    tier: production
    kubernetes: {context: fake, namespace: payments, deployment: checkout-api}
    secrets:
      - vaultPath: secret/payments/stripe
        keys: [api_key]
        kubernetesSecret: {namespace: payments, name: stripe}
        generate: {length: 48, alphabet: "abcdef0123456789"}
`,
  'test.yaml',
);

let vault: FakeVault | null = null;
let kube: FakeApiServer | null = null;
let k8s: KubernetesAdapter | null = null;
let h: Harness | null = null;
afterEach(async () => {
  h?.stop();
  h = null;
  await k8s?.read.close();
  k8s = null;
  await kube?.stop();
  kube = null;
  await vault?.stop();
  vault = null;
});

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

function consumer(name: string, podSpec: Record<string, unknown>, replicas = 2): KObj {
  const d = deploymentManifest(name, {
    namespace: 'payments',
    replicas,
    image: `registry.local/${name}:1.0`,
  });
  const template = (d.spec as { template: { spec: Record<string, unknown> } }).template;
  template.spec = { ...template.spec, ...podSpec };
  return d;
}

async function setup(rolloutTimeoutMs = 20_000) {
  vault = await startFakeVault({
    tokens: { rotator: { policies: ['rotator'], ttlSeconds: 86_400 } },
    policies: {
      rotator: [
        { path: 'secret/data/payments/*', capabilities: ['read', 'update'] },
        { path: 'secret/metadata/payments/*', capabilities: ['read'] },
      ],
    },
  });
  vault.put('secret', 'payments/stripe', { api_key: 'sk_first', webhook_secret: 'whsec_kept' });
  vault.put('secret', 'payments/stripe', { api_key: OLD, webhook_secret: 'whsec_kept' });

  kube = await startFakeApiServer({ readyDelayMs: 30 });
  kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } });
  kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: 'stripe', namespace: 'payments' },
    data: { api_key: b64(OLD), webhook_secret: b64('whsec_kept') },
  });
  const env = (secret: string) => ({
    containers: [
      {
        name: 'app',
        image: 'registry.local/app:1.0',
        env: [{ name: 'STRIPE_KEY', valueFrom: { secretKeyRef: { name: secret, key: 'api_key' } } }],
      },
    ],
  });
  kube.create(consumer('checkout-api', env('stripe'), 3));
  kube.create(
    consumer('payments-worker', {
      containers: [{ name: 'app', image: 'registry.local/worker:1.0' }],
      volumes: [{ name: 'stripe-keys', secret: { secretName: 'stripe' } }],
    }),
  );
  kube.create(
    consumer('ledger-sync', {
      containers: [
        { name: 'app', image: 'registry.local/ledger:1.0', envFrom: [{ secretRef: { name: 'stripe' } }] },
      ],
    }),
  );
  kube.create(consumer('unrelated', env('other-secret')));
  await kube.waitForRollouts({ namespace: 'payments', timeoutMs: 10_000 });

  const v = await createVaultAdapter({ addr: vault.url, token: 'rotator' });
  k8s = await createKubernetesAdapter(CONFIG, {
    readOnly: false,
    kubeconfig: kube.kubeconfig('admin', { context: 'fake' }),
    batchMs: 10,
  });
  h = await startHarness({
    config: CONFIG,
    ports: {
      read: { cluster: k8s.read, secrets: v.read },
      mutate: { cluster: k8s.mutate!, secrets: v.mutate },
    },
    rolloutTimeoutMs,
  });
  return { vault, kube, h };
}

const machine = (x: Harness) => x.procedures.active as ProcedureMachine<unknown>;
const view = (x: Harness) => x.store.getState().procedure!;
const final = (x: Harness) => ['done', 'failed', 'refused'].includes(x.step() ?? '');
const secretData = (k: FakeApiServer) =>
  Object.fromEntries(
    Object.entries((k.get('Secret', 'payments', 'stripe')!.data ?? {}) as Record<string, string>).map(
      ([key, val]) => [key, unb64(val)],
    ),
  );

describe('rotate-secret against the Vault fake and the fake kube-apiserver, through the real adapters', () => {
  it('finds consumers by env, envFrom and volumes, rotates with CAS and a resourceVersion precondition, restarts and follows', async () => {
    const { vault, kube, h } = await setup();
    const rv = kube.get('Secret', 'payments', 'stripe')!.metadata.resourceVersion as string;
    expect(h.procedures.start('rotate-secret', 'checkout-api')).toBe(true);
    await h.until(() => h.step() !== 'planning', { advanceMs: 0, what: 'planning' });
    expect(view(h).error).toBeNull();
    expect(view(h).preview).toEqual(
      expect.arrayContaining([
        `Secret   payments/stripe rv ${rv}, keys api_key, webhook_secret`,
        'restart  deployment/checkout-api (env STRIPE_KEY)',
        '         deployment/ledger-sync (envFrom)',
        '         deployment/payments-worker (volume stripe-keys)',
        'value    api_key: random, 48 chars (configured alphabet)',
      ]),
    );
    expect(view(h).preview.join('\n')).not.toContain('unrelated');
    kube.clearRequests();

    machine(h).type('checkout-api');
    const submitted = machine(h).submit();
    await h.until(() => final(h), { advanceMs: 0, timeoutMs: 30_000, what: 'the rotation' });
    await submitted;
    expect(view(h).error).toBeNull();
    expect(view(h).step).toBe('done');

    const now = vault.read('secret', 'payments/stripe')!;
    expect(now.api_key).toMatch(/^[a-f0-9]{48}$/);
    expect(now.webhook_secret).toBe('whsec_kept');
    expect(secretData(kube)).toEqual({ api_key: now.api_key, webhook_secret: 'whsec_kept' });
    // The Secret update carried the previewed resourceVersion (a real precondition on the server).
    const put = kube.requests.find((r) => r.method === 'PUT' && r.resource === 'secrets');
    expect((put!.body as KObj).metadata.resourceVersion).toBe(rv);
    // Every consumer got a rolling restart (the restartedAt annotation), and the unrelated one did not.
    for (const name of ['checkout-api', 'payments-worker', 'ledger-sync']) {
      const d = kube.get('Deployment', 'payments', name)!;
      const ann = (d.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template
        .metadata.annotations;
      expect(ann?.['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
    }
    const unrelated = kube.get('Deployment', 'payments', 'unrelated')!;
    expect(
      (unrelated.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template
        .metadata.annotations?.['kubectl.kubernetes.io/restartedAt'],
    ).toBeUndefined();
    expect(view(h).checks.every((c) => c.ok)).toBe(true);
    const seen = JSON.stringify(h.store.getState()) + h.auditText();
    expect(seen).not.toContain(OLD);
    expect(seen).not.toContain(now.api_key as string);
  });

  it('a rollout that never becomes ready after the Vault write → revert restores Vault, the Secret and the pods', async () => {
    const { vault, kube, h } = await setup(2500);
    h.procedures.start('rotate-secret', 'checkout-api');
    await h.until(() => h.step() !== 'planning', { advanceMs: 0, what: 'planning' });
    kube.setReadyDelay(600_000); // new pods never become ready within the follow timeout
    machine(h).type('checkout-api');
    const submitted = machine(h).submit();
    await h.until(() => final(h), { advanceMs: 0, timeoutMs: 40_000, what: 'the rotation to fail' });
    await submitted;
    expect(view(h).step).toBe('failed');
    expect(view(h).error).toMatch(/^timed out waiting for deployment\//);
    expect(view(h).changes![0]).toBe('Vault secret/payments/stripe: version 2 → 3 written (keys api_key)');
    expect(view(h).revertable).toBe(true);
    const rotated = vault.read('secret', 'payments/stripe')!.api_key as string;
    expect(secretData(kube).api_key).toBe(rotated);

    kube.setReadyDelay(30);
    h.ctx.rolloutTimeoutMs = 30_000; // the revert's rollouts must finish (a loaded CI machine is slow)
    machine(h).startRevert();
    machine(h).type('checkout-api');
    const reverting = machine(h).submit();
    await h.until(() => final(h), { advanceMs: 0, timeoutMs: 40_000, what: 'the revert' });
    await reverting;
    expect(view(h).error).toBeNull();
    expect(view(h).message).toBe('reverted and verified');
    expect(vault.currentVersion('secret', 'payments/stripe')).toBe(4);
    expect(vault.read('secret', 'payments/stripe')).toEqual({ api_key: OLD, webhook_secret: 'whsec_kept' });
    expect(secretData(kube)).toEqual({ api_key: OLD, webhook_secret: 'whsec_kept' });
    await kube.waitForRollouts({ namespace: 'payments', timeoutMs: 10_000 });
    const seen = JSON.stringify(h.store.getState()) + h.auditText();
    expect(seen).not.toContain(OLD);
    expect(seen).not.toContain(rotated);
  }, 90_000);

  it('RBAC that denies updating the Secret refuses while planning: nothing changes in Vault or the cluster', async () => {
    const { vault, kube, h } = await setup();
    kube.deny('admin', 'update', 'secrets');
    kube.clearRequests();
    h.procedures.start('rotate-secret', 'checkout-api');
    await h.until(() => h.step() !== 'planning', { advanceMs: 0, what: 'planning' });
    expect(view(h).step).toBe('refused');
    expect(view(h).error).toMatch(/^Kubernetes RBAC denies update secrets in payments/);
    expect(vault.currentVersion('secret', 'payments/stripe')).toBe(2);
    expect(kube.requests.filter((r) => !['get', 'list', 'watch', 'create'].includes(r.verb))).toEqual([]);
    expect(kube.requests.filter((r) => r.verb === 'create').map((r) => r.resource)).toEqual(
      expect.arrayContaining(['selfsubjectaccessreviews']),
    );
    expect(
      kube.requests.filter((r) => r.verb === 'create' && r.resource !== 'selfsubjectaccessreviews'),
    ).toEqual([]);
    expect(h.auditText()).toBe('');
  });

  it('a Secret changed by someone else since the preview: the update is refused (409), Vault already moved → listed, revertable', async () => {
    const { vault, kube, h } = await setup();
    h.procedures.start('rotate-secret', 'checkout-api');
    await h.until(() => h.step() !== 'planning', { advanceMs: 0, what: 'planning' });
    const s = kube.get('Secret', 'payments', 'stripe')!;
    kube.update({ ...s, data: { ...(s.data as Record<string, string>), extra: b64('x') } });
    machine(h).type('checkout-api');
    await machine(h).submit();
    expect(view(h).step).toBe('failed');
    expect(view(h).error).toContain('changed since the preview');
    expect(view(h).changes).toEqual(['Vault secret/payments/stripe: version 2 → 3 written (keys api_key)']);
    expect(secretData(kube).api_key).toBe(OLD);
    machine(h).startRevert();
    machine(h).type('checkout-api');
    await machine(h).submit();
    await h.until(() => final(h), { advanceMs: 0, what: 'the revert' });
    expect(view(h).message).toBe('reverted and verified');
    expect(vault.read('secret', 'payments/stripe')!.api_key).toBe(OLD);
    expect(vault.currentVersion('secret', 'payments/stripe')).toBe(4);
  });
});
