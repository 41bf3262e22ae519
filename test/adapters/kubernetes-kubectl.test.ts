/**
 * kubectl (v1.32, the real client) as the oracle for oncall's Kubernetes adapter, both against the same
 * fake API server: after oncall's rollback to revision N, `kubectl rollout history` shows a new revision
 * whose template is N's; and oncall's rollout status says what `kubectl rollout status` says in a dozen
 * scripted states.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireBinaries } from '../helpers/backend.js';
import { startFakeApiServer, type FakeApiServer, type KObj } from '../fakes/kube-apiserver/index.js';
import { deploymentManifest, kubectl } from '../fakes/kube-apiserver/testing.js';
import { createKubernetesAdapter, type KubernetesAdapter } from '../../src/adapters/kubernetes/index.js';
import type { WorkloadRef } from '../../src/adapters/ports.js';
import type { WorkloadSnapshot } from '../../src/domain/model.js';
import { parseConfigText } from '../../src/config/load.js';

const CONFIG = parseConfigText(
  `
services:
  - name: web
    kubernetes: {namespace: default, deployment: web}
`,
  'test.yaml',
);
const REF: WorkloadRef = { namespace: 'default', deployment: 'web' };

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function withoutHash(template: KObj): KObj {
  const t = structuredClone(template);
  delete t.metadata?.labels?.['pod-template-hash'];
  delete t.metadata?.creationTimestamp;
  return t;
}

describe.runIf(requireBinaries(['kubectl']))('kubectl cross-checks of the Kubernetes adapter', () => {
  let kube: FakeApiServer;
  let admin: string;
  let adapter: KubernetesAdapter;
  let latest: WorkloadSnapshot | undefined;
  let stopWatch: () => void;

  beforeEach(async () => {
    kube = await startFakeApiServer({ readyDelayMs: 30 });
    admin = kube.kubeconfig('admin', { context: 'fake' });
    latest = undefined;
  });
  afterEach(async () => {
    stopWatch?.();
    await adapter?.read.close();
    await kube.stop();
  });

  async function startAdapter() {
    adapter = await createKubernetesAdapter(CONFIG, { readOnly: false, kubeconfig: admin, batchMs: 5 });
    stopWatch = adapter.read.watch([REF], {
      onSnapshot: (_ref, s) => (latest = s),
      onError: () => undefined,
    });
  }

  const settled = () => {
    const d = kube.get('Deployment', 'default', 'web');
    return (
      d?.status?.observedGeneration === d?.metadata.generation &&
      d?.status?.updatedReplicas === d?.spec.replicas &&
      d?.status?.availableReplicas === d?.spec.replicas &&
      d?.status?.replicas === d?.spec.replicas
    );
  };

  async function setImage(image: string) {
    const r = await kubectl(admin, ['set', 'image', 'deployment/web', `app=${image}`]);
    expect(r.code, r.stderr).toBe(0);
    await kube.waitFor(settled, 5000, `web on ${image}`);
  }

  it('after oncall rolls back to revision N, kubectl rollout history shows a new revision with N’s template', async () => {
    kube.create(deploymentManifest('web', { replicas: 2, image: 'registry.local/web:1.0' }));
    await kube.waitFor(settled, 5000, 'web rolled out');
    await setImage('registry.local/web:1.1');
    await setImage('registry.local/web:1.2');
    await startAdapter();
    const snap = await until('snapshot at revision 3', () => (latest?.revision === 3 ? latest : undefined));
    expect(snap.history.map((h) => h.revision)).toEqual([1, 2, 3]);

    const rev1 = await kubectl(admin, ['rollout', 'history', 'deployment/web', '--revision=1', '-o', 'json']);
    expect(rev1.code, rev1.stderr).toBe(0);
    // kubectl 1.32 prints the ReplicaSet of that revision; its pod template is what matters.
    const template1 = (JSON.parse(rev1.stdout) as KObj).spec.template as KObj;

    await adapter.mutate!.rollback(REF, 1, snap.resourceVersion, { dryRun: true });
    await adapter.mutate!.rollback(REF, 1, snap.resourceVersion);
    await kube.waitFor(settled, 5000, 'rollback rolled out');

    const hist = await kubectl(admin, ['rollout', 'history', 'deployment/web']);
    expect(hist.code, hist.stderr).toBe(0);
    const revisions = hist.stdout
      .split('\n')
      .map((l) => /^(\d+)\s/.exec(l)?.[1])
      .filter(Boolean)
      .map(Number);
    // As `kubectl rollout undo`: revision 1 moved to the new revision 4.
    expect(revisions).toEqual([2, 3, 4]);
    const rev4 = await kubectl(admin, ['rollout', 'history', 'deployment/web', '--revision=4', '-o', 'json']);
    expect(rev4.code, rev4.stderr).toBe(0);
    expect(withoutHash((JSON.parse(rev4.stdout) as KObj).spec.template)).toEqual(withoutHash(template1));
    expect(template1.spec.containers[0].image).toBe('registry.local/web:1.0');
    // And the Deployment's template is that revision's, without the pod-template-hash (what undo writes).
    expect(withoutHash(kube.get('Deployment', 'default', 'web')!.spec.template)).toEqual(
      withoutHash(template1),
    );

    // oncall's own view agrees with kubectl's.
    const after = await until('oncall sees revision 4', () =>
      latest?.revision === 4 && latest.rollout.done ? latest : undefined,
    );
    expect(after.history.map((h) => h.revision)).toEqual([2, 3, 4]);
    expect(after.image).toBe('registry.local/web:1.0');
    const st = await kubectl(admin, ['rollout', 'status', 'deployment/web', '--watch=false']);
    expect(st.stdout.trim()).toBe(after.rollout.message);
  });

  it('oncall and kubectl rollout status agree on scripted states', async () => {
    kube.create(deploymentManifest('web', { replicas: 3, image: 'registry.local/web:1.0' }));
    await kube.waitFor(settled, 5000, 'web rolled out');
    // Freeze the fake's controllers: each state below is written as the deployment controller would.
    (kube as unknown as { controllers: { stop(): void } }).controllers.stop();
    await startAdapter();
    await until('first snapshot', () => latest);

    interface State {
      name: string;
      spec?: Partial<{ replicas: number; paused: boolean }>;
      observed?: -1 | 0;
      status: Partial<{
        replicas: number;
        updatedReplicas: number;
        availableReplicas: number;
        readyReplicas: number;
      }>;
      progressing?: { status: string; reason: string };
    }
    const states: State[] = [
      {
        name: 'complete',
        status: { replicas: 3, updatedReplicas: 3, availableReplicas: 3, readyReplicas: 3 },
      },
      {
        name: 'spec change not observed yet',
        observed: -1,
        status: { replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
      },
      {
        name: 'progressing: new replicas being updated',
        status: { replicas: 4, updatedReplicas: 1, availableReplicas: 3 },
        progressing: { status: 'True', reason: 'ReplicaSetUpdated' },
      },
      {
        name: 'old replicas pending termination',
        status: { replicas: 4, updatedReplicas: 3, availableReplicas: 3 },
        progressing: { status: 'True', reason: 'ReplicaSetUpdated' },
      },
      {
        name: 'updated replicas not yet available',
        status: { replicas: 3, updatedReplicas: 3, availableReplicas: 1 },
        progressing: { status: 'True', reason: 'ReplicaSetUpdated' },
      },
      {
        name: 'progress deadline exceeded',
        status: { replicas: 4, updatedReplicas: 1, availableReplicas: 3 },
        progressing: { status: 'False', reason: 'ProgressDeadlineExceeded' },
      },
      {
        name: 'deadline exceeded but a newer spec not observed',
        observed: -1,
        status: { replicas: 4, updatedReplicas: 1, availableReplicas: 3 },
        progressing: { status: 'False', reason: 'ProgressDeadlineExceeded' },
      },
      {
        name: 'paused half-way',
        spec: { paused: true },
        status: { replicas: 4, updatedReplicas: 1, availableReplicas: 3 },
        progressing: { status: 'Unknown', reason: 'DeploymentPaused' },
      },
      {
        name: 'paused, fully rolled out',
        spec: { paused: true },
        status: { replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
        progressing: { status: 'Unknown', reason: 'DeploymentPaused' },
      },
      {
        name: 'scaled to zero',
        spec: { replicas: 0, paused: false },
        status: { replicas: 0, updatedReplicas: 0, availableReplicas: 0 },
      },
      {
        name: 'scaling up from zero',
        spec: { replicas: 5 },
        status: { replicas: 2, updatedReplicas: 2, availableReplicas: 0 },
      },
      {
        name: 'scaled up, all updated, some unavailable',
        spec: { replicas: 5 },
        status: { replicas: 5, updatedReplicas: 5, availableReplicas: 4 },
        progressing: { status: 'True', reason: 'ReplicaSetUpdated' },
      },
      {
        name: 'complete again',
        spec: { replicas: 5 },
        status: { replicas: 5, updatedReplicas: 5, availableReplicas: 5 },
        progressing: { status: 'True', reason: 'NewReplicaSetAvailable' },
      },
    ];

    const agreed: string[] = [];
    for (const st of states) {
      let d = kube.get('Deployment', 'default', 'web')!;
      delete d.metadata.resourceVersion;
      d.spec = { ...d.spec, paused: false, ...st.spec };
      d = kube.update(d);
      const conditions = st.progressing
        ? [
            {
              type: 'Progressing',
              status: st.progressing.status,
              reason: st.progressing.reason,
              message: st.name,
            },
          ]
        : [];
      d.status = {
        observedGeneration: d.metadata.generation + (st.observed ?? 0),
        replicas: 0,
        updatedReplicas: 0,
        availableReplicas: 0,
        readyReplicas: 0,
        ...st.status,
        conditions,
      };
      delete d.metadata.resourceVersion;
      d = kube.update(d);
      const rv = d.metadata.resourceVersion;
      const snap = await until(`oncall sees "${st.name}"`, () =>
        latest?.resourceVersion === rv ? latest : undefined,
      );
      const k = await kubectl(admin, ['rollout', 'status', 'deployment/web', '--watch=false']);
      const kubectlSays = k.code === 0 ? k.stdout.trim() : k.stderr.trim().replace(/^error: /, '');
      expect(snap.rollout.message, `state "${st.name}" (kubectl exit ${k.code})`).toBe(kubectlSays);
      // kubectl exits 0 with "successfully rolled out" exactly when oncall calls the rollout done.
      expect(snap.rollout.done, st.name).toBe(k.code === 0 && /successfully rolled out/.test(k.stdout));
      expect(snap.rollout.phase === 'deadline-exceeded', st.name).toBe(k.code !== 0);
      agreed.push(st.name);
    }
    expect(agreed.length).toBeGreaterThanOrEqual(10);
  });
});
