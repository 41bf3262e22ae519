/**
 * RBAC, events and the read-only user, proven with the real kubectl against the fake kube-apiserver:
 * `auth can-i` answers for admin and viewer, 403s worded like the real server's, a deny on one kind leaving
 * the others readable, events (core/v1 and events.k8s.io/v1) as `kubectl get events` and `describe` show them,
 * and a request log in which the viewer's read commands are only get/list/watch and access reviews.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireBinaries } from '../helpers/backend.js';
import { startFakeApiServer, type FakeApiServer } from '../fakes/kube-apiserver/index.js';
import { deploymentManifest, kubectl } from '../fakes/kube-apiserver/testing.js';

describe.runIf(requireBinaries(['kubectl']))(
  'kubectl against the fake kube-apiserver: access and events',
  () => {
    let kube: FakeApiServer;
    let admin: string;
    let viewer: string;

    beforeEach(async () => {
      kube = await startFakeApiServer({ readyDelayMs: 30 });
      admin = kube.kubeconfig('admin');
      viewer = kube.kubeconfig('viewer', { context: 'readonly' });
      kube.create(deploymentManifest('web', { replicas: 2 }));
      await kube.waitFor(
        () => kube.get('Deployment', 'default', 'web')?.status?.availableReplicas === 2,
        5000,
        'web available',
      );
    });
    afterEach(async () => {
      await kube.stop();
    });

    it('auth whoami answers from a SelfSubjectReview, as oncall asks for its audit records', async () => {
      const a = await kubectl(admin, ['auth', 'whoami']);
      expect(a.code).toBe(0);
      expect(a.stdout).toMatch(/Username\s+admin/);
      expect(a.stdout).toMatch(/Groups\s+\[system:masters system:authenticated\]/);
      const v = await kubectl(viewer, ['auth', 'whoami', '-o', 'json']);
      expect(JSON.parse(v.stdout).status.userInfo.username).toBe('viewer');
    });

    it('auth can-i: admin may do everything, viewer only get/list/watch (exit 0 = yes, 1 = no)', async () => {
      const cases: Array<[string, string[], 'yes' | 'no']> = [
        [admin, ['patch', 'deployments'], 'yes'],
        [admin, ['update', 'deployments', '--subresource=scale'], 'yes'],
        [admin, ['create', 'events.events.k8s.io'], 'yes'],
        [admin, ['delete', 'pods', '-n', 'kube-system'], 'yes'],
        [viewer, ['get', 'deployments'], 'yes'],
        [viewer, ['watch', 'replicasets'], 'yes'],
        [viewer, ['list', 'pods', '--all-namespaces'], 'yes'],
        [viewer, ['patch', 'deployments'], 'no'],
        [viewer, ['update', 'deployments', '--subresource=scale'], 'no'],
        [viewer, ['create', 'events'], 'no'],
        [viewer, ['create', 'selfsubjectaccessreviews.authorization.k8s.io'], 'yes'],
      ];
      for (const [cfg, args, want] of cases) {
        const r = await kubectl(cfg, ['auth', 'can-i', ...args]);
        expect({
          args,
          user: cfg === admin ? 'admin' : 'viewer',
          out: r.stdout.trim(),
          code: r.code,
        }).toEqual({
          args,
          user: cfg === admin ? 'admin' : 'viewer',
          out: want,
          code: want === 'yes' ? 0 : 1,
        });
      }
      const reviews = kube.requests.filter((r) => r.resource === 'selfsubjectaccessreviews');
      expect(reviews).toHaveLength(cases.length);
      expect(reviews.every((r) => r.verb === 'create' && r.status === 201)).toBe(true);

      const list = await kubectl(viewer, ['auth', 'can-i', '--list']);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    });

    it('a denied verb is a 403 worded like the real server; a deny on one kind leaves the others readable', async () => {
      kube.deny('admin', 'list', 'pods');
      const pods = await kubectl(admin, ['get', 'pods']);
      expect(pods.code).toBe(1);
      expect(pods.stderr).toContain(
        'Error from server (Forbidden): pods is forbidden: User "admin" cannot list resource "pods" in API group "" in the namespace "default"',
      );
      const deploy = await kubectl(admin, ['get', 'deploy']);
      expect(deploy.code).toBe(0);
      expect(deploy.stdout).toMatch(/^web\s+2\/2\s/m);
      expect((await kubectl(admin, ['auth', 'can-i', 'list', 'pods'])).stdout.trim()).toBe('no');
      kube.allow('admin', 'list', 'pods');
      expect((await kubectl(admin, ['get', 'pods'])).code).toBe(0);

      const scale = await kubectl(viewer, ['scale', 'deploy/web', '--replicas=5']);
      expect(scale.code).toBe(1);
      expect(scale.stderr).toContain(
        'Error from server (Forbidden): deployments.apps "web" is forbidden: User "viewer" cannot patch resource "deployments/scale" in API group "apps" in the namespace "default"',
      );
      const restart = await kubectl(viewer, ['rollout', 'restart', 'deploy/web']);
      expect(restart.code).toBe(1);
      expect(restart.stderr).toContain(
        'User "viewer" cannot patch resource "deployments" in API group "apps"',
      );
      expect(kube.get('Deployment', 'default', 'web').metadata.generation).toBe(1);

      const noToken = join(tmpdir(), `kc-anon-${process.pid}-${Date.now()}.yaml`);
      writeFileSync(
        noToken,
        `apiVersion: v1\nkind: Config\nclusters: [{name: f, cluster: {server: "${kube.url}", certificate-authority: "${kube.caFile}"}}]\nusers: [{name: u, user: {token: wrong}}]\ncontexts: [{name: c, context: {cluster: f, user: u}}]\ncurrent-context: c\n`,
      );
      const anon = await kubectl(noToken, ['get', 'deploy']);
      expect(anon.code).toBe(1);
      expect(anon.stderr).toMatch(
        /You must be logged in to the server \(the server has asked for the client to provide credentials\)|Unauthorized/,
      );
    });

    it("the viewer's read commands send only get/list/watch and access reviews", async () => {
      kube.clearRequests();
      const reads = [
        ['get', 'deploy'],
        ['get', 'deploy', 'web', '-o', 'yaml'],
        ['get', 'rs,pods', '-o', 'wide'],
        ['get', 'hpa'],
        ['get', 'events'],
        ['get', 'events.events.k8s.io'],
        ['events', '--for', 'deploy/web'],
        ['get', 'all'],
        ['describe', 'deploy', 'web'],
        ['rollout', 'status', 'deploy/web', '--watch=false'],
        ['rollout', 'status', 'deploy/web'],
        ['rollout', 'history', 'deploy/web'],
        ['rollout', 'history', 'deploy/web', '--revision=1'],
        ['auth', 'can-i', 'patch', 'deployments'],
        ['get', 'deploy', '-A'],
      ];
      for (const args of reads) {
        const r = await kubectl(viewer, args);
        const stderr = r.stderr.replace(/^No resources found in default namespace\.\n$/, '');
        expect({ args, code: args[0] === 'auth' ? 1 : r.code, stderr }).toEqual({
          args,
          code: args[0] === 'auth' ? 1 : 0,
          stderr: '',
        });
      }
      const mine = kube.requests.filter((r) => r.user === 'viewer');
      expect(mine.length).toBeGreaterThan(reads.length);
      const writes = mine.filter(
        (r) => !['get', 'list', 'watch'].includes(r.verb) && r.resource !== 'selfsubjectaccessreviews',
      );
      expect(writes).toEqual([]);
      expect(mine.every((r) => r.status === 200 || r.status === 201)).toBe(true);
      expect(kube.requests.every((r) => r.user === 'viewer')).toBe(true);
    });

    it('kubectl get events / describe show controller Events; events.k8s.io/v1 writes appear as core Events', async () => {
      const ev = await kubectl(admin, ['get', 'events']);
      expect(ev.code).toBe(0);
      expect(ev.stdout).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
      expect(ev.stdout).toMatch(
        /^\d+s\s+Normal\s+ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-[a-z0-9]+ from 0 to 2$/m,
      );

      const d = kube.get('Deployment', 'default', 'web');
      const file = join(tmpdir(), `event-${process.pid}-${Date.now()}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name: 'web.oncall-1', namespace: 'default' },
          eventTime: '2026-01-01T00:00:00.000000Z',
          reportingController: 'oncall',
          reportingInstance: 'oncall-test',
          action: 'Rollback',
          reason: 'OncallRollback',
          type: 'Normal',
          note: 'rollback to revision 1 by alice (audit 42)',
          regarding: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: 'web',
            namespace: 'default',
            uid: d.metadata.uid,
          },
        }),
      );
      const created = await kubectl(admin, ['create', '--validate=false', '-f', file]);
      expect(created).toMatchObject({ code: 0, stdout: 'event.events.k8s.io/web.oncall-1 created\n' });
      const core = kube.get('Event', 'default', 'web.oncall-1');
      expect(core).toMatchObject({
        reason: 'OncallRollback',
        message: 'rollback to revision 1 by alice (audit 42)',
        reportingComponent: 'oncall',
        involvedObject: { kind: 'Deployment', name: 'web', uid: d.metadata.uid },
      });
      const mine = await kubectl(admin, ['get', 'events', '--field-selector', 'reason=OncallRollback']);
      expect(mine.stdout).toMatch(
        /^\S+\s+Normal\s+OncallRollback\s+deployment\/web\s+rollback to revision 1 by alice \(audit 42\)$/m,
      );
      expect(mine.stdout).not.toContain('ScalingReplicaSet');
      const describe = await kubectl(admin, ['describe', 'deploy', 'web']);
      expect(describe.stdout).toMatch(
        /Normal\s+OncallRollback\s+\S+\s+oncall\s+rollback to revision 1 by alice \(audit 42\)/,
      );
      expect(describe.stdout).toMatch(
        /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-/,
      );

      // events.k8s.io/v1 validation is stricter than core/v1
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name: 'bad', namespace: 'default' },
          reason: 'X',
        }),
      );
      const bad = await kubectl(admin, ['create', '--validate=false', '-f', file]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(
        'The Event "bad" is invalid: \n* eventTime: Required value\n* reportingController: Required value\n',
      );
      expect(kube.get('Event', 'default', 'bad')).toBeUndefined();
    });

    it('crash-looping pods show as CrashLoopBackOff with a BackOff Warning event', async () => {
      kube.create(deploymentManifest('api', { replicas: 1, image: 'registry.local/api:crash' }));
      await kube.waitFor(
        () => kube.list('Event', 'default').some((e) => e.reason === 'BackOff'),
        5000,
        'BackOff event',
      );
      const pods = await kubectl(admin, ['get', 'pods', '-l', 'app=api']);
      expect(pods.stdout).toMatch(/^api-[a-z0-9]+-[a-z0-9]{5}\s+0\/1\s+CrashLoopBackOff\s+1\s+\d+s$/m);
      const warn = await kubectl(admin, ['get', 'events', '--field-selector', 'type=Warning']);
      expect(warn.stdout).toMatch(
        /^\S+\s+Warning\s+BackOff\s+pod\/api-[a-z0-9]+-[a-z0-9]{5}\s+Back-off restarting failed container$/m,
      );
      const st = await kubectl(admin, ['rollout', 'status', 'deploy/api', '--watch=false']);
      expect(st).toMatchObject({
        code: 0,
        stdout: 'Waiting for deployment "api" rollout to finish: 0 of 1 updated replicas are available...\n',
      });
    });

    it('image markers give the pod states kubectl shows: ImagePullBackOff, OOMKilled, running but not ready', async () => {
      kube.create(deploymentManifest('pull', { replicas: 1, image: 'registry.local/pull:nopull' }));
      kube.create(deploymentManifest('oom', { replicas: 1, image: 'registry.local/oom:oom' }));
      kube.create(deploymentManifest('probe', { replicas: 1, image: 'registry.local/probe:notready' }));
      await kube.waitFor(
        () => kube.list('Pod', 'default').filter((p) => p.status?.containerStatuses).length === 5,
        5000,
        'containers started',
      );
      const pods = (await kubectl(admin, ['get', 'pods', '--no-headers'])).stdout;
      expect(pods).toMatch(/^pull-[a-z0-9]+-[a-z0-9]{5}\s+0\/1\s+ImagePullBackOff\s+0\s+\d+s$/m);
      expect(pods).toMatch(/^oom-[a-z0-9]+-[a-z0-9]{5}\s+0\/1\s+CrashLoopBackOff\s+1\s+\d+s$/m);
      expect(pods).toMatch(/^probe-[a-z0-9]+-[a-z0-9]{5}\s+0\/1\s+Running\s+0\s+\d+s$/m);
      const oomPod = kube.list('Pod', 'default').find((p) => p.metadata.name.startsWith('oom-'))!;
      const desc = await kubectl(admin, ['describe', 'pod', oomPod.metadata.name]);
      expect(desc.stdout).toMatch(/State:\s+Waiting\s+Reason:\s+CrashLoopBackOff/);
      expect(desc.stdout).toMatch(/Last State:\s+Terminated\s+Reason:\s+OOMKilled\s+Exit Code:\s+137/);
      expect(desc.stdout).toMatch(/Ready\s+False/);
      const pullPod = kube.list('Pod', 'default').find((p) => p.metadata.name.startsWith('pull-'))!;
      expect(pullPod.status.phase).toBe('Pending');
    });
  },
);
