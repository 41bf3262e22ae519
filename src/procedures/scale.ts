/**
 * Scale a Deployment through the scale subresource (`kubectl scale --current-replicas=N --replicas=M`):
 * the replica count seen in the preview is the precondition. With an HPA, the preview shows its
 * min/max/current and warns that the HPA will override a manual scale; a count outside the HPA's bounds
 * needs a second, typed confirmation.
 *
 * Also the helpers the other Deployment procedures share (restart, pause/resume): follow the rollout
 * live, verify, announce as a Kubernetes Event.
 */
import type { MutatePorts, WorkloadRef } from '../adapters/ports.js';
import type { WorkloadSnapshot } from '../domain/model.js';
import type { AuditRecord } from '../audit/record.js';
import type { ProcedureContext } from './context.js';
import { isProduction, serviceConfig } from './context.js';
import type { ProcedureSpec } from './machine.js';
import type { ProcedureView, VerifyCheck } from './view.js';
import { waitForState } from './wait.js';

export interface DeploymentTarget {
  ref: WorkloadRef;
  snap: WorkloadSnapshot;
  production: boolean;
}

/** The Deployment a procedure acts on, from the config and the latest snapshot. */
export function deploymentTarget(ctx: ProcedureContext, service: string, action: string): DeploymentTarget {
  const svc = serviceConfig(ctx, service);
  if (!svc.kubernetes) throw new Error(`${service} does not run on Kubernetes`);
  const snap = ctx.store.getState().workloads[service];
  if (!snap) throw new Error(`no rollout data for ${service} yet`);
  const denied = snap.denied?.[action];
  if (denied) throw new Error(denied);
  return { ref: { ...svc.kubernetes }, snap, production: isProduction(ctx, svc) };
}

export function actorText(started: AuditRecord): string {
  return started.actor.sshClient
    ? `${started.actor.user} from ${started.actor.sshClient}`
    : started.actor.user;
}

/** Post the Kubernetes Event others see in `kubectl describe` (best effort: the machine shows a failure). */
export async function announceEvent(
  ports: MutatePorts,
  ref: WorkloadRef,
  reason: string,
  what: string,
  started: AuditRecord,
): Promise<void> {
  await ports.cluster?.recordEvent(
    ref,
    reason,
    `${actorText(started)} ${what} via oncall; audit ${started.id}`,
  );
}

/**
 * Follow the rollout live (ready replicas of the desired count) until `done(w)` holds; throw on the
 * progress deadline, or when `broken(w)` names a reason (e.g. the HPA overrode the change).
 */
export async function followRollout(
  ctx: ProcedureContext,
  service: string,
  report: (p: NonNullable<ProcedureView['progress']>) => void,
  isCancelled: () => boolean,
  done: (w: WorkloadSnapshot) => boolean,
  broken: (w: WorkloadSnapshot) => string | null = () => null,
): Promise<void> {
  let last = '';
  await waitForState(
    ctx.store,
    (s) => {
      const w = s.workloads[service];
      if (!w) return undefined;
      const progress = { done: w.readyReplicas, total: w.replicas, message: w.rollout.message };
      const key = JSON.stringify(progress);
      if (key !== last) {
        last = key;
        report(progress);
      }
      if (w.rollout.phase === 'deadline-exceeded') throw new Error(w.rollout.message);
      const why = broken(w);
      if (why) throw new Error(why);
      return done(w) ? true : undefined;
    },
    {
      now: ctx.now,
      timeoutMs: ctx.rolloutTimeoutMs ?? 300_000,
      what: `${service} rollout to finish`,
      isCancelled,
    },
  );
}

/** Fully rolled out at the desired count: kubectl's "successfully rolled out" and every replica ready. */
export function settled(w: WorkloadSnapshot): boolean {
  return (
    w.observedGeneration >= w.generation &&
    w.rollout.done &&
    w.readyReplicas === w.replicas &&
    w.availableReplicas === w.replicas
  );
}

export function rolloutCheck(w: WorkloadSnapshot | undefined, extra = ''): VerifyCheck {
  return {
    name: 'rollout complete',
    ok: Boolean(w && settled(w)),
    detail: w
      ? `${w.availableReplicas}/${w.replicas} available (rev ${w.revision})${extra}: ${w.rollout.message}`
      : 'no data',
  };
}

export function hpaLine(w: WorkloadSnapshot): string | null {
  if (!w.hpa) return null;
  return `HPA      min ${w.hpa.min} · max ${w.hpa.max} · current ${w.hpa.current} · desired ${w.hpa.desired}`;
}

export interface ScalePlan {
  ref: WorkloadRef;
  from: number;
  to: number;
  hpa?: { min: number; max: number; current: number; desired: number };
  resourceVersion: string;
}

