/**
 * Roll a Kubernetes Deployment back to an earlier revision, with the same result as
 * `kubectl rollout undo --to-revision=N`, guarded by a resourceVersion precondition and a dry run.
 */
import type { WorkloadRef } from '../adapters/ports.js';
import type { RevisionInfo, WorkloadSnapshot } from '../domain/model.js';
import { imageTag } from '../domain/rollout.js';
import { describeUnhealthy } from '../domain/service-state.js';
import type { ProcedureContext } from './context.js';
import { isProduction, serviceConfig } from './context.js';
import type { ProcedureSpec } from './machine.js';
import type { VerifyCheck } from './view.js';
import { followRollout } from './scale.js';

export interface RollbackPlan {
  ref: WorkloadRef;
  resourceVersion: string;
  fromRevision: number;
  fromImage: string;
  target: RevisionInfo;
  history: RevisionInfo[];
  replicas: number;
  shortBurnAtPlan: number | null;
}

function shortBurn(ctx: ProcedureContext, service: string): number | null {
  const slo = ctx.store.getState().slo[service];
  return slo?.windows.find((w) => w.short === '5m')?.shortBurn ?? null;
}

export function planRollback(
  ctx: ProcedureContext,
  service: string,
  snap: WorkloadSnapshot,
  ref: WorkloadRef,
): RollbackPlan {
  // As `kubectl rollout undo` without --to-revision: the highest revision below the current one.
  const earlier = snap.history.filter((h) => h.revision < snap.revision);
  const target =
    earlier[earlier.length - 1] ?? snap.history.filter((h) => h.revision !== snap.revision).pop();
  if (!target) throw new Error(`${service} has no earlier revision to roll back to`);
  return {
    ref,
    resourceVersion: snap.resourceVersion,
    fromRevision: snap.revision,
    fromImage: snap.image,
    target,
    history: snap.history,
    replicas: snap.replicas,
    shortBurnAtPlan: shortBurn(ctx, service),
  };
}

export function rollbackSpec(ctx: ProcedureContext, service: string): ProcedureSpec<RollbackPlan> {
  const svc = serviceConfig(ctx, service);
  if (!svc.kubernetes) throw new Error(`${service} does not run on Kubernetes`);
  const ref: WorkloadRef = { ...svc.kubernetes };
  const snap = ctx.store.getState().workloads[service];
  if (!snap) throw new Error(`no rollout data for ${service} yet`);
  const initialPlan = planRollback(ctx, service, snap, ref);

  return {
    kind: 'rollback',
    title: `Roll back ${service}`,
    service,
    target: `deployment/${ref.deployment}`,
    context: snap.context,
    namespace: ref.namespace,
    production: isProduction(ctx, svc),
    initialPlan,
    choice: {
      prompt: 'Roll back to which revision?',
      options: (plan) =>
        plan.history
          .filter((h) => h.revision !== plan.fromRevision)
          .reverse()
          .map((h) => ({
            label: `rev ${h.revision}  ${imageTag(h.image).padEnd(10)} ${h.changeCause}`.slice(0, 70),
            value: String(h.revision),
          })),
      initial: (plan) => String(plan.target.revision),
      apply: (plan, value) => {
        const target = plan.history.find((h) => String(h.revision) === value);
        if (!target) throw new Error(`revision ${value} is not in the history`);
        return { ...plan, target };
      },
    },
    preview: (p) => [
      `deployment/${ref.deployment} in ${snap.context}/${ref.namespace}`,
      `revision ${p.fromRevision} → ${p.target.revision} (becomes a new revision, like kubectl rollout undo)`,
      `image    ${p.fromImage}`,
      `      →  ${p.target.image}`,
      `cause    ${p.target.changeCause || '<none>'}`,
      `pods     ${p.replicas} replaced by a rolling update; precondition resourceVersion=${p.resourceVersion}`,
    ],
    from: (p) => `rev ${p.fromRevision} ${p.fromImage}`,
    to: (p) => `rev ${p.target.revision} ${p.target.image}`,
    // Undo is rolling back to where we came from: that revision keeps its number (kubectl renumbers the target only).
    undo: (p) => ({
      kind: 'rollback',
      choice: String(p.fromRevision),
      label: `roll back to rev ${p.fromRevision} (${imageTag(p.fromImage)})`,
    }),
    async replan() {
      const fresh = await ctx.ports.cluster!.get(ref);
      return planRollback(ctx, service, fresh, ref);
    },
    async execute(ports, p) {
      if (!ports.cluster) throw new Error('no cluster connection for mutations');
      await ports.cluster.rollback(ref, p.target.revision, p.resourceVersion, { dryRun: true });
      const result = await ports.cluster.rollback(ref, p.target.revision, p.resourceVersion);
      return result.detail;
    },
    async announce(ports, p, started) {
      const actor = started.actor.sshClient
        ? `${started.actor.user} from ${started.actor.sshClient}`
        : started.actor.user;
      await ports.cluster?.recordEvent(
        ref,
        'OncallRollback',
        `${actor} rolled back to revision ${p.target.revision} (${p.target.image}) via oncall; audit ${started.id}`,
      );
    },
    follow: (p, report, isCancelled) =>
      followRollout(ctx, service, report, isCancelled, (w) => w.image === p.target.image && w.rollout.done),
    async verify(p) {
      await ctx.refresh();
      const s = ctx.store.getState();
      const w = s.workloads[service];
      const checks: VerifyCheck[] = [];
      checks.push({
        name: 'rollout complete',
        ok: Boolean(w && w.rollout.done && w.image === p.target.image),
        detail: w
          ? `${w.availableReplicas}/${w.replicas} available on ${imageTag(w.image)} (rev ${w.revision})`
          : 'no data',
      });
      if (svc.health.length) {
        const h = s.health[service] ?? [];
        const bad = h.filter((r) => r.state !== 'ok');
        checks.push({
          name: 'health',
          ok: h.length > 0 && bad.length === 0,
          detail: bad.length ? describeUnhealthy(h) : 'all endpoints OK',
        });
      }
      if (svc.slo) {
        const now5m = shortBurn(ctx, service);
        const before = p.shortBurnAtPlan;
        const ok = now5m !== null && (before === null ? now5m < 14.4 : now5m < before);
        checks.push({
          name: 'error ratio falling',
          ok,
          detail:
            now5m === null
              ? 'no data'
              : `5m burn ${now5m.toFixed(1)}× (was ${before === null ? '–' : before.toFixed(1)}×)`,
        });
      }
      return checks;
    },
  };
}
