/**
 * oncall's Kubernetes adapter against the protocol-faithful fake kube-apiserver (HTTPS, real list/watch
 * semantics, controllers): initial sync, live changes, dropped watches and 410 Gone without a restart,
 * a 403 on one kind, preconditions (409 → PreconditionFailed), dry runs, Events and access reviews.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer, type KObj } from '../fakes/kube-apiserver/index.js';
import { deploymentManifest } from '../fakes/kube-apiserver/testing.js';
import { createKubernetesAdapter, type KubernetesAdapter } from '../../src/adapters/kubernetes/index.js';
import { PreconditionFailed, type WorkloadRef } from '../../src/adapters/ports.js';
import type { WorkloadSnapshot } from '../../src/domain/model.js';
import { parseConfigText } from '../../src/config/load.js';
import { createRuntime } from '../../src/cli/runtime.js';
import { runDoctor } from '../../src/cli/doctor.js';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CONFIG = parseConfigText(
  `
services:
  - name: web
    tier: production
    kubernetes: {namespace: shop, deployment: web}
  - name: api
    kubernetes: {namespace: shop, deployment: api}
`,
  'test.yaml',
);

interface Watching {
  adapter: KubernetesAdapter;
  snaps: Map<string, WorkloadSnapshot>;
  errors: Map<string, string>;
  globalErrors: string[];
  refs: WorkloadRef[];
  stop(): Promise<void>;
}

async function watchWith(kube: FakeApiServer, user: 'admin' | 'viewer', readOnly = false): Promise<Watching> {
  const adapter = await createKubernetesAdapter(CONFIG, {
    readOnly,
    kubeconfig: kube.kubeconfig(user, { context: 'fake' }),
    batchMs: 10,
  });
  const snaps = new Map<string, WorkloadSnapshot>();
  const errors = new Map<string, string>();
  const globalErrors: string[] = [];
  const refs = CONFIG.services.map((s) => ({ ...s.kubernetes! }));
  const unsubscribe = adapter.read.watch(refs, {
    onSnapshot(ref, snap) {
      snaps.set(ref.deployment, snap);
      errors.delete(ref.deployment);
    },
    onError(ref, message) {
      if (ref) errors.set(ref.deployment, message);
      else globalErrors.push(message);
    },
  });
  return {
    adapter,
    snaps,
    errors,
    globalErrors,
    refs,
    async stop() {
      unsubscribe();
      await adapter.read.close();
    },
  };
}

function settledDeployment(kube: FakeApiServer, name: string) {
  return () => {
    const d = kube.get('Deployment', 'shop', name);
    const want = d?.spec?.replicas ?? 0;
    return (
      d?.status?.observedGeneration === d?.metadata.generation &&
      d?.status?.updatedReplicas === want &&
      (d?.status?.availableReplicas ?? 0) === want &&
      (d?.status?.replicas ?? 0) === want
    );
  };
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function setImage(kube: FakeApiServer, name: string, image: string, cause?: string) {
  const d = kube.get('Deployment', 'shop', name) as KObj;
  d.spec.template.spec.containers[0].image = image;
  if (cause)
    d.metadata.annotations = { ...(d.metadata.annotations ?? {}), 'kubernetes.io/change-cause': cause };
  delete d.metadata.resourceVersion;
  kube.update(d);
}

let kube: FakeApiServer;
let w: Watching | null = null;

beforeEach(async () => {
  kube = await startFakeApiServer({ readyDelayMs: 30, bookmarkIntervalMs: 200, hpaSyncMs: 200 });
  kube.create(deploymentManifest('web', { namespace: 'shop', replicas: 3, image: 'registry.local/web:1.0' }));
  kube.create(deploymentManifest('api', { namespace: 'shop', replicas: 2, image: 'registry.local/api:7.1' }));
  await kube.waitFor(settledDeployment(kube, 'web'), 5000, 'web rolled out');
  await kube.waitFor(settledDeployment(kube, 'api'), 5000, 'api rolled out');
  setImage(kube, 'web', 'registry.local/web:1.1', 'deploy 1.1');
  await kube.waitFor(settledDeployment(kube, 'web'), 5000, 'web 1.1 rolled out');
  kube.create({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 6,
    },
  });
});

afterEach(async () => {
  await w?.stop();
  w = null;
  await kube.stop();
});

describe('reading through shared informers', () => {
  it('syncs initially: rollout state, history from ReplicaSets, pods, HPA — one informer per kind', async () => {
    w = await watchWith(kube, 'admin');
    const web = await until('web snapshot', () => w!.snaps.get('web'));
    expect(web).toMatchObject({
      name: 'web',
      namespace: 'shop',
      context: 'fake',
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      revision: 2,
      image: 'registry.local/web:1.1',
      paused: false,
      rollout: { phase: 'complete', done: true, message: 'deployment "web" successfully rolled out' },
    });
    expect(web.history.map((h) => [h.revision, h.image, h.changeCause])).toEqual([
      [1, 'registry.local/web:1.0', ''],
      [2, 'registry.local/web:1.1', 'deploy 1.1'],
    ]);
    expect(web.pods).toHaveLength(3);
    expect(web.pods.every((p) => p.ready && p.revision === 2 && p.phase === 'Running')).toBe(true);
    expect(web.hpa).toMatchObject({ min: 2, max: 6 });
    expect(w.snaps.get('api')).toMatchObject({ replicas: 2, revision: 1, image: 'registry.local/api:7.1' });
    // Two workloads, one namespace: exactly one list + watch per kind.
    const lists = kube.requests.filter((r) => r.verb === 'list' && r.namespace === 'shop');
    expect(lists.map((r) => r.resource).sort()).toEqual([
      'deployments',
      'events',
      'horizontalpodautoscalers',
      'pods',
      'replicasets',
    ]);
    await until('watches open', () => kube.openWatches() >= 5);
    const watches = kube.requests.filter((r) => r.verb === 'watch');
    expect(watches.every((r) => r.query.allowWatchBookmarks === 'true' && r.query.resourceVersion)).toBe(
      true,
    );
  });

  it('a change shows within 1 s, with pod reasons and the new revision', async () => {
    w = await watchWith(kube, 'admin');
    await until('web snapshot', () => w!.snaps.get('web'));
    const t0 = Date.now();
    setImage(kube, 'web', 'registry.local/web:1.2-crash', 'deploy 1.2');
    const rolling = await until(
      'new revision seen',
      () => (w!.snaps.get('web')?.revision === 3 ? w!.snaps.get('web') : undefined),
      1000,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(rolling.image).toBe('registry.local/web:1.2-crash');
    const crash = await until('CrashLoopBackOff shown', () =>
      w!.snaps.get('web')?.pods.find((p) => p.reason === 'CrashLoopBackOff'),
    );
    expect(crash.ready).toBe(false);
    expect(crash.revision).toBe(3);
    expect(w.snaps.get('web')!.rollout.done).toBe(false);
  });

  it('a dropped watch resumes from its resourceVersion (no relist); a 410 relists; both without a restart', async () => {
    w = await watchWith(kube, 'admin');
    await until('web snapshot', () => w!.snaps.get('web'));
    await until('watches open', () => kube.openWatches() >= 5);
    const lists = () => kube.requests.filter((r) => r.verb === 'list' && r.resource === 'deployments').length;
    const listsBefore = lists();

    kube.dropWatches();
    kube.update({
      ...kube.get('Deployment', 'shop', 'api')!,
      metadata: { ...kube.get('Deployment', 'shop', 'api')!.metadata, labels: { app: 'api', team: 'a' } },
    });
    setImage(kube, 'api', 'registry.local/api:7.2');
    await until(
      'api change after a dropped watch',
      () => w!.snaps.get('api')?.image === 'registry.local/api:7.2',
    );
    expect(lists()).toBe(listsBefore);
    const stats1 = w.adapter.read.stats()['fake/shop']!;
    expect(stats1.deployments!.relists).toBe(0);
    expect(stats1.deployments!.watches).toBeGreaterThanOrEqual(2);

    // Abruptly killed sockets: the same.
    kube.dropWatches({ abrupt: true });
    setImage(kube, 'api', 'registry.local/api:7.3');
    await until(
      'api change after abrupt drop',
      () => w!.snaps.get('api')?.image === 'registry.local/api:7.3',
    );
    expect(lists()).toBe(listsBefore);

    // Too old: while the informer cannot watch, things change and the server compacts; its next watch
    // from the old resourceVersion gets 410 Expired → it relists, without a restart.
    kube.deny('admin', 'watch', 'deployments');
    kube.dropWatches();
    setImage(kube, 'api', 'registry.local/api:7.4');
    kube.compact();
    kube.allow('admin', 'watch', 'deployments');
    await until('api change after 410', () => w!.snaps.get('api')?.image === 'registry.local/api:7.4');
    const stats2 = w.adapter.read.stats()['fake/shop']!;
    expect(stats2.deployments!.relists).toBeGreaterThanOrEqual(1);
    expect(lists()).toBeGreaterThan(listsBefore);
    await until('errors cleared', () => w!.errors.size === 0);
  });

  it('a 403 on pods leaves deployments, history and HPAs working and says what is missing', async () => {
    kube.deny('viewer', 'list', 'pods');
    kube.deny('viewer', 'watch', 'pods');
    w = await watchWith(kube, 'viewer', true);
    const web = await until('web snapshot', () => w!.snaps.get('web'));
    expect(web.pods).toEqual([]);
    expect(web.history).toHaveLength(2);
    await until('pods error shown', () => /pods: Forbidden/.test(w!.errors.get('web') ?? ''));
    expect(w.errors.get('web')).toMatch(/^partial data: pods: Forbidden/);
    // Deployments keep updating live.
    setImage(kube, 'api', 'registry.local/api:8.0');
    await until(
      'api change while pods are forbidden',
      () => w!.snaps.get('api')?.image === 'registry.local/api:8.0',
    );
    // The backoff keeps the retries few (no storm).
    const podLists = kube.requests.filter((r) => r.resource === 'pods' && r.verb === 'list').length;
    expect(podLists).toBeLessThan(10);
  });

  it('shows actions the viewer may not perform as denied, with the RBAC reason', async () => {
    w = await watchWith(kube, 'viewer', true);
    const web = await until('denied actions', () => {
      const s = w!.snaps.get('web');
      return s?.denied?.scale ? s : undefined;
    });
    expect(Object.keys(web.denied!).sort()).toEqual(['pause', 'restart', 'resume', 'rollback', 'scale']);
    expect(web.denied!.scale).toMatch(/RBAC: may not update deployments\/scale in shop/);
    const check = await w.adapter.read.canI(w.refs[0]!, 'update', 'deployments');
    expect(check.allowed).toBe(false);
    const admin = await watchWith(kube, 'admin');
    try {
      expect((await admin.adapter.read.canI(admin.refs[0]!, 'update', 'deployments')).allowed).toBe(true);
      expect(await admin.adapter.permissions({ procedure: 'scale', service: 'web' })).toMatchObject({
        allowed: true,
      });
      kube.deny('admin', 'update', 'deployments', 'scale');
      const denied = await admin.adapter.permissions({ procedure: 'scale', service: 'web' });
      expect(denied.allowed).toBe(false);
      expect(denied.reason).toMatch(/may not update deployments\/scale/);
    } finally {
      await admin.stop();
    }
  });
});

describe('mutations with preconditions', () => {
  it('rollback is kubectl rollout undo: RS template minus pod-template-hash, dry run first stores nothing', async () => {
    w = await watchWith(kube, 'admin');
    const web = await until('web snapshot', () => w!.snaps.get('web'));
    const m = w.adapter.mutate!;
    kube.clearRequests();
    const dry = await m.rollback(w.refs[0]!, 1, web.resourceVersion, { dryRun: true });
    expect(dry.detail).toBe('deployment.apps/web rolled back (server dry run)');
    expect(kube.get('Deployment', 'shop', 'web')!.spec.template.spec.containers[0].image).toBe(
      'registry.local/web:1.1',
    );
    const res = await m.rollback(w.refs[0]!, 1, web.resourceVersion);
    expect(res.detail).toBe('deployment.apps/web rolled back');
    const writes = kube.requests.filter((r) => r.verb === 'update');
    expect(writes.map((r) => [r.resource, r.dryRun])).toEqual([
      ['deployments', true],
      ['deployments', false],
    ]);
    const d = kube.get('Deployment', 'shop', 'web')!;
    expect(d.spec.template.metadata.labels['pod-template-hash']).toBeUndefined();
    expect(d.spec.template.spec.containers[0].image).toBe('registry.local/web:1.0');
    const after = await until('revision 3 on 1.0 settled', () => {
      const s = w!.snaps.get('web');
      return s?.revision === 3 && s.rollout.done && s.image === 'registry.local/web:1.0' ? s : undefined;
    });
    expect(after.history.map((h) => h.revision)).toEqual([2, 3]);
  });

  it('a stale resourceVersion, or a 409 between read and write, is PreconditionFailed and changes nothing', async () => {
    w = await watchWith(kube, 'admin');
    const web = await until('web snapshot', () => w!.snaps.get('web'));
    const m = w.adapter.mutate!;
    setImage(kube, 'web', 'registry.local/web:1.3');
    await expect(m.rollback(w.refs[0]!, 1, web.resourceVersion)).rejects.toBeInstanceOf(PreconditionFailed);
    const fresh = await w.adapter.read.get(w.refs[0]!);
    expect(fresh.resourceVersion).not.toBe(web.resourceVersion);
    kube.failNext({ verb: 'update', resource: 'deployments' }, 409);
    await expect(m.restart(w.refs[0]!, fresh.resourceVersion)).rejects.toBeInstanceOf(PreconditionFailed);
    expect(
      kube.get('Deployment', 'shop', 'web')!.spec.template.metadata.annotations?.[
        'kubectl.kubernetes.io/restartedAt'
      ],
    ).toBeUndefined();
  });

  it('scale goes through the scale subresource with a current-replicas precondition', async () => {
    w = await watchWith(kube, 'admin');
    await until('api snapshot', () => w!.snaps.get('api'));
    const m = w.adapter.mutate!;
    const api = w.refs[1]!;
    await expect(m.scale(api, 4, 3)).rejects.toThrow('Expected replicas to be 3, was 2');
    kube.clearRequests();
    await m.scale(api, 4, 2, { dryRun: true });
    await m.scale(api, 4, 2);
    expect(
      kube.requests.filter((r) => r.verb === 'update').map((r) => [r.resource, r.subresource, r.dryRun]),
    ).toEqual([
      ['deployments', 'scale', true],
      ['deployments', 'scale', false],
    ]);
    await until('4 ready', () => {
      const s = w!.snaps.get('api');
      return s?.replicas === 4 && s.readyReplicas === 4 && s.rollout.done;
    });
  });

  it('restart sets restartedAt, pause/resume toggle spec.paused; Events name the actor and audit id', async () => {
    w = await watchWith(kube, 'admin');
    const api0 = await until('api snapshot', () => w!.snaps.get('api'));
    const m = w.adapter.mutate!;
    const ref = w.refs[1]!;
    await m.restart(ref, api0.resourceVersion);
    const ann = kube.get('Deployment', 'shop', 'api')!.spec.template.metadata.annotations;
    expect(ann['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const restarted = await until('restart rolled out', () => {
      const s = w!.snaps.get('api');
      return s?.revision === 2 && s.rollout.done && s.readyReplicas === 2 ? s : undefined;
    });
    await m.setPaused(ref, true, restarted.resourceVersion);
    const paused = await until('paused', () =>
      w!.snaps.get('api')?.paused ? w!.snaps.get('api') : undefined,
    );
    expect(paused.rollout.phase).toBe('paused');
    await expect(m.restart(ref, paused.resourceVersion)).rejects.toThrow(/can't restart paused deployment/);
    await expect(m.rollback(ref, 1, paused.resourceVersion)).rejects.toThrow(
      /cannot rollback a paused deployment/,
    );
    await m.setPaused(ref, false, paused.resourceVersion);
    await until('resumed', () => w!.snaps.get('api')?.paused === false);

    await m.recordEvent(ref, 'OncallRestart', 'alice restarted all pods via oncall; audit 0123abcd');
    const ev = kube.list('Event', 'shop').find((e) => e.reason === 'OncallRestart')!;
    expect(ev).toMatchObject({
      type: 'Normal',
      involvedObject: { kind: 'Deployment', name: 'api', namespace: 'shop' },
      source: { component: 'oncall' },
    });
    await until('event in the snapshot', () =>
      w!.snaps.get('api')?.events.some((e) => e.reason === 'OncallRestart' && e.message.includes('0123abcd')),
    );
  });
});

describe('secrets (for the certificate probe and secret rotation)', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

  beforeEach(() => {
    kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-tls', namespace: 'shop' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(PEM), 'tls.key': b64('PRIVATE-KEY-MATERIAL') },
    });
    kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'stripe', namespace: 'shop' },
      type: 'Opaque',
      data: { apiKey: b64('sk_live_old'), webhook: b64('whsec_old') },
    });
    const api = kube.get('Deployment', 'shop', 'api')!;
    api.spec.template.spec.containers[0].env = [
      { name: 'STRIPE_KEY', valueFrom: { secretKeyRef: { name: 'stripe', key: 'apiKey' } } },
    ];
    api.spec.template.spec.volumes = [
      { name: 'creds', projected: { sources: [{ secret: { name: 'stripe' } }] } },
    ];
    delete api.metadata.resourceVersion;
    kube.update(api);
  });

  it('reads only the certificate of a TLS secret, and only key names of any secret', async () => {
    w = await watchWith(kube, 'admin');
    const r = w.adapter.read;
    const tls = await r.readTlsSecret!({ namespace: 'shop', name: 'web-tls' });
    expect(tls).toEqual({ certPem: PEM });
    expect(JSON.stringify(tls)).not.toContain('PRIVATE');
    const meta = await r.getSecretMeta!({ namespace: 'shop', name: 'stripe' });
    expect(meta).toMatchObject({ keys: ['apiKey', 'webhook'], type: 'Opaque' });
    expect(JSON.stringify(meta)).not.toMatch(/sk_live|whsec/);
    await expect(r.readTlsSecret!({ namespace: 'shop', name: 'stripe' })).rejects.toThrow(
      'secret shop/stripe has no tls.crt (type Opaque)',
    );
    expect(await r.findConsumers!('shop', 'stripe')).toEqual([
      { context: undefined, namespace: 'shop', deployment: 'api', via: ['env STRIPE_KEY', 'volume creds'] },
    ]);
  });

  it('replaces secret keys with a resourceVersion precondition; a conflict never echoes values', async () => {
    w = await watchWith(kube, 'admin');
    const r = w.adapter.read;
    const m = w.adapter.mutate!;
    const meta = await r.getSecretMeta!({ namespace: 'shop', name: 'stripe' });
    const res = await m.replaceSecretData!(
      { namespace: 'shop', name: 'stripe' },
      { apiKey: 'sk_live_new' },
      meta.resourceVersion,
    );
    expect(res.detail).toBe('secret/stripe updated (keys apiKey)');
    const stored = kube.get('Secret', 'shop', 'stripe')!;
    expect(Buffer.from(stored.data.apiKey, 'base64').toString()).toBe('sk_live_new');
    expect(Buffer.from(stored.data.webhook, 'base64').toString()).toBe('whsec_old');
    const stale = m.replaceSecretData!(
      { namespace: 'shop', name: 'stripe' },
      { apiKey: 'sk_live_x' },
      meta.resourceVersion,
    );
    await expect(stale).rejects.toBeInstanceOf(PreconditionFailed);
    const fresh = await r.getSecretMeta!({ namespace: 'shop', name: 'stripe' });
    kube.failNext({ verb: 'update', resource: 'secrets' }, 409);
    const err = await m.replaceSecretData!(
      { namespace: 'shop', name: 'stripe' },
      { apiKey: 'sk_live_y' },
      fresh.resourceVersion,
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(PreconditionFailed);
    expect((err as Error).message).not.toContain('sk_live');
  });
});

describe('kubeconfig as kubectl finds it, and outages', () => {
  it('KUBECONFIG with several files (merged, first wins), --context and --namespace, exec plugin credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-kc-'));
    // File 1: only preferences; file 2: the fake with a token user (context "tok"); file 3: an exec plugin user.
    writeFileSync(join(dir, 'prefs.yaml'), 'apiVersion: v1\nkind: Config\ncurrent-context: viaexec\n');
    kube.kubeconfig('viewer', { context: 'tok', file: join(dir, 'token.yaml') });
    const plugin = join(dir, 'cred-plugin.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${kube.tokens.admin}"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    writeFileSync(
      join(dir, 'exec.yaml'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: fake-exec`,
        `  cluster: {server: "${kube.url}", certificate-authority: "${kube.caFile}"}`,
        'users:',
        '- name: exec-user',
        '  user:',
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1',
        `      command: ${plugin}`,
        '      interactiveMode: Never',
        'contexts:',
        '- name: viaexec',
        '  context: {cluster: fake-exec, user: exec-user}',
        '',
      ].join('\n'),
    );
    // A later file redefining names already seen (kubectl: first wins; client-node alone would throw).
    writeFileSync(
      join(dir, 'dup.yaml'),
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: tok',
        'clusters: [{name: fake, cluster: {server: "https://127.0.0.1:1"}}]',
        'users: [{name: exec-user, user: {token: wrong}}]',
        'contexts: [{name: tok, context: {cluster: fake, user: exec-user}}]',
        '',
      ].join('\n'),
    );
    const files = ['prefs.yaml', 'missing.yaml', 'token.yaml', 'exec.yaml', 'dup.yaml'].map((f) =>
      join(dir, f),
    );
    const env = { KUBECONFIG: files.join(':'), HOME: dir };
    const viaExec = await createKubernetesAdapter(CONFIG, { readOnly: false, env });
    try {
      expect(viaExec.contextName).toBe('viaexec');
      const snap = await viaExec.read.get({ namespace: 'shop', deployment: 'web' });
      expect(snap.revision).toBe(2);
      // The plugin's token is the admin's: the access review says so.
      expect(
        (await viaExec.read.canI({ namespace: 'shop', deployment: 'web' }, 'update', 'deployments')).allowed,
      ).toBe(true);
      expect(kube.requests.some((r) => r.user === 'admin' && r.resource === 'deployments')).toBe(true);
    } finally {
      await viaExec.read.close();
    }
    // --context picks the token user; --namespace overrides every service's namespace.
    kube.create(
      deploymentManifest('web', { namespace: 'canary', replicas: 1, image: 'registry.local/web:9.9' }),
    );
    const viaFlag = await createKubernetesAdapter(CONFIG, {
      readOnly: true,
      env,
      context: 'tok',
      namespace: 'canary',
    });
    try {
      expect(viaFlag.mutate).toBeNull();
      const snap = await viaFlag.read.get({ namespace: 'shop', deployment: 'web' });
      expect(snap).toMatchObject({ namespace: 'canary', context: 'tok', image: 'registry.local/web:9.9' });
    } finally {
      await viaFlag.read.close();
    }
    await expect(createKubernetesAdapter(CONFIG, { readOnly: true, env, context: 'nope' })).rejects.toThrow(
      /context "nope" not found in kubeconfig \(known: .*tok.*viaexec/,
    );
  });

  it('an outage backs off with jitter (no reconnect storm) and recovers by itself', async () => {
    w = await watchWith(kube, 'admin');
    await until('web snapshot', () => w!.snaps.get('web'));
    await until('watches open', () => kube.openWatches() >= 5);
    kube.outage(true);
    const t0 = Date.now();
    // The operator is told (per workload), and reconnects back off: 20 refused attempts across the five
    // informers take well over the ~10 ms a retry loop without backoff would need.
    const told = await until('outage reported', () => w!.errors.get('web'), 10_000);
    expect(told).toMatch(
      /^stale: deployments: (connection to 127\.0\.0\.1:\d+ lost|cannot watch 127\.0\.0\.1:\d+)/,
    );
    await until('20 reconnect attempts', () => kube.refusedConnections() >= 20, 20_000);
    expect(Date.now() - t0).toBeGreaterThan(400);
    kube.outage(false);
    setImage(kube, 'api', 'registry.local/api:9.0');
    await until('recovered', () => w!.snaps.get('api')?.image === 'registry.local/api:9.0', 15_000);
  });
});

describe('oncall doctor on the cluster', () => {
  it('names what each procedure may do and which reads RBAC denies', async () => {
    kube.deny('viewer', 'watch', 'pods');
    const lines: Record<string, Awaited<ReturnType<typeof runDoctor>>> = {};
    for (const user of ['admin', 'viewer'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'oncall-doctor-'));
      const config = parseConfigText(
        `kubernetes: {kubeconfig: "${kube.kubeconfig(user)}"}\nservices:\n  - name: web\n    kubernetes: {namespace: shop, deployment: web}\n`,
        'doctor.yaml',
      );
      const rt = await createRuntime({
        config,
        mode: 'live',
        readOnly: false,
        auditFile: join(dir, 'a.jsonl'),
        env: {},
      });
      const sources = await rt.start();
      try {
        lines[user] = await runDoctor(rt);
      } finally {
        sources.stop();
        await rt.stop();
      }
    }
    expect(lines.admin![0]).toMatchObject({
      source: 'kubernetes (fake)',
      reachable: true,
      authenticated: true,
      actions: 'rollback/restart/pause, scale, events',
    });
    expect(lines.admin![0]!.detail).toContain('deployment shop/web rev 2');
    expect(lines.viewer![0]).toMatchObject({ reachable: true, actions: 'read only (RBAC)' });
    expect(lines.viewer![0]!.detail).toMatch(/may not watch pods$/);
  });
});

describe('pod states with reasons', () => {
  it('CrashLoopBackOff, OOMKilled, ImagePullBackOff, not ready, restarts — as the operator needs them', async () => {
    const cases: [string, string][] = [
      ['crashy', 'registry.local/app:crash'],
      ['oomy', 'registry.local/app:oom'],
      ['nopull', 'registry.local/app:nopull'],
      ['stuck', 'registry.local/app:notready'],
    ];
    for (const [name, image] of cases)
      kube.create(deploymentManifest(name, { namespace: 'shop', replicas: 1, image }));
    const config = parseConfigText(
      `services:\n${cases.map(([n]) => `  - name: ${n}\n    kubernetes: {namespace: shop, deployment: ${n}}`).join('\n')}\n`,
      'pods.yaml',
    );
    const adapter = await createKubernetesAdapter(config, {
      readOnly: true,
      kubeconfig: kube.kubeconfig('viewer'),
      batchMs: 10,
    });
    const snaps = new Map<string, WorkloadSnapshot>();
    const stop = adapter.read.watch(
      config.services.map((s) => ({ ...s.kubernetes! })),
      { onSnapshot: (ref, s) => snaps.set(ref.deployment, s), onError: () => undefined },
    );
    try {
      const pod = (n: string, re: RegExp) =>
        until(`${n} pod reason ${re}`, () => snaps.get(n)?.pods.find((p) => re.test(p.reason ?? '')), 10_000);
      const crash = await pod('crashy', /^CrashLoopBackOff$/);
      expect(crash.ready).toBe(false);
      await until('restarts counted', () => (snaps.get('crashy')?.pods[0]?.restarts ?? 0) > 0, 10_000);
      await pod('oomy', /^CrashLoopBackOff \(OOMKilled\)$/);
      const pull = await pod('nopull', /^ImagePullBackOff|^ErrImagePull/);
      expect(pull.phase).toBe('Pending');
      const stuck = await pod('stuck', /not ready$/);
      expect(stuck).toMatchObject({ phase: 'Running', ready: false, reason: '1 container not ready' });
      expect(snaps.get('stuck')!.rollout.done).toBe(false);
    } finally {
      stop();
      await adapter.read.close();
    }
  });
});