export function outsideHpa(p: ScalePlan): boolean {
  return Boolean(p.hpa && (p.to < p.hpa.min || p.to > p.hpa.max));
}

function scaleOptions(p: ScalePlan): number[] {
  const top = Math.min(100, Math.max(p.from * 2, p.from + 5, (p.hpa?.max ?? 0) + 2, 10));
  const out: number[] = [];
  for (let n = 0; n <= top; n++) if (n !== p.from) out.push(n);
  return out;
}

export function scaleSpec(ctx: ProcedureContext, service: string): ProcedureSpec<ScalePlan> {
  const { ref, snap, production } = deploymentTarget(ctx, service, 'scale');
  const plan = (w: WorkloadSnapshot, to?: number): ScalePlan => ({
    ref,
    from: w.replicas,
    to: to ?? w.replicas + 1,
    hpa: w.hpa,
    resourceVersion: w.resourceVersion,
  });
  let seenTarget = false;
  // A re-plan after a conflict keeps the operator's chosen count, against the fresh current count.
  let chosen: number | undefined;
  return {
    kind: 'scale',
    title: `Scale ${service}`,
    service,
    target: `deployment/${ref.deployment}`,
    context: snap.context,
    namespace: ref.namespace,
    production,
    initialPlan: plan(snap),
    choice: {
      prompt: snap.hpa
        ? `Scale to how many replicas? (now ${snap.replicas}; HPA bounds ${snap.hpa.min}–${snap.hpa.max})`
        : `Scale to how many replicas? (now ${snap.replicas})`,
      options: (p) =>
        scaleOptions(p).map((n) => ({
          label: `${n} replica${n === 1 ? '' : 's'}${
            p.hpa && (n < p.hpa.min || n > p.hpa.max) ? `  (outside HPA ${p.hpa.min}–${p.hpa.max})` : ''
          }`,
          value: String(n),
        })),
      initial: (p) => String(p.to),
      apply: (p, value) => {
        const to = Number(value);
        if (!Number.isInteger(to) || to < 0) throw new Error(`invalid replica count ${value}`);
        chosen = to;
        return { ...p, to };
      },
    },
    undo: (p) => ({ kind: 'scale', choice: String(p.from), label: `scale back to ${p.from}` }),
    confirmFor: (p) => (outsideHpa(p) ? { mode: 'typed', expected: `${service} ${p.to}` } : undefined),
    preview: (p) => {
      const lines = [
        `deployment/${ref.deployment} in ${snap.context}/${ref.namespace}`,
        `replicas ${p.from} → ${p.to} (scale subresource; precondition: current replicas = ${p.from})`,
      ];
      if (p.hpa) {
        lines.push(`HPA      min ${p.hpa.min} · max ${p.hpa.max} · current ${p.hpa.current}`);
        lines.push(
          outsideHpa(p)
            ? `WARNING  ${p.to} is outside the HPA bounds ${p.hpa.min}–${p.hpa.max}: the HPA will scale it back`
            : 'WARNING  the HPA will override a manual scale when its metrics say so',
        );
      }
      if (p.to === 0) lines.push('WARNING  scaling to 0 stops every pod of this service');
      return lines;
    },
    from: (p) => `replicas ${p.from}`,
    to: (p) => `replicas ${p.to}`,
    async replan() {
      const fresh = await ctx.ports.cluster!.get(ref);
      return plan(fresh, chosen);
    },
    async execute(ports, p) {
      if (!ports.cluster) throw new Error('no cluster connection for mutations');
      await ports.cluster.scale(ref, p.to, p.from, { dryRun: true });
      const r = await ports.cluster.scale(ref, p.to, p.from);
      return r.detail;
    },
    announce: (ports, p, started) =>
      announceEvent(ports, ref, 'OncallScale', `scaled from ${p.from} to ${p.to} replicas`, started),
    follow: (p, report, isCancelled) =>
      followRollout(
        ctx,
        service,
        report,
        isCancelled,
        (w) => {
          if (w.replicas === p.to) seenTarget = true;
          return w.replicas === p.to && settled(w);
        },
        (w) =>
          seenTarget && w.replicas !== p.to
            ? `replicas changed to ${w.replicas} by someone else${w.hpa ? ' (the HPA overrides manual scaling)' : ''}`
            : null,
      ),
    async verify(p) {
      await ctx.refresh();
      const w = ctx.store.getState().workloads[service];
      const checks: VerifyCheck[] = [
        {
          name: 'desired replicas',
          ok: w?.replicas === p.to,
          detail: w ? `spec.replicas ${w.replicas} (wanted ${p.to})` : 'no data',
        },
        rolloutCheck(w),
      ];
      return checks;
    },
  };
}
