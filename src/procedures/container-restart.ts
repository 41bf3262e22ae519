/**
 * Restart the container(s) of a service (Docker/Podman) with the same verification as a rollback: after
 * the restart each container must run again and its health check (and container.healthUrl) must pass with
 * a probe made after the new start.
 */
import type { ContainerView } from '../domain/model.js';
import type { ProcedureContext } from './context.js';
import { isProduction, serviceConfig } from './context.js';
import type { ProcedureSpec } from './machine.js';
import {
  containerSelector,
  namesWithIds,
  theContainers,
  verifyContainers,
  actOnEach,
  followEach,
} from './container-rollback.js';

export interface ContainerRestartPlan {
  containers: ContainerView[];
  hasHealthcheck: boolean;
}

export async function containerRestartSpec(
  ctx: ProcedureContext,
  service: string,
): Promise<ProcedureSpec<ContainerRestartPlan>> {
  const svc = serviceConfig(ctx, service);
  containerSelector(svc);
  const read = async (): Promise<ContainerRestartPlan> => {
    const all = await theContainers(ctx, svc);
    return {
      containers: all.map((c) => c.view),
      hasHealthcheck: all.some((c) => c.details?.hasHealthcheck ?? c.view.health !== 'none'),
    };
  };
  const initialPlan = await read();
  let plan = initialPlan;
  let restarted: string[] = [];
  const names = initialPlan.containers.map((c) => c.name);
  return {
    kind: 'container-restart',
    title: `Restart container${names.length > 1 ? 's' : ''} ${names.join(', ')}`,
    service,
    target: `container/${names.join(',')}`,
    context: ctx.ports.containers?.endpoint ?? 'docker',
    production: isProduction(ctx, svc),
    initialPlan,
    preview: (p) => [
      `container${p.containers.length > 1 ? 's' : ''} ${namesWithIds(p.containers)} on ${[...new Set(p.containers.map((c) => c.image))].join(', ')}`,
      ...p.containers.map(
        (c) => `now      ${c.name} ${c.state} · health ${c.health} · ${c.restartCount} restarts`,
      ),
      `stopped (its stop timeout) and started again${p.containers.length > 1 ? ', one after the other' : ''}; configuration and image unchanged`,
      `verify   ${p.hasHealthcheck ? 'health check healthy after the restart' : 'running'}${svc.container?.healthUrl ? ` + GET ${svc.container.healthUrl}` : ''}`,
    ],
    from: (p) =>
      p.containers
        .map((c) => `${c.image} started ${c.startedAt ? new Date(c.startedAt).toISOString() : '–'}`)
        .join('; '),
    to: (p) => `${[...new Set(p.containers.map((c) => c.image))].join(', ')} restarted`,
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
      restarted = [];
      return actOnEach(
        p.containers,
        async (c) => {
          const r = await ports.containers!.restart(c.id, { expectedImage: c.image });
          restarted.push(c.id);
          return r.detail;
        },
        (done) => `already restarted: ${done.join('; ')}`,
      );
    },
    async follow(p, report, isCancelled) {
      await followEach(ctx, service, restarted, {
        hasHealthcheck: p.hasHealthcheck,
        report,
        isCancelled,
        failSuffix: '',
        existing: true,
      });
    },
    verify: (p) =>
      verifyContainers(
        ctx,
        svc,
        p.containers.map((c) => ({ id: c.id, image: c.image })),
        p.hasHealthcheck,
      ),
  };
}
