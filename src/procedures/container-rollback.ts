/**
 * Container procedures (Docker/Podman): roll back to an earlier image tag, and restore the original.
 *
 * Rollback recreates the container from its own inspected configuration with only the image changed. The
 * previous tag comes from the audit history, the container's `oncall.previous-image` label, or the
 * operator's choice among local tags of the same repository; an image that is not present locally is an
 * error before confirming (oncall never pulls). The original container is kept stopped (renamed
 * NAME_oncall-kept); after starting, the health check (and container.healthUrl) must pass before the
 * procedure is done. If it does not, `u` restores the original (another audited procedure).
 */
import type { ContainerDetails, ContainerReadPort, ContainerSelector } from '../adapters/ports.js';
import { KEPT_CONTAINER_SUFFIX, PREVIOUS_IMAGE_LABEL } from '../adapters/ports.js';
import type { ServiceConfig } from '../config/schema.js';
import type { ContainerView } from '../domain/model.js';
import type { AuditRecord } from '../audit/record.js';
import type { ProcedureContext } from './context.js';
import { isProduction, serviceConfig } from './context.js';
import type { ProcedureSpec } from './machine.js';
import type { VerifyCheck } from './view.js';
import { waitForState } from './wait.js';

export const RESTORE_HINT = 'u restores it';

export function containerSelector(svc: ServiceConfig): ContainerSelector {
  if (!svc.container) throw new Error(`${svc.name} does not run as a container`);
  return { service: svc.name, name: svc.container.name, label: svc.container.label };
}

export function containerPort(ctx: ProcedureContext): ContainerReadPort {
  const port = ctx.ports.containers;
  if (!port) throw new Error('no container connection (Docker/Podman) is loaded');
  return port;
}

/** The containers a procedure acts on (all of a label-matched service), read fresh (not from the store). */
export async function theContainers(
  ctx: ProcedureContext,
  svc: ServiceConfig,
): Promise<{ view: ContainerView; details: ContainerDetails | null }[]> {
  const port = containerPort(ctx);
  const sel = containerSelector(svc);
  const list = await port.list(sel);
  const where = sel.name ? `named ${sel.name}` : `labelled ${sel.label}`;
  if (list.length === 0) throw new Error(`no container ${where} exists`);
  return Promise.all(
    list.map(async (view) => ({ view, details: port.inspect ? await port.inspect(view.id) : null })),
  );
}

/** "web (0123456789ab)" or "pool-1 (…), pool-2 (…)". */
export function namesWithIds(list: { id: string; name: string }[]): string {
  return list.map((c) => `${c.name} (${c.id.slice(0, 12)})`).join(', ');
}

