/**
 * Small helpers for tests that use the fake: a Deployment manifest builder and an async kubectl runner
 * (never execFileSync: the fake runs in the test's own event loop).
 */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeApiServer } from './index.js';
import type { KObj } from './resources.js';

export interface DeploymentOptions {
  namespace?: string;
  replicas?: number;
  image?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  progressDeadlineSeconds?: number;
  minReadySeconds?: number;
  strategy?: KObj;
  paused?: boolean;
  revisionHistoryLimit?: number;
}

export function deploymentManifest(name: string, o: DeploymentOptions = {}): KObj {
  const labels = o.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      labels,
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: o.image ?? 'registry.local/web:1.0' }] },
      },
      ...(o.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: o.progressDeadlineSeconds }
        : {}),
      ...(o.minReadySeconds !== undefined ? { minReadySeconds: o.minReadySeconds } : {}),
      ...(o.strategy ? { strategy: o.strategy } : {}),
      ...(o.paused ? { paused: true } : {}),
      ...(o.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: o.revisionHistoryLimit } : {}),
    },
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(
  kubeconfig: string,
  args: string[],
  opts: { timeoutMs?: number } = {},
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(
      'kubectl',
      args,
      {
        env: {
          ...process.env,
          KUBECONFIG: kubeconfig,
          HOME: process.env.HOME ?? '/tmp',
          KUBECTL_KUBERC: 'false',
          KUBECACHEDIR: join(tmpdir(), 'oncall-kubectl-cache'),
        },
        timeout: opts.timeoutMs ?? 30_000,
        maxBuffer: 32 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as NodeJS.ErrnoException).code === 'number'
            ? Number((err as NodeJS.ErrnoException).code)
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

export interface FleetOptions {
  deployments: number;
  replicas?: number;
  /** spread over this many namespaces `ns-0` … (default 1: "default") */
  namespaces?: number;
  /** an HPA (min = replicas, max = 2 × replicas) per Deployment */
  hpa?: boolean;
  image?: string;
}

/**
 * Seeds many Deployments (`svc-<i>`) for benchmarks and scale tests; resolves when all are rolled out.
 * 2,000 Deployments x 10 replicas settle in a few seconds with `readyDelayMs: 0`.
 */
export async function seedFleet(kube: FakeApiServer, o: FleetOptions, timeoutMs = 120_000): Promise<void> {
  const replicas = o.replicas ?? 10;
  const spaces = o.namespaces ?? 1;
  for (let i = 0; i < o.deployments; i++) {
    const namespace = spaces <= 1 ? 'default' : `ns-${i % spaces}`;
    kube.create(
      deploymentManifest(`svc-${i}`, { namespace, replicas, ...(o.image ? { image: o.image } : {}) }),
    );
    if (o.hpa)
      kube.create({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: `svc-${i}`, namespace },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `svc-${i}` },
          minReplicas: replicas,
          maxReplicas: replicas * 2,
        },
      });
  }
  await kube.waitForRollouts({ timeoutMs });
}
