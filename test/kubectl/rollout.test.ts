/**
 * The fake kube-apiserver proven against the real kubectl (v1.32): what kubectl prints and exits with for
 * get, rollout status / history / undo / restart / pause / resume and scale must be what it would print
 * against a real cluster in the same state.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireBinaries } from '../helpers/backend.js';
import { startFakeApiServer, type FakeApiServer, type KObj } from '../fakes/kube-apiserver/index.js';
import { deploymentManifest, kubectl } from '../fakes/kube-apiserver/testing.js';

const HASH = 'pod-template-hash';

function ownedReplicaSets(kube: FakeApiServer, name: string): KObj[] {
  const d = kube.get('Deployment', 'default', name);
  return kube
    .list('ReplicaSet', 'default')
    .filter((rs) => rs.metadata.ownerReferences?.some((r: KObj) => r.controller && r.uid === d.metadata.uid));
}

function rsOfRevision(kube: FakeApiServer, name: string, revision: number): KObj | undefined {
  return ownedReplicaSets(kube, name).find(
    (rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === String(revision),
  );
}

function withoutHash(template: KObj): KObj {
  const t = structuredClone(template);
  delete t.metadata.labels[HASH];
  return t;
}

function historyRevisions(stdout: string): number[] {
  return stdout
    .split('\n')
    .map((l) => /^(\d+)\s/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number);
}

describe.runIf(requireBinaries(['kubectl']))('kubectl against the fake kube-apiserver: deployments', () => {
  let kube: FakeApiServer;
  let admin: string;

  beforeEach(async () => {
    kube = await startFakeApiServer({ readyDelayMs: 40 });
    admin = kube.kubeconfig('admin');
  });
  afterEach(async () => {
    await kube.stop();
  });

  const complete = (name: string, replicas: number) => () => {
    const d = kube.get('Deployment', 'default', name);
    return (
      d?.status?.observedGeneration === d?.metadata.generation &&
      d?.status?.updatedReplicas === replicas &&
      d?.status?.availableReplicas === replicas &&
      (d?.status?.replicas ?? 0) === replicas
    );
  };

  it('kubectl get deploy / rs / pods shows the controller-made objects in Table columns', async () => {
    kube.create(deploymentManifest('web', { replicas: 3 }));
    await kube.waitFor(complete('web', 3), 5000, 'web rolled out');
    const deploy = await kubectl(admin, ['get', 'deploy']);
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
    expect(deploy.stdout).toMatch(/^web\s+3\/3\s+3\s+3\s+\d+s$/m);

    const rs = await kubectl(admin, ['get', 'rs', '-o', 'wide']);
    expect(rs.stdout).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
    expect(rs.stdout).toMatch(
      /^web-[a-z0-9]+\s+3\s+3\s+3\s+\d+s\s+app\s+registry\.local\/web:1\.0\s+app=web,pod-template-hash=[a-z0-9]+$/m,
    );

    const pods = await kubectl(admin, ['get', 'pods', '-l', 'app=web']);
    const rows = pods.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).toMatch(/^web-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\d+s$/);

    const one = await kubectl(admin, ['get', 'deploy', 'web', '-o', 'json']);
    const obj = JSON.parse(one.stdout);
    expect(obj.metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
    expect(obj.status.conditions.map((c: KObj) => `${c.type}=${c.status}/${c.reason}`).sort()).toEqual([
      'Available=True/MinimumReplicasAvailable',
      'Progressing=True/NewReplicaSetAvailable',
    ]);

    const missing = await kubectl(admin, ['get', 'deploy', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): deployments.apps "nope" not found');
  });

  it('rollout status follows a rollout from progressing to complete (watch), and --watch=false reports one state', async () => {
    kube.setReadyDelay(600_000); // pods wait until the test lets them start
    kube.create(deploymentManifest('web', { replicas: 3 }));
    await kube.waitFor(() => kube.list('Pod', 'default').length === 3, 5000, 'pods created');
    const early = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--watch=false']);
    expect(early).toMatchObject({
      code: 0,
      stdout: 'Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...\n',
    });

    kube.clearRequests();
    const watching = kubectl(admin, ['rollout', 'status', 'deploy/web', '--timeout=20s']);
    await kube.waitFor(
      () => kube.requests.some((r) => r.verb === 'watch' && r.resource === 'deployments'),
      10_000,
      'kubectl to watch',
    );
    kube.setReadyDelay(30);
    const watched = await watching;
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(
      /^Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available\.\.\.\n/,
    );
    expect(watched.stdout.trimEnd().split('\n').pop()).toBe('deployment "web" successfully rolled out');

    const done = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--watch=false']);
    expect(done).toMatchObject({ code: 0, stdout: 'deployment "web" successfully rolled out\n' });

    // even --watch=false lists by name and opens a watch, like against a real server
    const mine = kube.requests.filter((r) => r.resource === 'deployments' && r.user === 'admin');
    expect(mine.some((r) => r.verb === 'list' && r.query.fieldSelector === 'metadata.name=web')).toBe(true);
    expect(mine.some((r) => r.verb === 'watch' && r.query.allowWatchBookmarks === 'true')).toBe(true);
  });

  it('a rolling update honours maxSurge/maxUnavailable and leaves the old ReplicaSet at 0', async () => {
    kube.create(
      deploymentManifest('web', {
        replicas: 4,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
    );
    await kube.waitFor(complete('web', 4), 5000, 'web rolled out');
    kube.setReadyDelay(150);
    let maxPods = 0;
    let minAvailable = Infinity;
    const sample = setInterval(() => {
      const pods = kube.list('Pod', 'default').length;
      maxPods = Math.max(maxPods, pods);
      minAvailable = Math.min(
        minAvailable,
        kube.get('Deployment', 'default', 'web')?.status?.availableReplicas ?? 0,
      );
    }, 5);
    try {
      const set = await kubectl(admin, ['set', 'image', 'deploy/web', 'app=registry.local/web:2.0']);
      expect(set).toMatchObject({ code: 0, stdout: 'deployment.apps/web image updated\n' });
      const st = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--timeout=20s']);
      expect(st.code).toBe(0);
      expect(st.stdout).toContain('old replicas are pending termination...');
      expect(st.stdout.trimEnd().split('\n').pop()).toBe('deployment "web" successfully rolled out');
    } finally {
      clearInterval(sample);
    }
    expect(maxPods).toBeLessThanOrEqual(5); // replicas + maxSurge
    expect(minAvailable).toBeGreaterThanOrEqual(4); // replicas - maxUnavailable
    const rss = ownedReplicaSets(kube, 'web');
    expect(
      rss
        .map((rs) => [rs.metadata.annotations['deployment.kubernetes.io/revision'], rs.spec.replicas])
        .sort(),
    ).toEqual([
      ['1', 0],
      ['2', 4],
    ]);
  });

  it('rollout status exits 1 once the progress deadline is exceeded (crash-looping pods)', async () => {
    kube.create(deploymentManifest('web', { replicas: 2, progressDeadlineSeconds: 1 }));
    await kube.waitFor(complete('web', 2), 5000, 'web rolled out');
    const set = await kubectl(admin, ['set', 'image', 'deploy/web', 'app=registry.local/web:crash']);
    expect(set.code).toBe(0);
    const st = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--timeout=20s']);
    expect(st.code).toBe(1);
    expect(st.stderr).toContain('error: deployment "web" exceeded its progress deadline');
    const d = kube.get('Deployment', 'default', 'web');
    const prog = d.status.conditions.find((c: KObj) => c.type === 'Progressing');
    expect(prog).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(prog.message).toMatch(/^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/);

    const pods = await kubectl(admin, ['get', 'pods']);
    expect(pods.stdout).toMatch(/^web-[a-z0-9]+-[a-z0-9]{5}\s+0\/1\s+CrashLoopBackOff\s+1\s+\d+s$/m);
    const again = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--watch=false']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exceeded its progress deadline');
  });

  it('rollout history lists revisions with change-cause, and --revision=N shows that template', async () => {
    kube.create(deploymentManifest('web', { replicas: 2 }));
    await kube.waitFor(complete('web', 2), 5000, 'web rolled out');
    for (const [tag, cause] of [
      ['2.0', 'upgrade to 2.0'],
      ['3.0', 'upgrade to 3.0'],
    ]) {
      const d = kube.get('Deployment', 'default', 'web');
      d.metadata.annotations['kubernetes.io/change-cause'] = cause;
      d.spec.template.spec.containers[0].image = `registry.local/web:${tag}`;
      kube.update(d);
      await kube.waitFor(complete('web', 2), 5000, `web at ${tag}`);
    }
    const h = await kubectl(admin, ['rollout', 'history', 'deploy/web']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(
      /^deployment\.apps\/web \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+upgrade to 2\.0\n3\s+upgrade to 3\.0\n/,
    );

    const r2 = await kubectl(admin, ['rollout', 'history', 'deploy/web', '--revision=2']);
    expect(r2.code).toBe(0);
    expect(r2.stdout).toContain('deployment.apps/web with revision #2');
    expect(r2.stdout).toMatch(/Image:\s+registry\.local\/web:2\.0/);
    expect(r2.stdout).toMatch(new RegExp(`${HASH}=${rsOfRevision(kube, 'web', 2)!.metadata.labels[HASH]}`));

    const r9 = await kubectl(admin, ['rollout', 'history', 'deploy/web', '--revision=9']);
    expect(r9.code).toBe(1);
    expect(r9.stderr).toContain('unable to find the specified revision');
  });

  it("rollout undo --to-revision=N writes revision N's template (minus pod-template-hash) and history gains a revision", async () => {
    kube.create(deploymentManifest('web', { replicas: 2 }));
    await kube.waitFor(complete('web', 2), 5000, 'web rolled out');
    for (const tag of ['2.0', '3.0']) {
      const r = await kubectl(admin, ['set', 'image', 'deploy/web', `app=registry.local/web:${tag}`]);
      expect(r.code).toBe(0);
      await kube.waitFor(complete('web', 2), 5000, `web at ${tag}`);
    }
    const rev1 = rsOfRevision(kube, 'web', 1)!;
    const before = kube.get('Deployment', 'default', 'web');

    const dry = await kubectl(admin, [
      'rollout',
      'undo',
      'deploy/web',
      '--to-revision=1',
      '--dry-run=server',
    ]);
    expect(dry.code).toBe(0);
    expect(kube.get('Deployment', 'default', 'web').metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );
    expect(kube.requests.some((r) => r.verb === 'patch' && r.dryRun)).toBe(true);

    const undo = await kubectl(admin, ['rollout', 'undo', 'deploy/web', '--to-revision=1']);
    expect(undo).toMatchObject({ code: 0, stdout: 'deployment.apps/web rolled back\n' });
    const patch = kube.requests
      .filter((r) => r.verb === 'patch' && r.resource === 'deployments' && !r.dryRun)
      .pop()!;
    expect(patch.contentType).toBe('application/json-patch+json');
    expect(patch.body).toEqual([
      { op: 'replace', path: '/spec/template', value: withoutHash(rev1.spec.template) },
      { op: 'replace', path: '/metadata/annotations', value: before.metadata.annotations },
    ]);

    const after = kube.get('Deployment', 'default', 'web');
    expect(after.spec.template).toEqual(withoutHash(rev1.spec.template));
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    const st = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--timeout=20s']);
    expect(st.code).toBe(0);

    const h = await kubectl(admin, ['rollout', 'history', 'deploy/web']);
    expect(historyRevisions(h.stdout)).toEqual([2, 3, 4]);
    const r4 = rsOfRevision(kube, 'web', 4)!;
    expect(r4.metadata.name).toBe(rev1.metadata.name); // the old ReplicaSet is re-used with the next revision
    expect(r4.metadata.annotations['deployment.kubernetes.io/revision-history']).toBe('1');
    const show = await kubectl(admin, ['rollout', 'history', 'deploy/web', '--revision=4']);
    expect(show.stdout).toMatch(/Image:\s+registry\.local\/web:1\.0/);

    const same = await kubectl(admin, ['rollout', 'undo', 'deploy/web', '--to-revision=4']);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('skipped rollback (current template already matches revision 4)');
  });

  it('scale --replicas goes through the scale subresource and the controller follows', async () => {
    kube.create(deploymentManifest('web', { replicas: 2 }));
    await kube.waitFor(complete('web', 2), 5000, 'web rolled out');
    const sc = await kubectl(admin, ['scale', 'deploy/web', '--replicas=5']);
    expect(sc).toMatchObject({ code: 0, stdout: 'deployment.apps/web scaled\n' });
    const req = kube.requests.find((r) => r.verb === 'patch' && r.subresource === 'scale')!;
    expect(req).toMatchObject({
      resource: 'deployments',
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 5 } },
    });
    const st = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--timeout=20s']);
    expect(st.code).toBe(0);
    expect(st.stdout.trimEnd().split('\n').pop()).toBe('deployment "web" successfully rolled out');
    const get = await kubectl(admin, ['get', 'deploy', 'web']);
    expect(get.stdout).toMatch(/^web\s+5\/5\s+5\s+5\s/m);
    expect(ownedReplicaSets(kube, 'web')).toHaveLength(1); // scaling makes no new ReplicaSet

    // a current-replicas precondition is checked against the Scale, then the Scale is PUT
    const wrong = await kubectl(admin, ['scale', 'deploy/web', '--current-replicas=3', '--replicas=1']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('Expected replicas to be 3, was 5');
    const right = await kubectl(admin, ['scale', 'deploy/web', '--current-replicas=5', '--replicas=0']);
    expect(right.code).toBe(0);
    expect(kube.requests.some((r) => r.verb === 'update' && r.subresource === 'scale')).toBe(true);
    await kube.waitFor(() => kube.list('Pod', 'default').length === 0, 5000, 'pods gone');
    const zero = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--watch=false']);
    expect(zero).toMatchObject({ code: 0, stdout: 'deployment "web" successfully rolled out\n' });
  });

  it('rollout restart stamps restartedAt into the template and rolls a new ReplicaSet', async () => {
    kube.create(deploymentManifest('web', { replicas: 2 }));
    await kube.waitFor(complete('web', 2), 5000, 'web rolled out');
    const r = await kubectl(admin, ['rollout', 'restart', 'deploy/web']);
    expect(r).toMatchObject({ code: 0, stdout: 'deployment.apps/web restarted\n' });
    const patch = kube.requests.find((x) => x.verb === 'patch')!;
    expect(patch.contentType).toBe('application/strategic-merge-patch+json');
    const d = kube.get('Deployment', 'default', 'web');
    expect(
      Date.parse(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']),
    ).toBeGreaterThan(Date.now() - 60_000);
    const st = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--timeout=20s']);
    expect(st.code).toBe(0);
    expect(historyRevisions((await kubectl(admin, ['rollout', 'history', 'deploy/web'])).stdout)).toEqual([
      1, 2,
    ]);
    const pods = kube.list('Pod', 'default');
    expect(pods).toHaveLength(2);
    expect(
      pods.every(
        (p) =>
          p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'] ===
          d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'],
      ),
    ).toBe(true);
  });

  it('rollout pause holds a template change (no new ReplicaSet, no rollback), resume rolls it out', async () => {
    kube.create(deploymentManifest('web', { replicas: 3 }));
    await kube.waitFor(complete('web', 3), 5000, 'web rolled out');
    expect((await kubectl(admin, ['set', 'image', 'deploy/web', 'app=registry.local/web:2.0'])).code).toBe(0);
    await kube.waitFor(complete('web', 3), 5000, 'web at 2.0');
    expect(await kubectl(admin, ['rollout', 'pause', 'deploy/web'])).toMatchObject({
      code: 0,
      stdout: 'deployment.apps/web paused\n',
    });
    expect(await kubectl(admin, ['rollout', 'pause', 'deploy/web'])).toMatchObject({
      code: 1,
      stderr: 'error: deployments.apps "web" is already paused\n',
    });
    expect((await kubectl(admin, ['set', 'image', 'deploy/web', 'app=registry.local/web:3.0'])).code).toBe(0);
    await kube.waitFor(() => {
      const d = kube.get('Deployment', 'default', 'web');
      return d.status.observedGeneration === d.metadata.generation;
    });
    const d = kube.get('Deployment', 'default', 'web');
    expect(d.status.conditions.find((c: KObj) => c.type === 'Progressing')).toMatchObject({
      status: 'Unknown',
      reason: 'DeploymentPaused',
    });
    expect(ownedReplicaSets(kube, 'web')).toHaveLength(2);
    const st = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--watch=false']);
    expect(st).toMatchObject({
      code: 0,
      stdout:
        'Waiting for deployment "web" rollout to finish: 0 out of 3 new replicas have been updated...\n',
    });
    const undo = await kubectl(admin, ['rollout', 'undo', 'deploy/web']);
    expect(undo.code).toBe(1);
    expect(undo.stderr).toContain(
      "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
    );

    expect(await kubectl(admin, ['rollout', 'resume', 'deploy/web'])).toMatchObject({
      code: 0,
      stdout: 'deployment.apps/web resumed\n',
    });
    const done = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--timeout=20s']);
    expect(done.code).toBe(0);
    expect(done.stdout.trimEnd().split('\n').pop()).toBe('deployment "web" successfully rolled out');
    expect(ownedReplicaSets(kube, 'web')).toHaveLength(3);
    expect(
      kube.get('Deployment', 'default', 'web').status.conditions.find((c: KObj) => c.type === 'Progressing'),
    ).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
    });
  });

  it('a stale resourceVersion on replace is a 409 Conflict, and server-side dry run changes nothing', async () => {
    kube.create(deploymentManifest('web', { replicas: 1 }));
    await kube.waitFor(complete('web', 1), 5000, 'web rolled out');
    const stale = kube.get('Deployment', 'default', 'web');
    kube.update({
      ...kube.get('Deployment', 'default', 'web'),
      metadata: {
        ...kube.get('Deployment', 'default', 'web').metadata,
        labels: { app: 'web', touched: 'yes' },
      },
    });
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(tmpdir(), `stale-${process.pid}-${Date.now()}.json`);
    stale.spec.replicas = 4;
    writeFileSync(file, JSON.stringify(stale));
    const r = await kubectl(admin, ['replace', '--validate=false', '-f', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (Conflict): error when replacing');
    expect(r.stderr).toContain(
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(kube.get('Deployment', 'default', 'web').spec.replicas).toBe(1);

    const rv = kube.get('Deployment', 'default', 'web').metadata.resourceVersion;
    const dry = await kubectl(admin, ['scale', 'deploy/web', '--replicas=7', '--dry-run=server']);
    expect(dry).toMatchObject({ code: 0, stdout: 'deployment.apps/web scaled (server dry run)\n' });
    expect(kube.get('Deployment', 'default', 'web').metadata.resourceVersion).toBe(rv);
    expect(kube.get('Deployment', 'default', 'web').spec.replicas).toBe(1);
  });
});