export function repositoryOf(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function tagOf(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : 'latest';
}

const byVersionDesc = (a: string, b: string) => tagOf(b).localeCompare(tagOf(a), 'en', { numeric: true });

/** The image the container ran before `current`, according to the audit trail (most recent first). */
export function previousFromAudit(records: AuditRecord[], service: string, current: string): string | null {
  const sorted = records
    .filter(
      (r) =>
        r.service === service &&
        (r.procedure === 'container-rollback' ||
          r.procedure === 'container-restore' ||
          r.procedure === 'container-rollback:revert') &&
        r.step === 'started',
    )
    .sort((a, b) => b.seq - a.seq);
  for (const r of sorted) {
    const executed = records.some(
      (x) => x.operationId === r.id && x.step === 'executed' && x.service === service,
    );
    if (executed && r.to === current && r.from && r.from !== current) return r.from;
  }
  return null;
}

export interface ContainerRollbackPlan {
  /** Every container of the service, all on fromImage; recreated one after the other. */
  containers: { id: string; name: string }[];
  fromImage: string;
  target: string;
  candidates: { image: string; hint: string }[];
  carried: string[];
  notes: string[];
  hasHealthcheck: boolean;
}

async function planContainerRollback(
  ctx: ProcedureContext,
  svc: ServiceConfig,
): Promise<ContainerRollbackPlan> {
  const port = containerPort(ctx);
  const all = await theContainers(ctx, svc);
  const images = [...new Set(all.map((c) => c.view.image))];
  if (images.length > 1)
    throw new Error(
      `the containers of ${svc.name} run different images (${images.join(', ')}); a rollback needs them on one image`,
    );
  const { view, details } = all[0]!;
  const current = view.image;
  const local = (await port.localTags(current)).filter((t) => t !== current);
  const notes: string[] = [];
  const hints: { image: string; hint: string }[] = [];
  const consider = async (image: string | null | undefined, hint: string) => {
    if (!image || image === current || hints.some((h) => h.image === image)) return;
    const present = local.includes(image) || (port.imageExists ? await port.imageExists(image) : false);
    if (present) hints.push({ image, hint });
    else notes.push(`${hint} names ${image}, which is not present locally (oncall never pulls)`);
  };
  await consider(previousFromAudit(ctx.store.getState().audit, svc.name, current), 'previous per audit');
  await consider(details?.labels[PREVIOUS_IMAGE_LABEL], `label ${PREVIOUS_IMAGE_LABEL}`);
  const others = local
    .filter((t) => !hints.some((h) => h.image === t))
    .sort(byVersionDesc)
    .map((image) => ({ image, hint: 'local tag' }));
  const candidates = [...hints, ...others];
  if (candidates.length === 0)
    throw new Error(
      `no other local tag of ${repositoryOf(current)} to roll back to${notes.length ? `: ${notes.join('; ')}` : ''}`,
    );
  // Without a hint: the highest tag below the current one, like "the previous version".
  const lower = others.find((o) => byVersionDesc(current, o.image) > 0 && o.image !== current);
  const target = hints[0]?.image ?? lower?.image ?? candidates[0]!.image;
  return {
    containers: all.map((c) => ({ id: c.view.id, name: c.view.name })),
    fromImage: current,
    target,
    candidates,
    carried: details?.carried ?? [],
    notes,
    hasHealthcheck: details?.hasHealthcheck ?? view.health !== 'none',
  };
}

/** Probe container.healthUrl with the health port when loaded, else a plain GET. */
async function probeHealthUrl(ctx: ProcedureContext, service: string, url: string): Promise<VerifyCheck> {
  if (ctx.ports.health) {
    const [r] = await ctx.ports.health.probe(service, [
      { url, name: 'container.healthUrl', timeout: '3s', followRedirects: false },
    ]);
    return {
      name: 'health URL',
      ok: r?.state === 'ok',
      detail: r ? `${url} ${r.statusCode ?? ''} ${r.error ?? r.state}`.replace(/\s+/g, ' ') : 'no result',
    };
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000), redirect: 'manual' });
    await res.body?.cancel();
    return {
      name: 'health URL',
      ok: res.status >= 200 && res.status < 300,
      detail: `${url} HTTP ${res.status}`,
    };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { name: 'health URL', ok: false, detail: `${url} ${cause ?? (err as Error).message}` };
  }
}

/**
 * Apply `act` to each container in turn (a label can match several). When one fails after others were
 * already changed, the error says what already happened; before any change, the error is passed as it is
 * (a precondition failure then re-plans).
 */
export async function actOnEach<T>(
  items: T[],
  act: (item: T) => Promise<string>,
  alreadyDone: (details: string[]) => string,
): Promise<string> {
  const details: string[] = [];
  for (const item of items) {
    try {
      details.push(await act(item));
    } catch (err) {
      if (details.length === 0) throw err;
      throw new Error(`${(err as Error).message}; ${alreadyDone(details)}`);
    }
  }
  return details.join('; ');
}

/** Follow each changed container until it runs and its health check has a result (see followContainer). */
export async function followEach(
  ctx: ProcedureContext,
  service: string,
  ids: string[],
  opts: Parameters<typeof followContainer>[3],
): Promise<void> {
  for (const id of ids) await followContainer(ctx, service, () => id, opts);
}

/**
 * Wait (on the store, fed by the events stream) until the container `id` runs and its health check has a
 * result. Throws when it exits, turns unhealthy, or is removed by someone else.
 */
