/**
 * Pause and resume a Deployment's rollout (`kubectl rollout pause|resume`): spec.paused, guarded by the
 * previewed resourceVersion. A paused Deployment keeps its pods but does not roll out template changes;
 * resuming rolls out whatever changed meanwhile, which is followed live.
 */
import type { WorkloadSnapshot } from '../domain/model.js';
import type { ProcedureContext } from './context.js';
import type { ProcedureSpec } from './machine.js';
import { announceEvent, deploymentTarget, followRollout, rolloutCheck, settled } from './scale.js';
import type { VerifyCheck } from './view.js';

export interface PausePlan {
  resourceVersion: string;
  paused: boolean;
  revision: number;
}

function spec(ctx: ProcedureContext, service: string, pause: boolean): ProcedureSpec<PausePlan> {
  const action = pause ? 'pause' : 'resume';
  const { ref, snap, production } = deploymentTarget(ctx, service, action);
  if (snap.paused === pause) throw new Error(`${service} is ${pause ? 'already paused' : 'not paused'}`);
  const plan = (w: WorkloadSnapshot): PausePlan => ({
    resourceVersion: w.resourceVersion,
    paused: w.paused,
    revision: w.revision,
  });
  return {
    kind: action,
    title: `${pause ? 'Pause' : 'Resume'} ${service}`,
    service,
    target: `deployment/${ref.deployment}`,
    context: snap.context,
    namespace: ref.namespace,
    production,
    initialPlan: plan(snap),
    undo: () => ({
      kind: pause ? 'resume' : 'pause',
      label: pause ? 'resume the rollout' : 'pause the rollout again',
    }),
    preview: (p) => [
      `deployment/${ref.deployment} in ${snap.context}/${ref.namespace}`,
      `spec.paused ${p.paused} → ${pause}, like kubectl rollout ${action}`,
      pause
        ? 'effect   pods keep running; template changes (image, restart, rollback) wait until resumed'
        : 'effect   changes made while paused roll out now; followed until complete',
      `guard    precondition resourceVersion=${p.resourceVersion}`,
    ],
    from: (p) => `paused=${p.paused}`,
    to: () => `paused=${pause}`,
    async replan() {
      const fresh = await ctx.ports.cluster!.get(ref);
      if (fresh.paused === pause)
        throw new Error(`${service} is ${pause ? 'already paused' : 'no longer paused'}`);
      return plan(fresh);
    },
    async execute(ports, p) {
      if (!ports.cluster) throw new Error('no cluster connection for mutations');
      await ports.cluster.setPaused(ref, pause, p.resourceVersion, { dryRun: true });
      return (await ports.cluster.setPaused(ref, pause, p.resourceVersion)).detail;
    },
    announce: (ports, _p, started) =>
      announceEvent(
        ports,
        ref,
        pause ? 'OncallPause' : 'OncallResume',
        `${pause ? 'paused' : 'resumed'} the rollout`,
        started,
      ),
    follow: (_p, report, isCancelled) =>
      followRollout(ctx, service, report, isCancelled, (w) =>
        pause ? w.paused && w.observedGeneration >= w.generation : !w.paused && settled(w),
      ),
    async verify() {
      await ctx.refresh();
      const w = ctx.store.getState().workloads[service];
      const checks: VerifyCheck[] = [
        {
          name: pause ? 'paused' : 'resumed',
          ok: Boolean(w && w.paused === pause && w.observedGeneration >= w.generation),
          detail: w
            ? `spec.paused ${w.paused}; observed generation ${w.observedGeneration}/${w.generation}`
            : 'no data',
        },
      ];
      if (!pause) checks.push(rolloutCheck(w));
      return checks;
    },
  };
}

export const pauseSpec = (ctx: ProcedureContext, service: string) => spec(ctx, service, true);
export const resumeSpec = (ctx: ProcedureContext, service: string) => spec(ctx, service, false);
