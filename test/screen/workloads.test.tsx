/**
 * The Workloads screen (`:ns all`) over the fake kube-apiserver with a few hundred Deployments: the table
 * is virtualised (only what fits is drawn), PgDn/j move the selection and the view scrolls, the filter finds
 * one Deployment among hundreds, and a Forbidden list is shown on the screen instead of an empty table.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';
import { startFakeApiServer, type FakeApiServer } from '../fakes/kube-apiserver/index.js';
import { deploymentManifest } from '../fakes/kube-apiserver/testing.js';
import { parseConfigText } from '../../src/config/load.js';

let kube: FakeApiServer;
let app: RenderedApp | null = null;
const N = 300;

beforeEach(async () => {
  kube = await startFakeApiServer({ readyDelayMs: 10, bookmarkIntervalMs: 300 });
  kube.create(deploymentManifest('web', { namespace: 'shop', replicas: 1, image: 'registry.local/web:1.0' }));
  for (let i = 0; i < N; i++) {
    const ns = `team-${String(i % 10).padStart(2, '0')}`;
    kube.create(
      deploymentManifest(`svc-${String(i).padStart(3, '0')}`, {
        namespace: ns,
        replicas: 0,
        image: `registry.local/s:${i}`,
      }),
    );
  }
});

afterEach(async () => {
  await app?.cleanup();
  app = null;
  await kube.stop();
});

async function live(user: 'admin' | 'viewer') {
  app = await renderApp({
    mode: 'live',
    config: parseConfigText(
      `
kubernetes: {kubeconfig: ${JSON.stringify(kube.kubeconfig(user, { context: 'lab' }))}}
services:
  - name: web
    kubernetes: {namespace: shop, deployment: web}
`,
      'w.yaml',
    ),
    columns: 100,
    rows: 30,
  });
  return app;
}

const tableRows = (f: string) => f.split('\n').filter((l) => /^[ ›] (team-\d\d|shop) /.test(l));

describe('Workloads screen', () => {
  it('virtualises hundreds of Deployments, scrolls with j/PgDn and filters', async () => {
    const a = await live('admin');
    await a.waitForFrame(/web\b/);
    await a.press(':');
    await a.type('ns all');
    await a.press(KEYS.enter);
    const first = await a.waitForFrame(new RegExp(`DEPLOYMENTS · lab · all namespaces · ${N + 1}\\b`));
    const visible = tableRows(first);
    expect(visible.length).toBeGreaterThan(5);
    expect(visible.length).toBeLessThan(30);
    expect(visible[0]).toMatch(/^› shop\s+web\s+complete\s+1\/1\s+1\.0\s+1/);
    expect(first).toMatch(/team-00\s+svc-000\s+scaled to 0\s+0\/0\s+0\s+1/);

    await a.press('j');
    await a.waitForFrame(/› team-00\s+svc-000/);
    for (let i = 0; i < 5; i++) await a.press('\u001b[6~');
    const scrolled = await a.waitForFrame(/› team-\d\d\s+svc-\d{3}/);
    expect(tableRows(scrolled)[0]).not.toMatch(/shop\s+web/);
    expect(tableRows(scrolled).length).toBe(visible.length);

    await a.press('/');
    await a.type('svc-123');
    const one = await a.waitForFrame(new RegExp(`· 1 of ${N + 1}`));
    expect(tableRows(one)).toHaveLength(1);
    expect(one).toMatch(/› team-03\s+svc-123\s+scaled to 0/);
    await a.press(KEYS.enter);
    await a.waitForFrame('filter: svc-123  (/ to change)');
  });

  it('a Forbidden cluster-wide list is shown on the screen', async () => {
    kube.deny('viewer', 'list', 'deployments');
    const a = await live('viewer');
    await a.waitForFrame(/web\b/);
    await a.press(':');
    await a.type('ns all');
    await a.press(KEYS.enter);
    await a.waitForFrame(/deployments \(all namespaces\): Forbidden/);
    expect(a.frame()).toContain('DEPLOYMENTS · lab · all namespaces · 0');
  });
});