export async function followContainer(
  ctx: ProcedureContext,
  service: string,
  id: () => string | null,
  opts: {
    hasHealthcheck: boolean;
    report: (p: { done: number; total: number; message: string }) => void;
    isCancelled: () => boolean;
    failSuffix: string;
    timeoutMs?: number;
    /**
     * The container existed before (restart, restore): until it has been seen running, an "exited" in
     * the store may be the state from before the action, so it only counts after a grace period.
     */
    existing?: boolean;
  },
): Promise<void> {
  let seen = false;
  let seenRunning = false;
  const t0 = ctx.now();
  let last = '';
  await waitForState(
    ctx.store,
    (s) => {
      const want = id();
      const c = want ? s.containers[service]?.find((x) => x.id === want) : undefined;
      if (!c) {
        if (seen)
          throw new Error(
            `container ${want?.slice(0, 12)} was removed by someone else while being verified${opts.failSuffix}`,
          );
        return undefined;
      }
      seen = true;
      if (c.state === 'running') seenRunning = true;
      const message = `${c.name} ${c.state} · health ${c.health}${c.healthOutput ? ` (${c.healthOutput})` : ''}`;
      const done = c.state === 'running' && (!opts.hasHealthcheck || c.health === 'healthy') ? 1 : 0;
      if (message !== last) {
        last = message;
        opts.report({ done, total: 1, message });
      }
      const stale = opts.existing && !seenRunning && ctx.now() - t0 < 5000;
      if ((c.state === 'exited' || c.state === 'dead') && !stale)
        throw new Error(`container ${c.name} ${c.state} (exit code ${c.exitCode})${opts.failSuffix}`);
      if (c.health === 'unhealthy')
        throw new Error(
          `container ${c.name} is unhealthy: ${c.healthOutput ?? 'health check failed'}${opts.failSuffix}`,
        );
      return c.state === 'running' && (!opts.hasHealthcheck || c.health !== 'starting') ? true : undefined;
    },
    {
      now: ctx.now,
      timeoutMs: opts.timeoutMs ?? ctx.rolloutTimeoutMs ?? 180_000,
      what: `the container of ${service} to pass its health check`,
      isCancelled: opts.isCancelled,
    },
  ).catch((err: Error) => {
    if (err.message.startsWith('timed out')) throw new Error(`${err.message}${opts.failSuffix}`);
    throw err;
  });
}

/**
 * One verification attempt: each container (read fresh) runs the expected image and is healthy after its
 * start; then container.healthUrl answers 2xx.
 */
export async function verifyContainers(
  ctx: ProcedureContext,
  svc: ServiceConfig,
  targets: { id: string; image: string }[],
  hasHealthcheck: boolean,
): Promise<VerifyCheck[]> {
  if (targets.length === 0)
    return [{ name: 'container running', ok: false, detail: 'no container was created' }];
  const checks: VerifyCheck[] = [];
  for (const t of targets) {
    const own = await checkOne(ctx, svc, t.id, t.image, hasHealthcheck);
    checks.push(
      ...own.map((c) => (targets.length > 1 ? { ...c, name: `${t.id.slice(0, 12)} ${c.name}` } : c)),
    );
  }
  if (svc.container?.healthUrl) checks.push(await probeHealthUrl(ctx, svc.name, svc.container.healthUrl));
  return checks;
}

export function verifyContainer(
  ctx: ProcedureContext,
  svc: ServiceConfig,
  id: string | null,
  expectedImage: string,
  hasHealthcheck: boolean,
): Promise<VerifyCheck[]> {
  return verifyContainers(ctx, svc, id ? [{ id, image: expectedImage }] : [], hasHealthcheck);
}

async function checkOne(
  ctx: ProcedureContext,
  svc: ServiceConfig,
  id: string,
  expectedImage: string,
  hasHealthcheck: boolean,
): Promise<VerifyCheck[]> {
  const port = containerPort(ctx);
  const checks: VerifyCheck[] = [];
  let d: ContainerDetails | null = null;
  let view: ContainerView | undefined;
  try {
    if (port.inspect) {
      d = await port.inspect(id);
      view = d.view;
    } else view = (await port.list(containerSelector(svc))).find((c) => c.id === id);
  } catch (err) {
    return [{ name: 'container running', ok: false, detail: (err as Error).message }];
  }
  if (!view)
    return [{ name: 'container running', ok: false, detail: `container ${id.slice(0, 12)} is gone` }];
  checks.push({
    name: 'container running',
    ok: view.state === 'running' && view.image === expectedImage,
    detail: `${view.name} ${view.state} on ${view.image}`,
  });
  if (hasHealthcheck) {
    const fresh =
      d?.lastProbeAt === undefined || view.startedAt === undefined || d.lastProbeAt >= view.startedAt - 1000;
    checks.push({
      name: 'health check',
      ok: view.health === 'healthy' && fresh,
      detail: `${view.health}${fresh ? '' : ' (last probe before the start)'}${view.healthOutput ? ` · ${view.healthOutput}` : ''}`,
    });
  }
  return checks;
}

