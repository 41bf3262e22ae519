/**
 * Restart a container (Docker/Podman) with the same verification as a rollback: after the restart the
 * container must run again and its health check (and container.healthUrl) must pass with a probe made
 * after the new start.
 */
import type { ContainerView } from '../domain/model.js';
import type { ProcedureContext } from './context.js';
import { isProduction, serviceConfig } from './context.js';
import type { ProcedureSpec } from './machine.js';
import { containerSelector, followContainer, theContainer, verifyContainer } from './container-rollback.js';

export interface ContainerRestartPlan {
  container: ContainerView;
  hasHealthcheck: boolean;
}

export async function containerRestartSpec(
  ctx: ProcedureContext,
  service: string,
): Promise<ProcedureSpec<ContainerRestartPlan>> {
  const svc = serviceConfig(ctx, service);
  containerSelector(svc);
  const read = async (): Promise<ContainerRestartPlan> => {
    const { view, details } = await theContainer(ctx, svc);
    return { container: view, hasHealthcheck: details?.hasHealthcheck ?? view.health !== 'none' };
  };
  const initialPlan = await read();
  let plan = initialPlan;
  let restarted = false;
  return {
    kind: 'container-restart',
    title: `Restart container ${initialPlan.container.name}`,
    service,
    target: `container/${initialPlan.container.name}`,
    context: ctx.ports.containers?.endpoint ?? 'docker',
    production: isProduction(ctx, svc),
    initialPlan,
    preview: (p) => [
      `container ${p.container.name} (${p.container.id.slice(0, 12)}) on ${p.container.image}`,
      `now      ${p.container.state} · health ${p.container.health} · ${p.container.restartCount} restarts`,
      'stopped (its stop timeout) and started again; configuration and image unchanged',
      `verify   ${p.hasHealthcheck ? 'health check healthy after the restart' : 'running'}${svc.container?.healthUrl ? ` + GET ${svc.container.healthUrl}` : ''}`,
    ],
    from: (p) =>
      `${p.container.image} started ${p.container.startedAt ? new Date(p.container.startedAt).toISOString() : '–'}`,
    to: (p) => `${p.container.image} restarted`,
    async replan() {
      try {
        plan = await read();
      } catch (err) {
        void err; // the container is gone: confirming again fails with the adapter's message
      }
      return plan;
    },
    async execute(ports, p) {
      plan = p;
      if (!ports.containers) throw new Error('no container connection for mutations');
      const r = await ports.containers.restart(p.container.id, { expectedImage: p.container.image });
      restarted = true;
      return r.detail;
    },
    async follow(p, report, isCancelled) {
      await followContainer(ctx, service, () => (restarted ? p.container.id : null), {
        hasHealthcheck: p.hasHealthcheck,
        report,
        isCancelled,
        failSuffix: '',
      });
    },
    verify: (p) => verifyContainer(ctx, svc, p.container.id, p.container.image, p.hasHealthcheck),
  };
}
