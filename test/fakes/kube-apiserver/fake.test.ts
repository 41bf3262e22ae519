/**
 * Protocol semantics of the fake kube-apiserver that kubectl does not exercise by itself, checked over real
 * HTTPS against its test CA: watch resume / 410 / bookmarks / selector transitions, pagination, the patch
 * types, preconditions, dryRun, subresources, validation, and the controllers' rules (Recreate, minReadySeconds,
 * revisionHistoryLimit, HPA bounds, garbage collection).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer, type KObj } from './index.js';
import { deploymentManifest, seedFleet } from './testing.js';

interface Answer {
  status: number;
  body: KObj;
  text: string;
}

describe('fake kube-apiserver protocol', () => {
  let kube: FakeApiServer;
  let agent: Agent;
  const open: Array<{ close(): void }> = [];

  beforeEach(async () => {
    kube = await startFakeApiServer({ readyDelayMs: 20, bookmarkIntervalMs: 100, hpaSyncMs: 50 });
    agent = new Agent({ ca: readFileSync(kube.caFile), keepAlive: false });
  });
  afterEach(async () => {
    for (const w of open.splice(0)) w.close();
    agent.destroy();
    await kube.stop();
  });

  function call(
    method: string,
    path: string,
    opts: { body?: unknown; contentType?: string; token?: string | null; accept?: string } = {},
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
      if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? kube.tokens.admin}`;
      const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      if (payload) headers['content-type'] = opts.contentType ?? 'application/json';
      const req = request(`${kube.url}${path}`, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: KObj;
          try {
            body = JSON.parse(text);
          } catch (err) {
            body = { unparsed: text, error: String(err) };
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Opens a watch and collects its events; `until` waits for a predicate over the events so far. */
  function watch(path: string, token?: string) {
    const events: KObj[] = [];
    let ended = false;
    let status = 0;
    const req = request(
      `${kube.url}${path}`,
      { agent, headers: { authorization: `Bearer ${token ?? kube.tokens.admin}` } },
      (res) => {
        status = res.statusCode ?? 0;
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buf.slice(0, i)));
            buf = buf.slice(i + 1);
          }
        });
        res.on('end', () => (ended = true));
        res.on('close', () => (ended = true));
      },
    );
    req.on('error', () => (ended = true));
    req.end();
    const w = {
      events,
      get ended() {
        return ended;
      },
      get status() {
        return status;
      },
      close: () => req.destroy(),
      until: (pred: (evs: KObj[]) => boolean, what = 'watch events') =>
        kube.waitFor(() => pred(events), 5000, what),
    };
    open.push(w);
    return w;
  }

  const names = (evs: KObj[], type?: string) =>
    evs.filter((e) => !type || e.type === type).map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`);

  it('serves discovery for every listed group-version, /version, and 401 without a token', async () => {
    const groups = (await call('GET', '/apis')).body;
    expect(groups.kind).toBe('APIGroupList');
    const gvs = ['v1', ...groups.groups.flatMap((g: KObj) => g.versions.map((v: KObj) => v.groupVersion))];
    expect(gvs).toEqual(
      expect.arrayContaining([
        'v1',
        'apps/v1',
        'autoscaling/v2',
        'authorization.k8s.io/v1',
        'events.k8s.io/v1',
      ]),
    );
    for (const gv of gvs) {
      const r = await call('GET', gv === 'v1' ? '/api/v1' : `/apis/${gv}`);
      expect({ gv, status: r.status, kind: r.body.kind }).toEqual({
        gv,
        status: 200,
        kind: 'APIResourceList',
      });
    }
    const apps = (await call('GET', '/apis/apps/v1')).body.resources;
    expect(apps).toContainEqual(
      expect.objectContaining({
        name: 'deployments/scale',
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
      }),
    );
    expect((await call('GET', '/version')).body).toMatchObject({ major: '1', minor: '32' });
    const anon = await call('GET', '/apis/apps/v1/deployments', { token: null });
    expect(anon.status).toBe(401);
    expect(anon.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('every object has resourceVersion/uid/generation/creationTimestamp; lists carry the collection resourceVersion', async () => {
    kube.create(deploymentManifest('web', { replicas: 1 }));
    const d = (await call('GET', '/apis/apps/v1/namespaces/default/deployments/web')).body;
    expect(d.metadata).toMatchObject({
      generation: 1,
      uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      creationTimestamp: expect.stringMatching(/Z$/),
    });
    expect(Number(d.metadata.resourceVersion)).toBeGreaterThan(0);
    const list = (await call('GET', '/apis/apps/v1/deployments')).body;
    expect(list).toMatchObject({ kind: 'DeploymentList', apiVersion: 'apps/v1' });
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(d.metadata.resourceVersion));
  });

  it('watch from a resourceVersion replays later changes; a too-old one gets ERROR 410 Expired and the stream ends', async () => {
    const cm = (name: string) =>
      kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } });
    cm('a');
    const rv = kube.resourceVersion();
    cm('b');
    const w = watch(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`);
    await w.until((e) => e.some((x) => x.object.metadata.name === 'b'));
    expect(names(w.events)).toEqual(['ADDED b']); // nothing at or before rv
    expect(Number(w.events[0].object.metadata.resourceVersion)).toBeGreaterThan(Number(rv));

    kube.compact();
    const old = watch(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`);
    await old.until((e) => e.length > 0);
    await kube.waitFor(() => old.ended, 2000, 'the expired watch to end');
    expect(old.status).toBe(200);
    expect(old.events).toEqual([
      {
        type: 'ERROR',
        object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired', status: 'Failure' }),
      },
    ]);
    const exact = await call('GET', `/api/v1/configmaps?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    expect(exact.body).toMatchObject({ code: 410, reason: 'Expired' });
    // a current resourceVersion still works after compaction
    const fresh = watch(
      `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${kube.resourceVersion()}`,
    );
    kube.remove('ConfigMap', 'default', 'a');
    await fresh.until((e) => e.some((x) => x.type === 'DELETED'));
    expect(names(fresh.events)).toEqual(['DELETED a']);
  });

  it('watch without resourceVersion starts with ADDED for what exists; bookmarks and sendInitialEvents', async () => {
    kube.create(deploymentManifest('a', { replicas: 0 }));
    const w = watch('/apis/apps/v1/deployments?watch=true&allowWatchBookmarks=true');
    await w.until((e) => e.some((x) => x.type === 'BOOKMARK'), 'a bookmark');
    expect(names(w.events)[0]).toBe('ADDED a');
    const bm = w.events.find((x) => x.type === 'BOOKMARK')!;
    expect(bm.object).toEqual({
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { resourceVersion: kube.resourceVersion() },
    });

    const s = watch(
      '/apis/apps/v1/deployments?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true',
    );
    await s.until((e) => e.some((x) => x.type === 'BOOKMARK'));
    expect(s.events[0].type).toBe('ADDED');
    expect(s.events[1].object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  });

  it('label selector watches see objects enter (ADDED) and leave (DELETED) the selection; fieldSelector by name', async () => {
    kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's1', namespace: 'default', labels: { tier: 'a' } },
      data: {},
    });
    const w = watch('/api/v1/namespaces/default/secrets?watch=1&labelSelector=tier%20in%20(b,c)');
    const byName = watch('/api/v1/namespaces/default/secrets?watch=1&fieldSelector=metadata.name%3Ds1');
    await byName.until((e) => e.length === 1);
    const patch = (tier: string) =>
      call('PATCH', '/api/v1/namespaces/default/secrets/s1', {
        body: { metadata: { labels: { tier } } },
        contentType: 'application/merge-patch+json',
      });
    expect((await patch('b')).status).toBe(200);
    expect((await patch('c')).status).toBe(200);
    expect((await patch('a')).status).toBe(200);
    await w.until((e) => e.length === 3);
    expect(names(w.events)).toEqual(['ADDED s1', 'MODIFIED s1', 'DELETED s1']);
    await byName.until((e) => e.length === 4);
    expect(names(byName.events)).toEqual(['ADDED s1', 'MODIFIED s1', 'MODIFIED s1', 'MODIFIED s1']);
    const listed = await call('GET', '/api/v1/secrets?labelSelector=tier%3Da,!missing');
    expect(listed.body.items.map((s: KObj) => s.metadata.name)).toEqual(['s1']);
    const bad = await call('GET', '/api/v1/secrets?labelSelector=tier%20in%20');
    expect(bad.status).toBe(400);
  });

  it('dropWatches ends every stream; openWatches counts them; timeoutSeconds ends one', async () => {
    const a = watch('/api/v1/pods?watch=1');
    const b = watch('/apis/apps/v1/deployments?watch=1');
    await kube.waitFor(() => kube.openWatches() === 2);
    expect(kube.openWatches('pods')).toBe(1);
    kube.dropWatches();
    await kube.waitFor(() => a.ended && b.ended, 2000, 'streams to end');
    expect(kube.openWatches()).toBe(0);
    const t = watch('/api/v1/pods?watch=1&timeoutSeconds=1');
    await kube.waitFor(() => t.ended, 3000, 'timeoutSeconds');
  });

  it('an outage resets connections (cutting watches) until it ends, and counts the attempts', async () => {
    const w = watch('/api/v1/pods?watch=1');
    await kube.waitFor(() => kube.openWatches() === 1);
    kube.outage(true);
    await kube.waitFor(() => w.ended, 2000, 'the watch to be cut');
    await expect(call('GET', '/api/v1/pods')).rejects.toThrow();
    await expect(call('GET', '/api/v1/pods')).rejects.toThrow();
    expect(kube.refusedConnections()).toBe(2);
    kube.outage(false);
    expect((await call('GET', '/api/v1/pods')).status).toBe(200);
  });

  it('limit/continue pages in key order; an expired continue token is 410', async () => {
    for (const n of ['c', 'a', 'e', 'b', 'd'])
      kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, namespace: 'default' } });
    const p1 = (await call('GET', '/api/v1/namespaces/default/configmaps?limit=2')).body;
    expect(p1.items.map((x: KObj) => x.metadata.name)).toEqual(['a', 'b']);
    expect(p1.metadata.remainingItemCount).toBe(3);
    const p2 = (
      await call(
        'GET',
        `/api/v1/namespaces/default/configmaps?limit=2&continue=${encodeURIComponent(p1.metadata.continue)}`,
      )
    ).body;
    expect(p2.items.map((x: KObj) => x.metadata.name)).toEqual(['c', 'd']);
    expect(p2.metadata.resourceVersion).toBe(p1.metadata.resourceVersion);
    kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'f', namespace: 'default' } });
    kube.compact();
    const gone = await call(
      'GET',
      `/api/v1/namespaces/default/configmaps?limit=2&continue=${encodeURIComponent(p2.metadata.continue)}`,
    );
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });

  it('update with a stale resourceVersion is 409 Conflict; a patch carrying one is a precondition; status is its own subresource', async () => {
    kube.create(deploymentManifest('web', { replicas: 1 }));
    await kube.waitFor(() => kube.get('Deployment', 'default', 'web').status?.availableReplicas === 1);
    const cur = (await call('GET', '/apis/apps/v1/namespaces/default/deployments/web')).body;
    const stale = structuredClone(cur);
    stale.metadata.resourceVersion = String(Number(cur.metadata.resourceVersion) - 1);
    const r = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { body: stale });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
    const pre = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', {
      body: { metadata: { resourceVersion: stale.metadata.resourceVersion }, spec: { replicas: 2 } },
      contentType: 'application/merge-patch+json',
    });
    expect(pre.status).toBe(409);
    // PUT on the main resource ignores status; generation bumps only for spec changes
    const upd = structuredClone(cur);
    upd.status = { replicas: 99 };
    upd.metadata.labels.extra = 'x';
    const ok = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { body: upd });
    expect(ok.status).toBe(200);
    expect(ok.body.status.replicas).toBe(1);
    expect(ok.body.metadata.generation).toBe(1);
    const st = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/status', {
      body: { spec: { replicas: 7 }, status: { observedGeneration: 1, replicas: 1, readyReplicas: 1 } },
      contentType: 'application/merge-patch+json',
    });
    expect(st.body.spec.replicas).toBe(1);
  });

  it('json-patch (incl. a failing test op), merge-patch and strategic-merge-patch by container name', async () => {
    kube.create(deploymentManifest('web', { replicas: 1 }));
    await kube.waitFor(() => kube.get('Deployment', 'default', 'web').status?.availableReplicas === 1);
    const path = '/apis/apps/v1/namespaces/default/deployments/web';
    const d = (await call('GET', path)).body;
    const failed = await call('PATCH', path, {
      body: [
        { op: 'test', path: '/metadata/resourceVersion', value: '1' },
        { op: 'replace', path: '/spec/replicas', value: 3 },
      ],
      contentType: 'application/json-patch+json',
    });
    expect(failed.status).toBe(422);
    const ok = await call('PATCH', path, {
      body: [
        { op: 'test', path: '/metadata/resourceVersion', value: d.metadata.resourceVersion },
        {
          op: 'add',
          path: '/spec/template/spec/containers/-',
          value: { name: 'side', image: 'registry.local/side:1' },
        },
      ],
      contentType: 'application/json-patch+json',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.spec.template.spec.containers.map((c: KObj) => c.name)).toEqual(['app', 'side']);
    const smp = await call('PATCH', path, {
      body: {
        spec: { template: { spec: { containers: [{ name: 'side', image: 'registry.local/side:2' }] } } },
      },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(smp.body.spec.template.spec.containers.map((c: KObj) => `${c.name}=${c.image}`)).toEqual([
      'app=registry.local/web:1.0',
      'side=registry.local/side:2',
    ]);
    const del = await call('PATCH', path, {
      body: { spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(del.body.spec.template.spec.containers.map((c: KObj) => c.name)).toEqual(['app']);
    const merge = await call('PATCH', path, {
      body: {
        spec: { template: { spec: { containers: [{ name: 'only', image: 'registry.local/only:1' }] } } },
      },
      contentType: 'application/merge-patch+json',
    });
    expect(merge.body.spec.template.spec.containers.map((c: KObj) => c.name)).toEqual(['only']); // lists replace
    expect(merge.body.metadata.generation).toBe(5);
    const unknown = await call('PATCH', path, { body: {}, contentType: 'text/plain' });
    expect(unknown.status).toBe(415);
  });

  it('dryRun=All validates and answers without storing; invalid objects are 422 with causes', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments';
    const rv = kube.resourceVersion();
    const dry = await call('POST', `${path}?dryRun=All`, { body: deploymentManifest('web') });
    expect(dry.status).toBe(201);
    expect(dry.body.spec.strategy.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: '25%' });
    expect(kube.get('Deployment', 'default', 'web')).toBeUndefined();
    expect(kube.resourceVersion()).toBe(rv);
    const bad = deploymentManifest('web');
    bad.spec.replicas = -1;
    bad.spec.template.metadata.labels = { app: 'other' };
    const inv = await call('POST', `${path}?dryRun=All`, { body: bad });
    expect(inv.status).toBe(422);
    expect(inv.body.details.causes.map((c: KObj) => c.field)).toEqual([
      'spec.replicas',
      'spec.template.metadata.labels',
    ]);
    expect(inv.body.message).toMatch(
      /^Deployment\.apps "web" is invalid: \[spec\.replicas: Invalid value: -1/,
    );
    expect((await call('POST', path, { body: deploymentManifest('web', { replicas: 0 }) })).status).toBe(201);
    expect((await call('POST', path, { body: deploymentManifest('web') })).body).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
    });
    const nsMissing = await call('POST', '/apis/apps/v1/namespaces/nowhere/deployments', {
      body: deploymentManifest('x', { namespace: 'nowhere' }),
    });
    expect(nsMissing.body).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });
    const sel = await call('PATCH', `${path}/web`, {
      body: { spec: { selector: { matchLabels: { app: 'x' } } } },
      contentType: 'application/merge-patch+json',
    });
    expect(sel.status).toBe(422);
    expect(sel.body.message).toContain('field is immutable');
  });

  it('scale subresource: autoscaling/v1 Scale with selector; PUT with a stale resourceVersion is 409', async () => {
    kube.create(deploymentManifest('web', { replicas: 2 }));
    // settle first: any controller status write would (rightly) make the PUT below a 409
    await kube.waitFor(() => kube.get('Deployment', 'default', 'web').status?.availableReplicas === 2);
    const path = '/apis/apps/v1/namespaces/default/deployments/web/scale';
    const s = (await call('GET', path)).body;
    expect(s).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { selector: 'app=web' },
    });
    const put = await call('PUT', path, { body: { ...s, spec: { replicas: 4 } } });
    expect(put.body.spec.replicas).toBe(4);
    const stale = await call('PUT', path, { body: { ...s, spec: { replicas: 5 } } });
    expect(stale.status).toBe(409);
    const dry = await call('PATCH', `${path}?dryRun=All`, {
      body: { spec: { replicas: 9 } },
      contentType: 'application/merge-patch+json',
    });
    expect(dry.body.spec.replicas).toBe(9);
    expect(kube.get('Deployment', 'default', 'web').spec.replicas).toBe(4);
    expect(kube.get('Deployment', 'default', 'web').metadata.generation).toBe(2);
  });

  it('access reviews answer from the RBAC table; 403 bodies name user, verb, resource and namespace', async () => {
    const review = (token: string, ra: KObj) =>
      call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        token,
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: ra },
        },
      });
    const ra = { namespace: 'default', verb: 'patch', group: 'apps', resource: 'deployments' };
    expect((await review(kube.tokens.admin, ra)).body.status.allowed).toBe(true);
    expect((await review(kube.tokens.viewer, ra)).body.status.allowed).toBe(false);
    expect((await review(kube.tokens.viewer, { ...ra, verb: 'watch' })).body.status.allowed).toBe(true);
    kube.deny('viewer', 'watch', 'deployments');
    expect((await review(kube.tokens.viewer, { ...ra, verb: 'watch' })).body.status.allowed).toBe(false);
    kube.deny('admin', 'update', 'deployments', 'scale');
    expect(
      (await review(kube.tokens.admin, { ...ra, verb: 'update', subresource: 'scale' })).body.status.allowed,
    ).toBe(false);
    expect((await review(kube.tokens.admin, { ...ra, verb: 'update' })).body.status.allowed).toBe(true);
    const f = await call('GET', '/apis/apps/v1/namespaces/default/deployments?watch=1', {
      token: kube.tokens.viewer,
    });
    expect(f.status).toBe(403);
    expect(f.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message:
        'deployments.apps is forbidden: User "viewer" cannot watch resource "deployments" in API group "apps" in the namespace "default"',
    });
    kube.failNext({ verb: 'list', resource: 'pods' }, 503);
    expect((await call('GET', '/api/v1/pods')).status).toBe(503);
    expect((await call('GET', '/api/v1/pods')).status).toBe(200);
  });

  it('events.k8s.io/v1 is a converted view of core Events, watchable by regarding fields', async () => {
    const w = watch(
      '/apis/events.k8s.io/v1/namespaces/default/events?watch=1&fieldSelector=regarding.name%3Dweb',
    );
    const ev = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { generateName: 'web.', namespace: 'default' },
      eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'oncall',
      reportingInstance: 'host-1',
      action: 'Scale',
      reason: 'OncallScale',
      type: 'Normal',
      note: 'scaled by bob',
      regarding: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default' },
    };
    const r = await call('POST', '/apis/events.k8s.io/v1/namespaces/default/events', { body: ev });
    expect(r.status).toBe(201);
    expect(r.body.metadata.name).toMatch(/^web\./);
    await w.until((e) => e.length === 1);
    expect(w.events[0].object).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      note: 'scaled by bob',
      regarding: { name: 'web' },
    });
    const core = (await call('GET', `/api/v1/namespaces/default/events/${r.body.metadata.name}`)).body;
    expect(core).toMatchObject({
      apiVersion: 'v1',
      message: 'scaled by bob',
      reason: 'OncallScale',
      involvedObject: { name: 'web' },
      reportingComponent: 'oncall',
    });
    const legacy = await call('POST', '/api/v1/namespaces/default/events', {
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'x.1' },
        involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' },
        reason: 'R',
        message: 'm',
      },
    });
    expect(legacy.status).toBe(422);
    expect(legacy.body.message).toContain('does not match event.namespace');
  });

  it('Recreate scales the old ReplicaSet to zero before the new one starts', async () => {
    kube.create(deploymentManifest('web', { replicas: 2, strategy: { type: 'Recreate' } }));
    await kube.waitFor(() => kube.get('Deployment', 'default', 'web').status?.availableReplicas === 2);
    let overlap = false;
    const t = setInterval(() => {
      const imgs = new Set(kube.list('Pod', 'default').map((p) => p.spec.containers[0].image));
      if (imgs.size > 1) overlap = true;
    }, 2);
    const d = kube.get('Deployment', 'default', 'web');
    d.spec.template.spec.containers[0].image = 'registry.local/web:2.0';
    kube.update(d);
    await kube.waitFor(() => {
      const x = kube.get('Deployment', 'default', 'web');
      return x.status.updatedReplicas === 2 && x.status.availableReplicas === 2 && x.status.replicas === 2;
    });
    clearInterval(t);
    expect(overlap).toBe(false);
  });

  it('minReadySeconds delays availability; revisionHistoryLimit removes the oldest idle ReplicaSets', async () => {
    kube.create(deploymentManifest('web', { replicas: 1, minReadySeconds: 1, revisionHistoryLimit: 1 }));
    await kube.waitFor(() => kube.get('Deployment', 'default', 'web').status?.readyReplicas === 1);
    expect(kube.get('Deployment', 'default', 'web').status.availableReplicas ?? 0).toBe(0);
    await kube.waitFor(() => kube.get('Deployment', 'default', 'web').status?.availableReplicas === 1, 5000);
    // like the real controllers: available once Ready's lastTransitionTime (whole seconds) + minReadySeconds has passed
    const pod = kube.list('Pod', 'default')[0];
    const readySince = Date.parse(
      pod.status.conditions.find((c: KObj) => c.type === 'Ready').lastTransitionTime,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(readySince + 1000);
    kube.setReadyDelay(1);
    for (const tag of ['2', '3', '4']) {
      const d = kube.get('Deployment', 'default', 'web');
      d.spec.minReadySeconds = 0;
      d.spec.template.spec.containers[0].image = `registry.local/web:${tag}`;
      kube.update(d);
      await kube.waitFor(() => {
        const x = kube.get('Deployment', 'default', 'web');
        return (
          x.metadata.annotations['deployment.kubernetes.io/revision'] === String(Number(tag)) &&
          x.status.updatedReplicas === 1 &&
          x.status.replicas === 1 &&
          x.status.availableReplicas === 1
        );
      });
    }
    await kube.waitFor(
      () => kube.list('ReplicaSet', 'default').length === 2,
      3000,
      'history trimmed to 1 old ReplicaSet',
    );
    const revs = kube
      .list('ReplicaSet', 'default')
      .map((rs) => rs.metadata.annotations['deployment.kubernetes.io/revision'])
      .sort();
    expect(revs).toEqual(['3', '4']);
  });

  it('an HPA pulls its Deployment back inside min/max and reports it', async () => {
    kube.create(deploymentManifest('web', { replicas: 1 }));
    kube.create({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 3,
        maxReplicas: 10,
      },
    });
    await kube.waitFor(
      () => kube.get('Deployment', 'default', 'web').spec.replicas === 3,
      3000,
      'HPA scale-up to min',
    );
    await kube.waitFor(
      () => kube.get('HorizontalPodAutoscaler', 'default', 'web').status?.currentReplicas === 3,
      3000,
    );
    const hpa = kube.get('HorizontalPodAutoscaler', 'default', 'web');
    expect(hpa.status).toMatchObject({ desiredReplicas: 3, lastScaleTime: expect.any(String) });
    expect(
      kube
        .list('Event', 'default')
        .some((e) => e.reason === 'SuccessfulRescale' && e.involvedObject.kind === 'HorizontalPodAutoscaler'),
    ).toBe(true);
    const d = kube.get('Deployment', 'default', 'web');
    d.spec.replicas = 20;
    kube.update(d);
    await kube.waitFor(
      () => kube.get('Deployment', 'default', 'web').spec.replicas === 10,
      3000,
      'HPA scale-down to max',
    );
    const v1 = (await call('GET', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web'))
      .body;
    expect(v1).toMatchObject({
      apiVersion: 'autoscaling/v1',
      spec: { minReplicas: 3, maxReplicas: 10, targetCPUUtilizationPercentage: 80 },
    });
    expect(v1.spec.metrics).toBeUndefined();
  });

  it('deleting a Deployment garbage-collects its ReplicaSets and Pods; deleting a namespace empties it', async () => {
    kube.create(deploymentManifest('web', { replicas: 2 }));
    await kube.waitFor(() => kube.list('Pod', 'default').length === 2);
    const del = await call('DELETE', '/apis/apps/v1/namespaces/default/deployments/web');
    expect(del.body).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
    expect(kube.list('ReplicaSet', 'default')).toEqual([]);
    expect(kube.list('Pod', 'default')).toEqual([]);
    kube.create(deploymentManifest('api', { namespace: 'team', replicas: 1 }));
    await kube.waitFor(() => kube.list('Pod', 'team').length === 1);
    expect((await call('DELETE', '/api/v1/namespaces/team')).status).toBe(200);
    expect(kube.list('Deployment', 'team')).toEqual([]);
    expect(kube.list('Pod', 'team')).toEqual([]);
  });

  it('seedFleet fills namespaces with rolled-out Deployments, their ReplicaSets, Pods and HPAs', async () => {
    kube.setReadyDelay(0);
    await seedFleet(kube, { deployments: 30, replicas: 2, namespaces: 3, hpa: true }, 20_000);
    expect([
      kube.count('Deployment'),
      kube.count('ReplicaSet'),
      kube.count('Pod'),
      kube.count('HorizontalPodAutoscaler'),
    ]).toEqual([30, 30, 60, 30]);
    expect(kube.count('Namespace')).toBe(6); // default, kube-system, kube-public + ns-0..2
    const list = await call('GET', '/api/v1/namespaces/ns-1/pods?labelSelector=app%3Dsvc-4');
    expect(list.body.items).toHaveLength(2);
    expect(list.body.items.every((p: KObj) => p.status.phase === 'Running')).toBe(true);
  });

  it('Accept as=Table answers a Table with PartialObjectMetadata rows', async () => {
    kube.create(deploymentManifest('web', { replicas: 1 }));
    await kube.waitFor(() => kube.get('Deployment', 'default', 'web').status?.availableReplicas === 1);
    const t = await call('GET', '/apis/apps/v1/namespaces/default/deployments', {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    expect(t.body.kind).toBe('Table');
    expect(t.body.columnDefinitions.map((c: KObj) => c.name)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(t.body.rows[0].cells.slice(0, 4)).toEqual(['web', '1/1', 1, 1]);
    expect(t.body.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'web' } });
  });
});