export async function containerRollbackSpec(
  ctx: ProcedureContext,
  service: string,
): Promise<ProcedureSpec<ContainerRollbackPlan>> {
  const svc = serviceConfig(ctx, service);
  containerSelector(svc);
  const initialPlan = await planContainerRollback(ctx, svc);
  let lastPlan = initialPlan;
  let newIds: string[] = [];
  let recreated: string[] = [];
  let kept: string[] = [];
  let restoredIds: string[] = [];
  const keptSuffix = () =>
    kept.length
      ? `; the original container${kept.length > 1 ? 's are' : ' is'} kept stopped as ${kept.join(', ')}: ${RESTORE_HINT}`
      : '';
  const names = initialPlan.containers.map((c) => c.name);
  return {
    kind: 'container-rollback',
    title: `Roll back container${names.length > 1 ? 's' : ''} ${names.join(', ')}`,
    service,
    target: `container/${names.join(',')}`,
    context: containerPort(ctx).endpoint ?? 'docker',
    production: isProduction(ctx, svc),
    initialPlan,
    choice: {
      prompt: 'Roll back to which local image?',
      options: (plan) =>
        plan.candidates.map((c) => ({ label: `${c.image}  (${c.hint})`.slice(0, 70), value: c.image })),
      initial: (plan) => plan.target,
      apply: (plan, value) => {
        if (!plan.candidates.some((c) => c.image === value)) throw new Error(`${value} is not a local tag`);
        return { ...plan, target: value };
      },
    },
    preview: (p) => [
      p.containers.length > 1
        ? `containers ${namesWithIds(p.containers)}, each recreated with only the image changed, one after the other`
        : `container ${namesWithIds(p.containers)}, recreated with only the image changed`,
      `image    ${p.fromImage}`,
      `      →  ${p.target} (local; never pulled)`,
      ...p.carried.map((l, i) => `${i === 0 ? 'keeps   ' : '        '} ${l}`),
      `then     original kept stopped as ${p.containers.map((c) => `${c.name}${KEPT_CONTAINER_SUFFIX}`).join(', ')}; u restores it`,
      `verify   ${p.hasHealthcheck ? 'health check healthy' : 'running'}${svc.container?.healthUrl ? ` + GET ${svc.container.healthUrl}` : ''}`,
      ...p.notes.map((n) => `note     ${n}`),
    ],
    from: (p) => p.fromImage,
    to: (p) => p.target,
    async replan() {
      try {
        const fresh = await planContainerRollback(ctx, svc);
        lastPlan = {
          ...fresh,
          target: fresh.candidates.some((c) => c.image === lastPlan.target) ? lastPlan.target : fresh.target,
        };
      } catch (err) {
        lastPlan = { ...lastPlan, notes: [...lastPlan.notes, (err as Error).message] };
      }
      return lastPlan;
    },
    async execute(ports, p) {
      lastPlan = p;
      if (!ports.containers) throw new Error('no container connection for mutations');
      newIds = [];
      recreated = [];
      kept = [];
      return actOnEach(
        p.containers,
        async (c) => {
          const r = await ports.containers!.recreateWithImage(c.id, p.target, {
            expectedImage: p.fromImage,
            keepOriginal: true,
          });
          newIds.push(r.containerId);
          recreated.push(c.name);
          if (r.keptName) kept.push(r.keptName);
          return r.detail;
        },
        (done) => `already recreated on ${p.target}: ${done.join('; ')}${keptSuffix()}`,
      );
    },
    async follow(p, report, isCancelled) {
      await followEach(ctx, service, newIds, {
        hasHealthcheck: p.hasHealthcheck,
        report,
        isCancelled,
        failSuffix: keptSuffix(),
      });
    },
    verify: (p) =>
      verifyContainers(
        ctx,
        svc,
        newIds.map((id) => ({ id, image: p.target })),
        p.hasHealthcheck,
      ),
    changes: (p) =>
      recreated.length
        ? [
            ...recreated.map((n, i) => `${n} recreated on ${p.target} (id ${newIds[i]!.slice(0, 12)})`),
            ...(kept.length ? [`original kept stopped as ${kept.join(', ')}`] : []),
          ]
        : [],
    // Offered on the failure report: put the kept originals back (the same as u on the Service screen).
    revert: {
      preview: (p) => [
        ...recreated.map(
          (n, i) =>
            `remove   ${n} (${newIds[i]!.slice(0, 12)}) on ${p.target}; restore ${n}${KEPT_CONTAINER_SUFFIX} on ${p.fromImage} as ${n}`,
        ),
        `verify   ${p.hasHealthcheck ? 'health check healthy' : 'running'}${svc.container?.healthUrl ? ` + GET ${svc.container.healthUrl}` : ''}`,
      ],
      async execute(ports) {
        const restore = ports.containers?.restoreOriginal?.bind(ports.containers);
        if (!restore) throw new Error('this container connection cannot restore');
        restoredIds = [];
        const details: string[] = [];
        for (const n of kept.length ? recreated : []) {
          const r = await restore(n);
          restoredIds.push(r.containerId);
          details.push(r.detail);
        }
        if (!details.length) throw new Error('no original was kept; nothing to restore');
        return details.join('; ');
      },
      async follow(p, report, isCancelled) {
        for (const id of restoredIds)
          await followContainer(ctx, service, () => id, {
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
          restoredIds.map((id) => ({ id, image: p.fromImage })),
          p.hasHealthcheck,
        ),
    },
  };
}

export interface ContainerRestorePlan {
  restores: { name: string; keptId: string; keptImage: string; current: ContainerView | null }[];
  hasHealthcheck: boolean;
}

/** The names of the containers a service's last container rollback acted on (label-matched services). */
function lastRolledBackNames(ctx: ProcedureContext, service: string): string[] {
  const r = ctx.store
    .getState()
    .audit.filter((x) => x.service === service && x.procedure === 'container-rollback')
    .sort((a, b) => b.seq - a.seq)[0];
  return r?.target.startsWith('container/')
    ? r.target.slice('container/'.length).split(',').filter(Boolean)
    : [];
}

export async function containerRestoreSpec(
  ctx: ProcedureContext,
  service: string,
): Promise<ProcedureSpec<ContainerRestorePlan>> {
  const svc = serviceConfig(ctx, service);
  const sel = containerSelector(svc);
  const port = containerPort(ctx);
  if (!port.kept) throw new Error('this container connection cannot find kept originals');
  const current = await port.list(sel);
  const names = sel.name
    ? [sel.name]
    : [...new Set([...current.map((c) => c.name), ...lastRolledBackNames(ctx, service)])];
  const restores: ContainerRestorePlan['restores'] = [];
  let hasHealthcheck = false;
  for (const name of names) {
    const k = await port.kept(name);
    if (!k) continue;
    const details = port.inspect ? await port.inspect(k.id) : null;
    hasHealthcheck ||= details?.hasHealthcheck ?? k.health !== 'none';
    restores.push({
      name,
      keptId: k.id,
      keptImage: k.image,
      current: current.find((c) => c.name === name) ?? null,
    });
  }
  if (restores.length === 0)
    throw new Error(
      `no original of ${names.join(', ') || service} is kept (${names.map((n) => `${n}${KEPT_CONTAINER_SUFFIX}`).join(', ') || 'nothing'} does not exist)`,
    );
  let restoredIds: string[] = [];
  const initialPlan: ContainerRestorePlan = { restores, hasHealthcheck };
  const images = [...new Set(restores.map((r) => r.keptImage))];
  return {
    kind: 'container-restore',
    title: `Restore the original container${restores.length > 1 ? 's' : ''} ${restores.map((r) => r.name).join(', ')}`,
    service,
    target: `container/${restores.map((r) => r.name).join(',')}`,
    context: port.endpoint ?? 'docker',
    production: isProduction(ctx, svc),
    initialPlan,
    preview: (p) => [
      ...p.restores.flatMap((r) => [
        r.current
          ? `remove   ${r.name} (${r.current.id.slice(0, 12)}) on ${r.current.image}, ${r.current.state}, health ${r.current.health}`
          : `no container named ${r.name} runs now`,
        `restore  ${r.name}${KEPT_CONTAINER_SUFFIX} (${r.keptId.slice(0, 12)}) on ${r.keptImage}: renamed back to ${r.name} and started`,
      ]),
      `verify   ${p.hasHealthcheck ? 'health check healthy' : 'running'}${svc.container?.healthUrl ? ` + GET ${svc.container.healthUrl}` : ''}`,
    ],
    from: (p) => [...new Set(p.restores.map((r) => r.current?.image ?? 'none'))].join(', '),
    to: () => images.join(', '),
    async replan() {
      return initialPlan;
    },
    async execute(ports, p) {
      const restore = ports.containers?.restoreOriginal?.bind(ports.containers);
      if (!restore) throw new Error('this container connection cannot restore');
      restoredIds = [];
      return actOnEach(
        p.restores,
        async (r) => {
          const res = await restore(r.name);
          restoredIds.push(res.containerId);
          return res.detail;
        },
        (done) => `already restored: ${done.join('; ')}`,
      );
    },
    async follow(p, report, isCancelled) {
      await followEach(ctx, service, restoredIds, {
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
        restoredIds.map((id, i) => ({ id, image: p.restores[i]!.keptImage })),
        p.hasHealthcheck,
      ),
  };
}
