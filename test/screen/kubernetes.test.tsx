/**
 * The real App in live mode on oncall's Kubernetes adapter, against the fake kube-apiserver: the Overview
 * and Service screens show the cluster's data, a full rollback works through the TUI (with a 409 that
 * leads to a fresh preview), and with the read-only user or --read-only, pressing every key on every screen
 * sends only get/list/watch and access reviews.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { pressEveryKey } from '../helpers/press-every-key.js';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';
import { startFakeApiServer, type FakeApiServer, type KObj } from '../fakes/kube-apiserver/index.js';
import { deploymentManifest } from '../fakes/kube-apiserver/testing.js';
import { parseConfigText } from '../../src/config/load.js';

let kube: FakeApiServer;
let app: RenderedApp | null = null;

function config(kubeconfig: string) {
  return parseConfigText(
    `
kubernetes: {kubeconfig: "${kubeconfig}"}
production: {contexts: [fake]}
services:
  - name: web
    tier: production
    kubernetes: {namespace: shop, deployment: web}
  - name: api
    tier: staging
    kubernetes: {namespace: shop, deployment: api}
`,
    'test.yaml',
  );
}

const settled = (name: string) => () => {
  const d = kube.get('Deployment', 'shop', name);
  return (
    d?.status?.observedGeneration === d?.metadata.generation &&
    d?.status?.updatedReplicas === d?.spec.replicas &&
    d?.status?.availableReplicas === d?.spec.replicas &&
    d?.status?.replicas === d?.spec.replicas
  );
};

function setImage(name: string, image: string, cause: string) {
  const d = kube.get('Deployment', 'shop', name) as KObj;
  d.spec.template.spec.containers[0].image = image;
  d.metadata.annotations = { ...(d.metadata.annotations ?? {}), 'kubernetes.io/change-cause': cause };
  delete d.metadata.resourceVersion;
  kube.update(d);
}

beforeEach(async () => {
  kube = await startFakeApiServer({ readyDelayMs: 40, bookmarkIntervalMs: 300 });
  kube.create(deploymentManifest('web', { namespace: 'shop', replicas: 3, image: 'registry.local/web:1.0' }));
  kube.create(deploymentManifest('api', { namespace: 'shop', replicas: 2, image: 'registry.local/api:7.1' }));
  await kube.waitFor(settled('web'), 5000, 'web');
  setImage('web', 'registry.local/web:1.1', 'deploy 1.1');
  await kube.waitFor(settled('web'), 5000, 'web 1.1');
  setImage('web', 'registry.local/web:1.2', 'deploy 1.2 (bad)');
  await kube.waitFor(settled('web'), 5000, 'web 1.2');
  await kube.waitFor(settled('api'), 5000, 'api');
});

afterEach(async () => {
  await app?.cleanup();
  app = null;
  await kube.stop();
});

async function live(user: 'admin' | 'viewer', readOnly = false) {
  app = await renderApp({
    mode: 'live',
    config: config(kube.kubeconfig(user, { context: 'fake' })),
    readOnly,
    readOnlyReason: readOnly ? 'read-only mode (--read-only)' : undefined,
    columns: 100,
    rows: 30,
  });
  return app;
}

async function confirmTyped(a: RenderedApp, name: string) {
  await a.waitForFrame(`Type ${name} to confirm`);
  await a.type(name);
  await a.press(KEYS.enter);
}

describe('live screens on the Kubernetes adapter', () => {
  it('Overview and Service show the cluster: revisions, images, rollout state, pods, history', async () => {
    const a = await live('admin');
    const overview = await a.waitForFrame(/web\b.*r3 1\.2 ✓/);
    expect(overview).toMatch(/api\b.*r1 7\.1 ✓/);
    expect(overview).toContain('ctx fake');
    await a.press('/');
    await a.type('web');
    await a.press(KEYS.enter, KEYS.enter);
    const service = await a.waitForFrame('ROLLOUT');
    expect(service).toMatch(/rev 3 1\.2 complete · 3\/3 ready/);
    // A change in the cluster shows up live.
    setImage('web', 'registry.local/web:1.3-crash', 'deploy 1.3');
    await a.waitForFrame(/rev 4 1\.3-crash progressing/);
    await a.waitForFrame('CrashLoopBackOff');
  });

  it('rolls back through the TUI: choose, preview, typed confirm, follow, verify, audit, Event', async () => {
    const a = await live('admin');
    await a.waitForFrame(/web\b.*r3 1\.2 ✓/);
    await a.press('/');
    await a.type('web');
    await a.press(KEYS.enter, KEYS.enter);
    await a.waitForFrame('ROLLOUT');
    await a.press('r');
    const choose = await a.waitForFrame('Roll back to which revision?');
    expect(choose).toMatch(/rev 2\s+1\.1\s+deploy 1\.1/);
    await a.press(KEYS.enter);
    const preview = await a.waitForFrame('Type web to confirm');
    expect(preview).toContain('registry.local/web:1.2');
    expect(preview).toContain('→  registry.local/web:1.1');
    expect(preview).toContain('PRODUCTION context fake · namespace shop');

    // Someone else's write lands between preview and act: the server answers 409.
    kube.failNext({ verb: 'update', resource: 'deployments' }, 409);
    await a.type('web');
    await a.press(KEYS.enter);
    const again = await a.waitForFrame('changed since the preview, so nothing was changed');
    expect(again).toContain('Type web to confirm');
    expect(kube.get('Deployment', 'shop', 'web')!.spec.template.spec.containers[0].image).toBe(
      'registry.local/web:1.2',
    );

    kube.clearRequests();
    await a.type('web');
    await a.press(KEYS.enter);
    const done = await a.waitForFrame('DONE: verified', { timeoutMs: 20_000 });
    expect(done).toMatch(/✓ rollout complete: 3\/3 available on 1\.1 \(rev 4\)/);
    const writes = kube.requests.filter((r) => !['get', 'list', 'watch'].includes(r.verb));
    expect(
      writes.map(
        (r) =>
          `${r.verb} ${r.resource}${r.subresource ? '/' + r.subresource : ''}${r.dryRun ? ' dryRun' : ''}`,
      ),
    ).toEqual([
      'create selfsubjectaccessreviews',
      'update deployments dryRun',
      'update deployments',
      'create selfsubjectaccessreviews',
      'create events',
    ]);
    const ev = kube.list('Event', 'shop').find((e) => e.reason === 'OncallRollback')!;
    expect(ev.message).toMatch(/rolled back to revision 2 \(registry\.local\/web:1\.1\) via oncall; audit /);
    const records = readFileSync(a.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.procedure === 'rollback');
    expect(records.map((r) => `${r.step}:${r.outcome}`)).toEqual([
      'started:pending',
      'finished:failed',
      'started:pending',
      'executed:pending',
      'finished:success',
    ]);
    expect(records[1]!.error).toMatch(/409 Conflict/);
    // Who the cluster says we are (SelfSubjectReview) is in the records, beside the OS user.
    expect((records[4]!.actor as { kubernetes?: { username: string } }).kubernetes).toMatchObject({
      username: 'admin',
    });
  });

  it('scale, restart, pause and resume through the TUI against the cluster', async () => {
    const a = await live('admin');
    await a.waitForFrame(/api\b.*r1 7\.1 ✓/);
    await a.press('/');
    await a.type('api');
    await a.press(KEYS.enter, KEYS.enter);
    await a.waitForFrame('ROLLOUT');
    kube.clearRequests();
    // Every service in a production context confirms by typing its name.

    await a.press('s');
    await a.waitForFrame('Scale to how many replicas? (now 2)');
    await a.press(KEYS.enter);
    await a.waitForFrame('replicas 2 → 3 (scale subresource; precondition: current replicas = 2)');
    await confirmTyped(a, 'api');
    const scaled = await a.waitForFrame('DONE: verified', { timeoutMs: 20_000 });
    expect(scaled).toMatch(/✓ desired replicas: spec\.replicas 3 \(wanted 3\)/);
    expect(kube.get('Deployment', 'shop', 'api')!.spec.replicas).toBe(3);
    await a.press(KEYS.esc);

    await a.waitForFrame((f) => !f.includes('DONE'));
    await a.press('R');
    await a.waitForFrame('rolling restart: all 3 pods replaced');
    await confirmTyped(a, 'api');
    const restarted = await a.waitForFrame('DONE: verified', { timeoutMs: 20_000 });
    expect(restarted).toMatch(/✓ all pods replaced: revision 1 → 2; 0 pod\(s\) from before remain/);
    expect(
      kube.get('Deployment', 'shop', 'api')!.spec.template.metadata.annotations[
        'kubectl.kubernetes.io/restartedAt'
      ],
    ).toBeTruthy();
    await a.press(KEYS.esc);

    await a.waitForFrame((f) => !f.includes('DONE'));
    await a.press('p');
    await a.waitForFrame('spec.paused false → true');
    await confirmTyped(a, 'api');
    await a.waitForFrame('DONE: verified', { timeoutMs: 20_000 });
    expect(kube.get('Deployment', 'shop', 'api')!.spec.paused).toBe(true);
    await a.press(KEYS.esc);
    await a.waitForFrame((f) => !f.includes('DONE'));
    await a.press('R');
    await a.waitForFrame('restart disabled: api is paused: resume it first (p)');
    await a.press('p');
    await a.waitForFrame('spec.paused true → false');
    await confirmTyped(a, 'api');
    await a.waitForFrame('DONE: verified', { timeoutMs: 20_000 });
    expect(kube.get('Deployment', 'shop', 'api')!.spec.paused).toBe(false);

    const writes = kube.requests
      .filter((r) => !['get', 'list', 'watch'].includes(r.verb) && r.resource !== 'selfsubjectaccessreviews')
      .map(
        (r) =>
          `${r.verb} ${r.resource}${r.subresource ? '/' + r.subresource : ''}${r.dryRun ? ' dryRun' : ''}`,
      );
    expect(writes).toEqual([
      'update deployments/scale dryRun',
      'update deployments/scale',
      'create events',
      'update deployments dryRun',
      'update deployments',
      'create events',
      'update deployments dryRun',
      'update deployments',
      'create events',
      'update deployments dryRun',
      'update deployments',
      'create events',
    ]);
    const reasons = kube
      .list('Event', 'shop')
      .filter((e) => e.source?.component === 'oncall')
      .map((e) => e.reason);
    expect(reasons.sort()).toEqual(['OncallPause', 'OncallRestart', 'OncallResume', 'OncallScale']);
  });

  it('RBAC: the viewer sees scale disabled with the reason', async () => {
    const a = await live('viewer');
    await a.waitForFrame(/api\b.*r1 7\.1 ✓/);
    await a.press('/');
    await a.type('api');
    await a.press(KEYS.enter, KEYS.enter);
    await a.waitForFrame('ROLLOUT');
    await a.waitForFrame(() => Boolean(a.rt.store.getState().workloads.api?.denied?.scale));
    await a.press('s');
    await a.waitForFrame('scale disabled: RBAC: may not update deployments/scale in shop');
  });
});

describe('read-only against the cluster: every key on every screen', () => {
  it.each([
    ['the viewer user', 'viewer' as const, false],
    ['--read-only', 'admin' as const, true],
  ])('with %s the API server sees only get/list/watch and access reviews', async (_name, user, readOnly) => {
    const a = await live(user, readOnly);
    await a.waitForFrame(/web\b.*r3 1\.2 ✓/);
    await a.waitForFrame(/api\b.*r1 7\.1 ✓/);
    const pressed = await pressEveryKey(a);
    expect(pressed).toBeGreaterThan(20);
    const other = kube.requests.filter(
      (r) =>
        !['get', 'list', 'watch'].includes(r.verb) &&
        // Access reviews, and the viewer's "who am I" review for the audit actor: both create nothing.
        !(r.verb === 'create' && ['selfsubjectaccessreviews', 'selfsubjectreviews'].includes(r.resource)),
    );
    expect(other).toEqual([]);
    expect(kube.requests.some((r) => r.resource === 'selfsubjectaccessreviews')).toBe(true);
    expect(kube.get('Deployment', 'shop', 'web')!.metadata.generation).toBe(3);
  });
});
