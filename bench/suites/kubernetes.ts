/**
 * Kubernetes at scale: 2,000 Deployments (each with a ReplicaSet) and 20,000 Pods in the fake API server
 * (test/fakes/kube-apiserver, HTTPS on loopback, controllers frozen so the state is fixed).
 *  - adapter, in process: initial sync (list + watch of five kinds → a snapshot for every Deployment) and
 *    the memory it holds (RSS / heap growth over the same process before the adapter started);
 *  - the built app under an 80×24 pty with 2,000 services: first frame, data on screen, peak RSS, and
 *    keystroke → frame latency (p50/p95) while moving through the Overview.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow, BenchSuite } from '../types.js';
import { benchEnv, median, percentile, repoRoot } from '../pty.js';
import { startFakeApiServer, type FakeApiServer } from '../../test/fakes/kube-apiserver/index.js';
import { createKubernetesAdapter } from '../../src/adapters/kubernetes/index.js';
import { parseConfigText } from '../../src/config/load.js';

const GROUP = 'kubernetes';
const DEPLOYMENTS = Number(process.env.BENCH_K8S_DEPLOYMENTS ?? 2000);
const PODS_EACH = 10;
const NAMESPACES = 10;
const KEYS = Number(process.env.BENCH_K8S_KEYS ?? 30);

const name = (i: number) => `svc-${String(i).padStart(4, '0')}`;
const ns = (i: number) => `team-${i % NAMESPACES}`;

function populate(kube: FakeApiServer): void {
  (kube as unknown as { controllers: { stop(): void } }).controllers.stop();
  const t = new Date(Date.now() - 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  for (let i = 0; i < DEPLOYMENTS; i++) {
    const n = name(i);
    const labels = { app: n };
    const hash = `h${i.toString(36).padStart(8, '0')}`;
    const image = `registry.local/${n}:1.${i % 7}`;
    const d = kube.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: n,
        namespace: ns(i),
        labels,
        annotations: { 'deployment.kubernetes.io/revision': '1' },
      },
      spec: {
        replicas: PODS_EACH,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'app', image }] } },
      },
      status: {
        observedGeneration: 1,
        replicas: PODS_EACH,
        updatedReplicas: PODS_EACH,
        readyReplicas: PODS_EACH,
        availableReplicas: PODS_EACH,
        conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
      },
    });
    const rsName = `${n}-${hash}`;
    const rs = kube.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rsName,
        namespace: ns(i),
        labels: { ...labels, 'pod-template-hash': hash },
        annotations: { 'deployment.kubernetes.io/revision': '1' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: n, uid: d.metadata.uid, controller: true },
        ],
      },
      spec: {
        replicas: PODS_EACH,
        selector: { matchLabels: { ...labels, 'pod-template-hash': hash } },
        template: {
          metadata: { labels: { ...labels, 'pod-template-hash': hash } },
          spec: { containers: [{ name: 'app', image }] },
        },
      },
      status: { replicas: PODS_EACH, readyReplicas: PODS_EACH, availableReplicas: PODS_EACH },
    });
    for (let p = 0; p < PODS_EACH; p++) {
      kube.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${rsName}-${p.toString(36).padStart(5, 'x')}`,
          namespace: ns(i),
          labels: { ...labels, 'pod-template-hash': hash },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: rsName,
              uid: rs.metadata.uid,
              controller: true,
            },
          ],
        },
        spec: { containers: [{ name: 'app', image }] },
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [
            { name: 'app', ready: true, restartCount: p === 0 ? 1 : 0, state: { running: { startedAt: t } } },
          ],
        },
      });
    }
  }
}

function configYaml(kubeconfig: string): string {
  const lines = [`kubernetes: {kubeconfig: "${kubeconfig}"}`, 'services:'];
  for (let i = 0; i < DEPLOYMENTS; i++)
    lines.push(`  - name: ${name(i)}`, `    kubernetes: {namespace: ${ns(i)}, deployment: ${name(i)}}`);
  return lines.join('\n') + '\n';
}

async function adapterSync(kube: FakeApiServer, kubeconfig: string) {
  const config = parseConfigText(configYaml(kubeconfig), 'bench.yaml');
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const adapter = await createKubernetesAdapter(config, { readOnly: true, kubeconfig });
  const seen = new Set<string>();
  let errors = 0;
  const refs = config.services.map((s) => ({ ...s.kubernetes! }));
  const ms = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`sync incomplete after 120 s: ${seen.size}/${DEPLOYMENTS}`)),
      120_000,
    );
    const stop = adapter.read.watch(refs, {
      onSnapshot(ref, snap) {
        if (snap.pods.length !== PODS_EACH) return;
        seen.add(ref.deployment);
        if (seen.size === DEPLOYMENTS) {
          clearTimeout(timer);
          resolve(performance.now() - t0);
          setImmediate(stop);
        }
      },
      onError: () => void errors++,
    });
  });
  gc?.();
  const after = process.memoryUsage();
  const requests = kube.requests.filter((r) => r.verb === 'list' || r.verb === 'watch').length;
  await adapter.read.close();
  return {
    ms,
    rssMb: (after.rss - before.rss) / 2 ** 20,
    heapMb: (after.heapUsed - before.heapUsed) / 2 ** 20,
    requests,
    errors,
    gc: Boolean(gc),
  };
}

interface PtyJson {
  matchMs: number | null;
  rss: number | null;
  steps: number[];
}

/** bench/pty.py with --then-wait/--send (keystrokes), which bench/pty.ts does not expose. */
function ptyKeys(cmd: string[], until: string, waits: string[], sends: string[], env: NodeJS.ProcessEnv) {
  const args = [join(repoRoot(), 'bench', 'pty.py'), '--cols', '80', '--rows', '24', '--until', until];
  args.push('--timeout', '180', '--kill');
  for (const w of waits) args.push('--then-wait', w);
  for (const s of sends) args.push('--send', s);
  args.push('--', ...cmd);
  return new Promise<PtyJson>((resolve, reject) =>
    execFile('python3', args, { env, maxBuffer: 1 << 22 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`pty.py: ${err.message} ${stderr}`));
      try {
        resolve(JSON.parse(stdout) as PtyJson);
      } catch (e) {
        reject(new Error(`pty.py: unreadable output (${(e as Error).message})`));
      }
    }),
  );
}

