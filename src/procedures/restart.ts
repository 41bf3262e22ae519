/**
 * Rolling restart, as `kubectl rollout restart`: the pod template gets a new
 * `kubectl.kubernetes.io/restartedAt` annotation, so the Deployment rolls every pod under its
 * maxSurge/maxUnavailable. Guarded by the previewed resourceVersion; refused on a paused Deployment.
 */
import type { WorkloadSnapshot } from '../domain/model.js';
import type { ProcedureContext } from './context.js';
import type { ProcedureSpec } from './machine.js';
import { announceEvent, deploymentTarget, followRollout, hpaLine, rolloutCheck, settled } from './scale.js';
import type { VerifyCheck } from './view.js';

export interface RestartPlan {
  resourceVersion: string;
  revision: number;
  replicas: number;
  podNames: string[];
}

function plan(w: WorkloadSnapshot): RestartPlan {
  return {
    resourceVersion: w.resourceVersion,
    revision: w.revision,
    replicas: w.replicas,
    podNames: w.pods.map((p) => p.name),
  };
}

export function restartSpec(ctx: ProcedureContext, service: string): ProcedureSpec<RestartPlan> {
  const { ref, snap, production } = deploymentTarget(ctx, service, 'restart');
  if (snap.paused)
    throw new Error(`${service} is paused: resume it first (kubectl refuses to restart a paused deployment)`);
  return {
    kind: 'restart',
    title: `Restart ${service}`,
    service,
    target: `deployment/${ref.deployment}`,
    context: snap.context,
    namespace: ref.namespace,
    production,
    initialPlan: plan(snap),
    preview: (p) =>
      [
        `deployment/${ref.deployment} in ${snap.context}/${ref.namespace}`,
        `rolling restart: all ${p.replicas} pods replaced one batch at a time (new revision after ${p.revision})`,
        `how      pod template annotation kubectl.kubernetes.io/restartedAt=<now>, like kubectl rollout restart`,
        `guard    precondition resourceVersion=${p.resourceVersion}`,
        hpaLine(snap),
      ].filter((l): l is string => l !== null),
    from: (p) => `rev ${p.revision}`,
    to: () => 'restartedAt=now',
    async replan() {
      return plan(await ctx.ports.cluster!.get(ref));
    },
    async execute(ports, p) {
      if (!ports.cluster) throw new Error('no cluster connection for mutations');
      await ports.cluster.restart(ref, p.resourceVersion, { dryRun: true });
      return (await ports.cluster.restart(ref, p.resourceVersion)).detail;
    },
    announce: (ports, _p, started) =>
      announceEvent(ports, ref, 'OncallRestart', 'restarted all pods', started),
    follow: (p, report, isCancelled) =>
      followRollout(ctx, service, report, isCancelled, (w) => w.revision > p.revision && settled(w)),
    async verify(p) {
      await ctx.refresh();
      const w = ctx.store.getState().workloads[service];
      const old = new Set(p.podNames);
      const leftovers = w ? w.pods.filter((pod) => old.has(pod.name)).length : -1;
      const checks: VerifyCheck[] = [
        rolloutCheck(w),
        {
          name: 'all pods replaced',
          ok: Boolean(w && w.revision > p.revision && leftovers === 0),
          detail: w
            ? `revision ${p.revision} → ${w.revision}; ${leftovers} pod(s) from before remain`
            : 'no data',
        },
      ];
      return checks;
    },
  };
}
