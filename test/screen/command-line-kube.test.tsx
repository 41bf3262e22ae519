/**
 * `:ctx` and `:ns` in live mode on oncall's Kubernetes adapter, against two fake kube-apiservers behind one
 * kubeconfig (contexts `staging`, `prod-eu` and an unreachable `dead`): the list marks the current
 * context; switching to the production context needs its name typed (Esc cancels, nothing switched, not
 * one request to the other server); after the switch the header, the PRODUCTION banner and the unpinned
 * service follow the new context while the pinned one keeps its own, and the new server's request log
 * shows the new adapter. A failed switch keeps the previous adapter. `:ns all` lists every Deployment of
 * the active context across namespaces, live. Read-only: every new binding sends only reads.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';
import { keyBytes } from '../helpers/keys.js';
import { startFakeApiServer, type FakeApiServer, type KObj } from '../fakes/kube-apiserver/index.js';
import { deploymentManifest } from '../fakes/kube-apiserver/testing.js';
import { parseConfigText } from '../../src/config/load.js';
import { bindingsFor } from '../../src/screens/registry.js';
import type { AppServices } from '../../src/hooks/app-context.js';
import { updateUi, type ScreenName } from '../../src/state/store.js';

let prod: FakeApiServer;
let staging: FakeApiServer;
let kubeconfigFile: string;
let app: RenderedApp | null = null;

const settled = (kube: FakeApiServer, ns: string, name: string) => () => {
  const d = kube.get('Deployment', ns, name);
  return (
    d?.status?.observedGeneration === d?.metadata.generation &&
    d?.status?.availableReplicas === d?.spec.replicas &&
    d?.status?.replicas === d?.spec.replicas
  );
};

function writeKubeconfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oncall-ctx-'));
  const file = join(dir, 'kubeconfig.yaml');
  const yaml = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "${prod.url}", certificate-authority: ${JSON.stringify(prod.caFile)}}
- name: staging
  cluster: {server: "${staging.url}", certificate-authority: ${JSON.stringify(staging.caFile)}}
- name: dead
  cluster: {server: "https://127.0.0.1:1", certificate-authority: ${JSON.stringify(prod.caFile)}}
users:
- name: prod-admin
  user: {token: ${prod.tokens.admin}}
- name: staging-admin
  user: {token: ${staging.tokens.admin}}
contexts:
- name: staging
  context: {cluster: staging, user: staging-admin, namespace: shop}
- name: prod-eu
  context: {cluster: prod, user: prod-admin, namespace: shop}
- name: dead
  context: {cluster: dead, user: prod-admin}
current-context: staging
`;
  writeFileSync(file, yaml, { mode: 0o600 });
  return file;
}

function config() {
  return parseConfigText(
    `
kubernetes: {kubeconfig: ${JSON.stringify(kubeconfigFile)}}
production: {contexts: ["prod-*"]}
services:
  - name: web
    tier: staging
    kubernetes: {namespace: shop, deployment: web}
  - name: api
    tier: staging
    kubernetes: {context: staging, namespace: shop, deployment: api}
`,
    'ctx.yaml',
  );
}

beforeEach(async () => {
  [prod, staging] = await Promise.all([
    startFakeApiServer({ readyDelayMs: 20, bookmarkIntervalMs: 300 }),
    startFakeApiServer({ readyDelayMs: 20, bookmarkIntervalMs: 300 }),
  ]);
  staging.create(
    deploymentManifest('web', { namespace: 'shop', replicas: 2, image: 'registry.local/web:2.0' }),
  );
  staging.create(
    deploymentManifest('api', { namespace: 'shop', replicas: 2, image: 'registry.local/api:7.1' }),
  );
  prod.create(deploymentManifest('web', { namespace: 'shop', replicas: 3, image: 'registry.local/web:1.0' }));
  prod.create(
    deploymentManifest('billing', {
      namespace: 'payments',
      replicas: 1,
      image: 'registry.local/billing:3.3',
    }),
  );
  prod.create(
    deploymentManifest('coredns', {
      namespace: 'kube-system',
      replicas: 2,
      image: 'registry.k8s.io/coredns:v1.11.1',
    }),
  );
  await Promise.all([
    staging.waitFor(settled(staging, 'shop', 'web'), 5000, 'staging web'),
    staging.waitFor(settled(staging, 'shop', 'api'), 5000, 'staging api'),
    prod.waitFor(settled(prod, 'shop', 'web'), 5000, 'prod web'),
    prod.waitFor(settled(prod, 'payments', 'billing'), 5000, 'prod billing'),
    prod.waitFor(settled(prod, 'kube-system', 'coredns'), 5000, 'prod coredns'),
  ]);
  kubeconfigFile = writeKubeconfig();
});

afterEach(async () => {
  await app?.cleanup();
  app = null;
  await Promise.all([prod.stop(), staging.stop()]);
});

async function live(readOnly = false) {
  app = await renderApp({
    mode: 'live',
    config: config(),
    readOnly,
    readOnlyReason: readOnly ? 'read-only mode (--read-only)' : undefined,
    columns: 120,
    rows: 30,
  });
  return app;
}

async function command(a: RenderedApp, text: string) {
  await a.press(':');
  await a.type(text);
  await a.press(KEYS.enter);
}

const header = (f: string) => f.split('\n')[0] ?? '';
const reads = (r: { verb: string; resource: string }) =>
  ['get', 'list', 'watch'].includes(r.verb) ||
  (r.verb === 'create' && r.resource === 'selfsubjectaccessreviews');

describe(':ctx against two fake API servers', () => {
  it('lists, refuses a production switch without the typed name, switches, follows, and keeps the old adapter on failure', async () => {
    const a = await live();
    await a.waitForFrame(/web\b.*r1 2\.0 ✓/);
    await a.waitForFrame(/api\b.*r1 7\.1 ✓/);
    expect(header(a.frame())).toMatch(/ctx staging\s/);
    expect(header(a.frame())).not.toContain('PRODUCTION');
    expect(prod.requests).toEqual([]);

    await command(a, 'ctx');
    const list = await a.waitForFrame('CONTEXTS (kubeconfig)');
    expect(list).toMatch(/›\s+\*\s+staging\s/);
    expect(list).toMatch(/^\s+prod-eu\s+PRODUCTION/m);
    expect(list).toMatch(/^\s+dead\s*$/m);
    await a.press(KEYS.esc);

    // Production target: the name must be typed; Esc cancels and nothing is switched or even contacted.
    await command(a, 'ctx prod-eu');
    const ask = await a.waitForFrame('Type prod-eu to confirm (Esc cancels):');
    expect(ask).toMatch(/staging → prod-eu \[PRODUCTION\]/);
    await a.type('prod');
    await a.press(KEYS.enter);
    await a.waitForFrame('type prod-eu exactly to switch (Esc cancels)');
    await a.press(KEYS.esc);
    await a.waitForFrame('context switch cancelled: still on staging');
    expect(a.rt.store.getState().contextName).toBe('staging');
    expect(a.rt.read.cluster!.contextName).toBe('staging');
    expect(prod.requests).toEqual([]);

    staging.clearRequests();
    await command(a, 'ctx prod-eu');
    await a.waitForFrame('Type prod-eu to confirm');
    await a.type('prod-eu');
    await a.press(KEYS.enter);
    await a.waitForFrame('switched staging → prod-eu');
    expect(header(a.frame())).toMatch(/ctx prod-eu \[PRODUCTION\]/);
    // The unpinned service follows the new context; the pinned one keeps staging.
    const after = await a.waitForFrame(/web\b.*r1 1\.0 ✓/);
    expect(after).toMatch(/api\b.*r1 7\.1 ✓/);
    // The new adapter's list, then its watch (opened right after the list answered).
    const prodDeploymentRead = (verb: string) => () =>
      prod.requests.some(
        (r) =>
          r.verb === verb && r.resource === 'deployments' && r.namespace === 'shop' && r.user === 'admin',
      );
    expect(prodDeploymentRead('list')()).toBe(true);
    await prod.waitFor(prodDeploymentRead('watch'), 5000, 'watch on the new context');
    expect(prod.requests.some((r) => r.path === '/version')).toBe(true);
    // The new adapter re-watches the pinned service on its own server.
    await staging.waitFor(
      () =>
        staging.requests.some(
          (r) => r.verb === 'list' && r.resource === 'deployments' && r.namespace === 'shop',
        ),
      5000,
      'the new adapter lists the pinned service on staging',
    );
    expect(a.rt.store.getState().workloads.web?.context).toBe('prod-eu');
    expect(a.rt.store.getState().workloads.api?.context).toBe('staging');

    // Live on the new context.
    const web = prod.get('Deployment', 'shop', 'web') as KObj;
    web.spec.template.spec.containers[0].image = 'registry.local/web:1.1';
    delete web.metadata.resourceVersion;
    prod.update(web);
    await a.waitForFrame(/web\b.*r2 1\.1/);

    // Unknown and unreachable contexts: a clear message, the previous adapter stays.
    await command(a, 'ctx nope');
    await a.waitForFrame(':ctx: unknown context "nope" (known: staging, prod-eu, dead)');
    await command(a, 'ctx dead');
    await a.waitForFrame('Switch? y yes · N/Esc no');
    await a.press('y');
    await a.waitForFrame(/switch to dead failed: context "dead" is unreachable: .*127\.0\.0\.1:1/);
    expect(header(a.frame())).toMatch(/ctx prod-eu \[PRODUCTION\]/);
    expect(a.rt.read.cluster!.contextName).toBe('prod-eu');
    // The previous adapter is still the live one.
    const web2 = prod.get('Deployment', 'shop', 'web') as KObj;
    web2.spec.template.spec.containers[0].image = 'registry.local/web:1.2';
    delete web2.metadata.resourceVersion;
    prod.update(web2);
    await a.waitForFrame(/web\b.*r3 1\.2/);
  });

  it(':ns all lists every Deployment of the active context across namespaces, live, with a filter', async () => {
    const a = await live();
    await a.waitForFrame(/web\b.*r1 2\.0 ✓/);
    await command(a, 'ns all');
    const stg = await a.waitForFrame(/DEPLOYMENTS · staging · all namespaces · 2\b/);
    expect(stg).toMatch(/shop\s+api\s+complete\s+2\/2\s+7\.1\s+1/);
    expect(stg).toMatch(/shop\s+web\s+complete\s+2\/2\s+2\.0\s+1/);
    expect(staging.requests.some((r) => r.verb === 'list' && r.path === '/apis/apps/v1/deployments')).toBe(
      true,
    );
    await staging.waitFor(
      () => staging.requests.some((r) => r.verb === 'watch' && r.path === '/apis/apps/v1/deployments'),
      5000,
      'cluster-wide deployments watch',
    );

    // Switching context while the view is open: it follows the new context.
    await command(a, 'ctx prod-eu');
    await a.waitForFrame('Type prod-eu to confirm');
    await a.type('prod-eu');
    await a.press(KEYS.enter);
    const all = await a.waitForFrame(/DEPLOYMENTS · prod-eu · all namespaces · 3\b/);
    const rows = all.split('\n').filter((l) => /^[ ›] (kube-system|payments|shop) /.test(l));
    expect(rows.map((l) => l.slice(2).split(/\s+/).slice(0, 2).join('/'))).toEqual([
      'kube-system/coredns',
      'payments/billing',
      'shop/web',
    ]);
    expect(all).toMatch(/kube-system\s+coredns\s+complete\s+2\/2\s+v1\.11\.1\s+1/);

    // A new Deployment shows up live (watch), progressing first.
    prod.setReadyDelay(60_000);
    prod.create(
      deploymentManifest('batch', { namespace: 'jobs', replicas: 2, image: 'registry.local/batch:0.1' }),
    );
    await a.waitForFrame(/DEPLOYMENTS · prod-eu · all namespaces · 4\b/);
    await a.waitForFrame(/jobs\s+batch\s+progressing\s+0\/2\s+0\.1/);
    prod.setReadyDelay(10);
    await a.waitForFrame(/jobs\s+batch\s+complete\s+2\/2/);

    // j/k move, / filters, Esc clears the filter, Esc goes back and stops the watch.
    await a.press('j', 'j');
    await a.waitForFrame(/› payments\s+billing/);
    await a.press('/');
    await a.type('bill');
    const filtered = await a.waitForFrame(/· 1 of 4/);
    expect(filtered).toMatch(/› payments\s+billing/);
    expect(filtered).not.toMatch(/coredns/);
    await a.press(KEYS.esc);
    await a.waitForFrame(/· 4\b/);
    await a.press(KEYS.esc);
    await a.waitForFrame((f) => f.includes('SERVICE') && !f.includes('DEPLOYMENTS'));

    await command(a, 'ns payments');
    const ns = await a.waitForFrame(/DEPLOYMENTS · prod-eu · namespace payments · 1\b/);
    expect(ns).toMatch(/payments\s+billing\s+complete\s+1\/1\s+3\.3\s+1/);
  });
});

describe(':ctx recovers from a context that failed at start', () => {
  it('a bad kubernetes.context leaves no cluster adapter; :ctx NAME loads one and the data appears', async () => {
    const cfg = config();
    app = await renderApp({
      mode: 'live',
      config: { ...cfg, kubernetes: { ...cfg.kubernetes, context: 'typo' } },
      columns: 120,
      rows: 30,
    });
    const a = app;
    await a.waitForFrame(/context "typo" not found in kubeconfig/);
    expect(a.rt.read.cluster).toBeUndefined();
    await command(a, 'ctx');
    await a.waitForFrame(':ctx: no cluster adapter is loaded (see the header); :ctx NAME can still switch');
    await command(a, 'ctx staging');
    await a.waitForFrame('Switch? y yes');
    await a.press('y');
    await a.waitForFrame('switched typo → staging');
    await a.waitForFrame(/web\b.*r1 2\.0 ✓/);
    expect(header(a.frame())).toMatch(/ctx staging\s/);
  });
});

describe('read-only: the command line, contexts and workloads send only reads', () => {
  it('with --read-only every new binding and a full context switch reach the servers only with reads', async () => {
    const a = await live(true);
    await a.waitForFrame(/web\b.*r1 2\.0 ✓/);
    const { rt } = a;
    const services: AppServices = {
      store: rt.store,
      procedures: rt.procedures,
      quit: () => undefined,
      color: false,
      reloadAudit: () => undefined,
    };
    const screens: ScreenName[] = ['overview', 'service', 'workloads', 'contexts'];
    let pressed = 0;
    for (const screen of screens) {
      const reset = () => {
        if (screen === 'workloads') rt.store.getState().clusterControl!.openWorkloads(null);
        updateUi(rt.store, {
          stack: screen === 'overview' ? ['overview'] : ['overview', screen],
          selectedService: 'web',
          contexts: ['staging', 'prod-eu', 'dead'],
          contextsIndex: 1,
          command: null,
          contextSwitch: null,
          workloadsFilterEditing: false,
          filterEditing: false,
        });
      };
      reset();
      const keys = new Set(
        bindingsFor(services, rt.store.getState(), screen)
          .filter(
            (b) => b.keys.some((k) => k.startsWith(':')) || screen === 'workloads' || screen === 'contexts',
          )
          .flatMap((b) => b.keys),
      );
      for (const key of keys) {
        if (key === 'q' || key === 'ctrl+c') continue;
        reset();
        await a.press(keyBytes(key));
        await a.press(KEYS.enter);
        if (rt.store.getState().ui.contextSwitch) {
          const to = rt.store.getState().ui.contextSwitch!.to;
          await a.type(to);
          await a.press(KEYS.enter, 'y');
          await a.waitForFrame(() => !rt.store.getState().ui.contextSwitch);
        }
        await a.press(KEYS.esc, KEYS.esc);
        pressed++;
      }
    }
    expect(pressed).toBeGreaterThan(15);

    // And a full switch to the production context, then the all-namespaces view there.
    updateUi(rt.store, { stack: ['overview'], contextSwitch: null, command: null });
    if (rt.store.getState().contextName !== 'prod-eu') {
      await command(a, 'ctx prod-eu');
      await a.waitForFrame('Read-only stays read-only in the new context.');
      await a.type('prod-eu');
      await a.press(KEYS.enter);
      await a.waitForFrame(/ctx prod-eu \[PRODUCTION\]/);
    }
    expect(rt.gate.readOnly).toBe(true);
    expect(rt.read.cluster!.contextName).toBe('prod-eu');
    expect(prod.requests.some((r) => r.path === '/version')).toBe(true);
    await command(a, 'ns all');
    await a.waitForFrame(/DEPLOYMENTS · prod-eu · all namespaces · 3\b/);
    await a.waitForFrame(/web\b/);
    expect(header(a.frame())).toContain('READ-ONLY');

    expect(prod.requests.length).toBeGreaterThan(0);
    expect(prod.requests.filter((r) => !reads(r))).toEqual([]);
    expect(staging.requests.filter((r) => !reads(r))).toEqual([]);
    expect(prod.get('Deployment', 'shop', 'web')!.metadata.generation).toBe(1);
  });
});
