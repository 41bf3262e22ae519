/**
 * Read-only against real adapters and the protocol fakes: every key binding on every screen, with confirm
 * attempts, leaves the Vault fake with reads only (capabilities-self is a POST that reads) and the Kubernetes
 * fake with get/list/watch and access reviews only.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { renderApp } from '../helpers/render-app.js';
import { liveFakes } from '../helpers/live-fakes.js';
import { pressEveryKey } from '../helpers/press-every-key.js';
import { startFakeApiServer } from '../fakes/kube-apiserver/index.js';
import { deploymentManifest } from '../fakes/kube-apiserver/testing.js';
import { startFakeVault } from '../fakes/vault/server.js';
import { parseConfigText } from '../../src/config/load.js';

const fx = liveFakes();

describe('read-only against the Vault and Kubernetes fakes', () => {
  it('every binding on every screen: no write reaches either backend', async () => {
    const vault = (fx.vault = await startFakeVault({
      tokens: { ops: { policies: ['rotator'], ttlSeconds: 3600 } },
      policies: { rotator: [{ path: 'secret/*', capabilities: ['read', 'update', 'create'] }] },
    }));
    vault.put('secret', 'shop/payments', { token: 'CANARY-readonly-value' });
    process.env.VAULT_TOKEN = 'ops';
    const kube = (fx.kube = await startFakeApiServer({ readyDelayMs: 20 }));
    kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'payments', namespace: 'shop' },
      data: { token: Buffer.from('x').toString('base64') },
    });
    kube.create(
      deploymentManifest('web', { namespace: 'shop', replicas: 2, image: 'registry.local/web:1.0' }),
    );
    await kube.waitForRollouts({ namespace: 'shop', timeoutMs: 10_000 });
    // A second revision, so rollback has somewhere to go.
    const web = kube.get('Deployment', 'shop', 'web') as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    web.spec.template.spec.containers[0]!.image = 'registry.local/web:1.1';
    kube.update(web);
    await kube.waitForRollouts({ namespace: 'shop', timeoutMs: 10_000 });
    kube.clearRequests();

    const app = (fx.app = await renderApp({
      mode: 'live',
      readOnly: process.env.ONCALL_TEST_BREAK_READ_ONLY !== '1', // set to 1 to see this test fail
      readOnlyReason: 'read-only mode (--read-only)',
      config: parseConfigText(
        `
kubernetes: {kubeconfig: "${kube.kubeconfig('admin', { context: 'fake' })}"}
vault: {addr: "${vault.url}"}
services:
  - name: web
    tier: production
    kubernetes: {namespace: shop, deployment: web}
    secrets:
      - {vaultPath: secret/shop/payments, keys: [token], kubernetesSecret: {namespace: shop, name: payments}}
`,
        'test.yaml',
      ),
    }));
    await app.waitForFrame(/web\s+\S+\s+r\d/);
    const pressed = await pressEveryKey(app);
    expect(pressed).toBeGreaterThan(20);

    const vaultWrites = vault.requests.filter(
      (r) => r.method !== 'GET' && r.method !== 'LIST' && !/sys\/capabilities-self/.test(r.path),
    );
    expect(vaultWrites).toEqual([]);
    const kubeWrites = kube.requests.filter(
      (r) =>
        !['get', 'list', 'watch'].includes(r.verb) && !/selfsubject(access|rules)?reviews?$/.test(r.resource),
    );
    expect(kubeWrites).toEqual([]);
    expect(kube.requests.length).toBeGreaterThan(0);
    expect(vault.requests.length).toBeGreaterThan(0);
    expect(existsSync(app.auditFile)).toBe(false);
  });
});