export const kubernetes: BenchSuite = {
  name: 'kubernetes',
  async run(): Promise<BenchRow[]> {
    const kube = await startFakeApiServer({ bookmarkIntervalMs: 60_000 });
    try {
      const t0 = performance.now();
      populate(kube);
      const populateMs = performance.now() - t0;
      const dir = mkdtempSync(join(tmpdir(), 'oncall-bench-k8s-'));
      const kubeconfig = kube.kubeconfig('viewer', { context: 'bench', file: join(dir, 'kubeconfig') });
      const sync = await adapterSync(kube, kubeconfig);

      // The built app, 2,000 services, the same cluster: first frame, data on screen, then keystrokes.
      const configFile = join(dir, 'oncall.yaml');
      writeFileSync(configFile, configYaml(kubeconfig));
      const esc = '(?:\\x1b\\[[0-9;?]*[A-Za-z]|\\s)*';
      // Rows are worst-first then by name; every service is healthy, so svc-0000, svc-0001, ... in order.
      const row = (i: number) => `›${esc}${name(i)}`;
      const waits = [`r1 1\\.\\d ✓`, ...Array.from({ length: KEYS }, (_, k) => row(k + 1))];
      const sends = Array.from({ length: KEYS }, () => 'j');
      const state = mkdtempSync(join(tmpdir(), 'oncall-bench-state-'));
      const res = await ptyKeys(
        ['node', join(repoRoot(), 'dist/oncall.cjs'), '--config', configFile, '--read-only'],
        'Enter open',
        waits,
        sends,
        benchEnv({ XDG_STATE_HOME: state, ONCALL_CONFIG: '' }),
      );
      // Peak RSS of the app once the cluster's data is on screen (pty.py reads VmHWM at the match).
      const loaded = await ptyKeys(
        ['node', join(repoRoot(), 'dist/oncall.cjs'), '--config', configFile, '--read-only'],
        waits[0]!,
        [],
        [],
        benchEnv({ XDG_STATE_HOME: state, ONCALL_CONFIG: '' }),
      );
      const lat: number[] = [];
      for (let k = 1; k < res.steps.length; k++) lat.push(res.steps[k]! - res.steps[k - 1]!);
      const complete = res.steps.length === waits.length;
      const rows: BenchRow[] = [
        {
          group: GROUP,
          measure: `fake populated: ${DEPLOYMENTS} deployments, ${DEPLOYMENTS * PODS_EACH} pods`,
          value: populateMs,
          unit: 'ms',
          note: `${NAMESPACES} namespaces; controllers frozen; served over HTTPS on loopback`,
        },
        {
          group: GROUP,
          measure: 'adapter initial sync (list+watch 5 kinds → all snapshots)',
          value: sync.ms,
          unit: 'ms',
          note: `${sync.requests} list/watch requests (5 kinds × ${NAMESPACES} namespaces, paged by 500); ${sync.errors} errors`,
        },
        {
          group: GROUP,
          measure: 'adapter heap retained after sync (informer caches)',
          value: sync.heapMb,
          unit: 'MB',
          note: `process RSS grew ${sync.rssMb.toFixed(1)} MB (the fake runs in the same process)${
            sync.gc ? '' : '; run with node --expose-gc for a GC before each reading'
          }`,
        },
        {
          group: GROUP,
          measure: 'app: spawn → first frame (2,000 services)',
          value: res.matchMs ?? NaN,
          unit: 'ms',
        },
        {
          group: GROUP,
          measure: 'app: spawn → cluster data on screen',
          value: res.steps[0] ?? NaN,
          unit: 'ms',
          baseline: res.matchMs ? { label: 'first frame', value: res.matchMs } : undefined,
        },
        {
          group: GROUP,
          measure: 'app: peak RSS at first frame',
          value: (res.rss ?? NaN) / 1024,
          unit: 'MB',
        },
        {
          group: GROUP,
          measure: 'app: peak RSS with 2,000 workloads on screen',
          value: (loaded.rss ?? NaN) / 1024,
          unit: 'MB',
          baseline: res.rss ? { label: 'first frame', value: res.rss / 1024 } : undefined,
          target: '≤ 250 MB',
          pass: (loaded.rss ?? Infinity) / 1024 <= 250,
        },
        {
          group: GROUP,
          measure: `app: keystroke → frame p50 (${lat.length} × j)`,
          value: median(lat),
          unit: 'ms',
          note: complete ? undefined : `only ${res.steps.length}/${waits.length} frames seen`,
        },
        {
          group: GROUP,
          measure: 'app: keystroke → frame p95',
          value: percentile(lat, 95),
          unit: 'ms',
          target: '≤ 16 ms',
          pass: percentile(lat, 95) <= 16,
        },
      ];
      return rows;
    } finally {
      await kube.stop();
    }
  },
};
