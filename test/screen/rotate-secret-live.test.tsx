/**
 * The real App in live mode: the loader builds the Vault adapter (node-vault → Vault fake) and the
 * Kubernetes adapter (client-node → fake kube-apiserver). The operator rotates a secret from the Service
 * screen with K, types the confirmation, watches the rollouts and gets a verified rotation; the status bar
 * shows Vault's token TTL. The old and new values appear in no frame and no audit line.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { KEYS, renderApp } from '../helpers/render-app.js';
import { liveFakes } from '../helpers/live-fakes.js';
import { startFakeApiServer, type KObj } from '../fakes/kube-apiserver/index.js';
import { deploymentManifest } from '../fakes/kube-apiserver/testing.js';
import { startFakeVault } from '../fakes/vault/server.js';
import { parseConfigText } from '../../src/config/load.js';

const OLD = 'CANARY-live-old-rk_live_51Hx7Qp2eZvKYlo';
const fx = liveFakes();

describe('rotate a secret in live mode against the Vault fake and the fake kube-apiserver', () => {
  it('K → preview → typed confirm → rollouts → verified; TTL on the status bar; no value anywhere', async () => {
    const vault = (fx.vault = await startFakeVault({
      tokens: { ops: { policies: ['rotator'], ttlSeconds: 4 * 3600 } },
      policies: {
        rotator: [
          { path: 'secret/data/shop/*', capabilities: ['read', 'update'] },
          { path: 'secret/metadata/shop/*', capabilities: ['read'] },
        ],
      },
    }));
    vault.put('secret', 'shop/payments', { token: OLD });
    process.env.VAULT_TOKEN = 'ops';

    const kube = (fx.kube = await startFakeApiServer({ readyDelayMs: 30 }));
    kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'payments', namespace: 'shop' },
      data: { token: Buffer.from(OLD).toString('base64') },
    });
    const web = deploymentManifest('web', {
      namespace: 'shop',
      replicas: 2,
      image: 'registry.local/web:1.0',
    });
    (web.spec as { template: { spec: Record<string, unknown> } }).template.spec.containers = [
      { name: 'app', image: 'registry.local/web:1.0', envFrom: [{ secretRef: { name: 'payments' } }] },
    ];
    kube.create(web);
    await kube.waitForRollouts({ namespace: 'shop', timeoutMs: 10_000 });

    const app = (fx.app = await renderApp({
      mode: 'live',
      config: parseConfigText(
        `
kubernetes: {kubeconfig: "${kube.kubeconfig('admin', { context: 'fake' })}"}
vault: {addr: "${vault.url}"}
production: {contexts: [fake]}
services:
  - name: web
    tier: production
    kubernetes: {namespace: shop, deployment: web}
    secrets:
      - {vaultPath: secret/shop/payments, keys: [token], kubernetesSecret: {namespace: shop, name: payments}}
`,
        'test.yaml',
      ),
      columns: 100,
    }));
    await app.waitForFrame(/vault (4h00m|3h59m)/);
    await app.press(KEYS.enter);
    await app.waitForFrame('ROLLOUT');
    await app.press('K');
    const preview = await app.waitForFrame('Type web to confirm');
    expect(preview).toContain('Vault    secret/shop/payments v1 (of 1, created');
    expect(preview).toContain('restart  deployment/web (envFrom)');
    await app.type('web');
    await app.press(KEYS.enter);
    const done = await app.waitForFrame('DONE: verified', { timeoutMs: 20_000 });
    expect(done).toContain('✓ Vault version: secret/shop/payments at version 2 (wrote 2)');
    expect(done).toMatch(/✓ deployment\/web restarted: 2\/2 available/);

    const next = vault.read('secret', 'shop/payments')!.token as string;
    expect(next).toMatch(/^[A-Za-z0-9]{32}$/);
    const secret = kube.get('Secret', 'shop', 'payments') as KObj;
    expect(Buffer.from((secret.data as { token: string }).token, 'base64').toString()).toBe(next);
    const audit = readFileSync(app.auditFile, 'utf8');
    for (const v of [OLD, next]) {
      expect(app.frames().filter((f) => f.includes(v))).toEqual([]);
      expect(audit).not.toContain(v);
      expect(JSON.stringify(app.rt.store.getState())).not.toContain(v);
    }
    // The operator's name for the change is in the audit; the Kubernetes Event names the rotation.
    expect(audit).toContain('"procedure":"rotate-secret"');
    const events = kube.list('Event', 'shop') as KObj[];
    expect(events.some((e) => String(e.reason) === 'OncallSecretRotated')).toBe(true);
  });
});
