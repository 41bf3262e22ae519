/**
 * HPAs, Secrets, Namespaces, deletion and `get --watch` through the real kubectl against the fake
 * kube-apiserver.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../helpers/pki.js';
import { requireBinaries } from '../helpers/backend.js';
import { startFakeApiServer, type FakeApiServer } from '../fakes/kube-apiserver/index.js';
import { deploymentManifest, kubectl } from '../fakes/kube-apiserver/testing.js';

describe.runIf(requireBinaries(['kubectl', 'openssl']))(
  'kubectl against the fake kube-apiserver: HPAs, secrets, namespaces, watch',
  () => {
    let kube: FakeApiServer;
    let admin: string;
    let dir: string;

    beforeEach(async () => {
      kube = await startFakeApiServer({ readyDelayMs: 20, hpaSyncMs: 100 });
      admin = kube.kubeconfig('admin');
      dir = mkdtempSync(join(tmpdir(), 'kubectl-res-'));
      kube.create(deploymentManifest('web', { replicas: 1 }));
      await kube.waitFor(
        () => kube.get('Deployment', 'default', 'web')?.status?.availableReplicas === 1,
        5000,
        'web available',
      );
    });
    afterEach(async () => {
      await kube.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('kubectl autoscale makes an HPA that keeps the Deployment inside min/max, overriding a manual scale', async () => {
      const a = await kubectl(admin, ['autoscale', 'deploy/web', '--min=3', '--max=5', '--cpu-percent=70']);
      expect(a).toMatchObject({ code: 0, stdout: 'horizontalpodautoscaler.autoscaling/web autoscaled\n' });
      await kube.waitFor(
        () => kube.get('Deployment', 'default', 'web').status?.availableReplicas === 3,
        5000,
        'scaled to min',
      );
      const hpa = kube.get('HorizontalPodAutoscaler', 'default', 'web');
      expect(hpa.spec).toMatchObject({
        minReplicas: 3,
        maxReplicas: 5,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { averageUtilization: 70 } } }],
      });
      await kube.waitFor(
        () => kube.get('HorizontalPodAutoscaler', 'default', 'web').status?.currentReplicas === 3,
      );
      const get = await kubectl(admin, ['get', 'hpa']);
      expect(get.stdout).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\n/);
      expect(get.stdout).toMatch(/^web\s+Deployment\/web\s+\S+\s+3\s+5\s+3\s+\d+s$/m);

      expect((await kubectl(admin, ['scale', 'deploy/web', '--replicas=9'])).code).toBe(0);
      await kube.waitFor(
        () => kube.get('Deployment', 'default', 'web').spec.replicas === 5,
        5000,
        'HPA to pull back to max',
      );
      const st = await kubectl(admin, ['rollout', 'status', 'deploy/web', '--timeout=20s']);
      expect(st.code).toBe(0);
      const events = await kubectl(admin, [
        'get',
        'events',
        '--field-selector',
        'involvedObject.kind=HorizontalPodAutoscaler',
      ]);
      expect(events.stdout).toMatch(
        /Normal\s+SuccessfulRescale\s+horizontalpodautoscaler\/web\s+New size: 5; reason: Current number of replicas above Spec.MaxReplicas/,
      );
      const created = kube.requests.find(
        (r) => r.verb === 'create' && r.resource === 'horizontalpodautoscalers',
      )!;
      expect(created).toMatchObject({
        group: 'autoscaling',
        path: '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers',
        status: 201,
      });
      expect(created.contentType).toBe('application/vnd.kubernetes.protobuf');
    });

    it('kubectl create secret tls stores a kubernetes.io/tls Secret; a TLS secret without a key is invalid', async () => {
      selfSignedCert({
        keyFile: join(dir, 'tls.key'),
        certFile: join(dir, 'tls.crt'),
        cn: 'web.test',
        days: 30,
      });
      const c = await kubectl(admin, [
        'create',
        'secret',
        'tls',
        'web-tls',
        `--cert=${join(dir, 'tls.crt')}`,
        `--key=${join(dir, 'tls.key')}`,
      ]);
      expect(c).toMatchObject({ code: 0, stdout: 'secret/web-tls created\n' });
      const s = kube.get('Secret', 'default', 'web-tls');
      expect(s.type).toBe('kubernetes.io/tls');
      expect(Buffer.from(s.data['tls.crt'], 'base64').toString()).toBe(
        readFileSync(join(dir, 'tls.crt'), 'utf8'),
      );
      const get = await kubectl(admin, ['get', 'secret', 'web-tls']);
      expect(get.stdout).toMatch(/^web-tls\s+kubernetes\.io\/tls\s+2\s+\d+s$/m);

      writeFileSync(
        join(dir, 'bad.json'),
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'bad' },
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': s.data['tls.crt'] },
        }),
      );
      const bad = await kubectl(admin, ['create', '--validate=false', '-f', join(dir, 'bad.json')]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('The Secret "bad" is invalid: data[tls.key]: Required value');
    });

    it('namespaces: create, list, objects refused in a missing one, delete empties it', async () => {
      expect(await kubectl(admin, ['create', 'namespace', 'team'])).toMatchObject({
        code: 0,
        stdout: 'namespace/team created\n',
      });
      expect((await kubectl(admin, ['get', 'ns'])).stdout).toMatch(/^team\s+Active\s+\d+s$/m);
      kube.create(deploymentManifest('api', { namespace: 'team', replicas: 1 }));
      await kube.waitFor(() => kube.list('Pod', 'team').length === 1);
      writeFileSync(join(dir, 'd.json'), JSON.stringify(deploymentManifest('x', { namespace: 'nowhere' })));
      const missing = await kubectl(admin, ['create', '--validate=false', '-f', join(dir, 'd.json')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('namespaces "nowhere" not found');
      expect((await kubectl(admin, ['delete', 'namespace', 'team'])).stdout).toBe(
        'namespace "team" deleted\n',
      );
      expect(kube.list('Pod', 'team')).toEqual([]);
    });

    it('kubectl delete deployment garbage-collects its ReplicaSets and Pods', async () => {
      expect(await kubectl(admin, ['delete', 'deploy', 'web'])).toMatchObject({
        code: 0,
        stdout: 'deployment.apps "web" deleted\n',
      });
      const left = await kubectl(admin, ['get', 'rs,pods']);
      expect(left).toMatchObject({
        code: 0,
        stdout: '',
        stderr: 'No resources found in default namespace.\n',
      });
    });

    it('with a termination delay, scaled-away and deleted pods show as Terminating and ReplicaSets replace them', async () => {
      expect((await kubectl(admin, ['scale', 'deploy/web', '--replicas=3'])).code).toBe(0);
      await kube.waitForRollouts();
      kube.setTerminationDelay(60_000);
      expect((await kubectl(admin, ['scale', 'deploy/web', '--replicas=1'])).code).toBe(0);
      await kube.waitFor(
        () => kube.list('Pod', 'default').filter((p) => p.metadata.deletionTimestamp).length === 2,
      );
      const pods = await kubectl(admin, ['get', 'pods']);
      expect(pods.stdout.match(/\sTerminating\s/g)).toHaveLength(2);
      expect(pods.stdout.match(/\sRunning\s/g)).toHaveLength(1);
      // ReplicaSets do not count terminating pods: the rollout is complete while they linger
      expect(await kubectl(admin, ['rollout', 'status', 'deploy/web', '--watch=false'])).toMatchObject({
        code: 0,
        stdout: 'deployment "web" successfully rolled out\n',
      });
      const running = kube.list('Pod', 'default').find((p) => !p.metadata.deletionTimestamp)!;
      kube.setTerminationDelay(300);
      const del = await kubectl(admin, ['delete', 'pod', running.metadata.name, '--wait=false']);
      expect(del).toMatchObject({ code: 0, stdout: `pod "${running.metadata.name}" deleted\n` });
      expect(kube.get('Pod', 'default', running.metadata.name).metadata.deletionGracePeriodSeconds).toBe(30);
      await kube.waitFor(
        () => kube.get('Pod', 'default', running.metadata.name) === undefined,
        5000,
        'the deleted pod to go',
      );
      await kube.waitForRollouts();
      const fresh = kube.list('Pod', 'default').filter((p) => !p.metadata.deletionTimestamp);
      expect(fresh).toHaveLength(1);
      expect(fresh[0]!.metadata.name).not.toBe(running.metadata.name);
    });

    it('kubectl get -w prints the watch events as they happen', async () => {
      const watching = kubectl(
        admin,
        ['get', 'deploy', '-w', '--output-watch-events', '--request-timeout=20s'],
        { timeoutMs: 20_000 },
      );
      await kube.waitFor(
        () => kube.requests.some((r) => r.verb === 'watch' && r.resource === 'deployments'),
        10_000,
        'kubectl to watch',
      );
      const d = kube.get('Deployment', 'default', 'web');
      d.spec.replicas = 2;
      kube.update(d);
      await kube.waitFor(() => kube.get('Deployment', 'default', 'web').status?.availableReplicas === 2);
      kube.remove('Deployment', 'default', 'web');
      kube.dropWatches(); // ends kubectl's watch the way a server restart would
      const out = await watching;
      const lines = out.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^EVENT\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
      expect(lines[1]).toMatch(/^ADDED\s+web\s+1\/1\s+1\s+1\s/);
      expect(lines.some((l) => /^MODIFIED\s+web\s+2\/2\s+2\s+2\s/.test(l))).toBe(true);
      expect(lines[lines.length - 1]).toMatch(/^DELETED\s+web\s/);
    });
  },
);
