/**
 * Rotate a secret, as our runbooks do by hand, but checked at every step:
 *   plan     Vault health + token + capabilities, KV v2 current version; the Kubernetes Secret's
 *            resourceVersion and keys; the Deployments consuming it (env, envFrom, volumes); RBAC
 *   preview  path, key names, versions, consumers (never a value)
 *   confirm  typed in production
 *   execute  new value (crypto random per config, or read from a file) → Vault write with check-and-set
 *            (cas = the version seen at planning) → Secret update with a resourceVersion precondition
 *            → rolling restart of every consumer
 *   follow   each consumer's rollout; verify: Vault version, Secret resourceVersion, rollouts, health
 *   audit    path, key names, Vault versions before/after, Secret resourceVersions (never the value)
 * A failure at any step stops and lists what changed so far; revert writes the previous Vault version
 * again as a new version (CAS), restores the Secret's keys from it and restarts the consumers.
 *
 * Values exist only in local variables of `execute`/`revert` on their way to Vault and the API server:
 * never in the plan, the view, the audit, errors or logs.
 */
import { randomInt } from 'node:crypto';
import { readFile, access } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import type { MutatePorts, SecretConsumer, SecretRef, WorkloadRef } from '../adapters/ports.js';
import { PreconditionFailed } from '../adapters/ports.js';
import type { ServiceConfig } from '../config/schema.js';
import { describeUnhealthy } from '../domain/service-state.js';
import type { ProcedureContext } from './context.js';
import { isProduction, serviceConfig } from './context.js';
import type { ProcedureSpec } from './machine.js';
import type { ProcedureView, VerifyCheck } from './view.js';
import { sanitizeText } from '../domain/sanitize.js';

type SecretConfig = ServiceConfig['secrets'][number];

export const DEFAULT_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** What changed, step by step (no values): drives the failure report, the revert and the audit detail. */
export interface RotationJournal {
  vault?: { from: number; to: number };
  secret?: { from: string; to: string };
  restarted: { ref: WorkloadRef; generation: number }[];
  revert: {
    vault?: { from: number; to: number; restoredVersion: number };
    secret?: { from: string; to: string };
    restarted: { ref: WorkloadRef; generation: number }[];
  };
}

export interface RotateTarget {
  config: SecretConfig;
  vaultPath: string;
  vaultVersion: number;
  vaultVersionCreated: string;
  vaultVersions: number;
  kube: SecretRef;
  kubeResourceVersion: string;
  kubeKeys: string[];
  consumers: SecretConsumer[];
  notes: string[];
  /** Health of the consuming services at planning (verification must not end worse). */
  healthBefore: Record<string, boolean>;
}

export interface RotatePlan {
  targets: RotateTarget[];
  selected: number;
  journal: RotationJournal;
}

const newJournal = (): RotationJournal => ({ restarted: [], revert: { restarted: [] } });

function sel(p: RotatePlan): RotateTarget {
  const t = p.targets[p.selected];
  if (!t) throw new Error('no secret selected');
  return t;
}

const deploymentName = (r: WorkloadRef) => `deployment/${r.deployment}`;
const secretName = (r: SecretRef) => `${r.namespace}/${r.name}`;
const kvApiPath = (path: string) => {
  const i = path.indexOf('/');
  return `${path.slice(0, i)}/data/${path.slice(i + 1)}`;
};

/** A uniformly random string over `alphabet` (rejection-free: crypto.randomInt is unbiased). */
export function generateValue(length: number, alphabet: string = DEFAULT_ALPHABET): string {
  const chars = [...new Set(alphabet)];
  if (chars.length < 2) throw new Error('the alphabet needs at least two distinct characters');
  let out = '';
  for (let i = 0; i < length; i++) out += chars[randomInt(chars.length)];
  return out;
}

/** The new values for the configured keys: from files where configured, generated otherwise. */
async function newValues(cfg: SecretConfig): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of cfg.keys) {
    const file = cfg.fromFiles?.[key];
    if (file) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new Error(
          `reading the new value of ${key} from ${file}: ${(err as NodeJS.ErrnoException).code ?? 'failed'}`,
        );
      }
      if (!text.trim()) throw new Error(`the new value of ${key} in ${file} is empty`);
      out[key] = text;
    } else {
      out[key] = generateValue(cfg.generate?.length ?? 32, cfg.generate?.alphabet ?? DEFAULT_ALPHABET);
    }
  }
  return out;
}

function describeChanges(p: RotatePlan): string[] {
  const t = sel(p);
  const j = p.journal;
  const out: string[] = [];
  if (j.vault)
    out.push(
      `Vault ${t.vaultPath}: version ${j.vault.from} → ${j.vault.to} written (keys ${t.config.keys.join(', ')})`,
    );
  if (j.secret)
    out.push(
      `Secret ${secretName(t.kube)}: resourceVersion ${j.secret.from} → ${j.secret.to} (keys ${t.config.keys.join(', ')})`,
    );
  if (j.restarted.length) out.push(`restarted ${j.restarted.map((r) => deploymentName(r.ref)).join(', ')}`);
  const r = j.revert;
  if (r.vault)
    out.push(
      `revert: Vault version ${r.vault.to} written with the content of version ${r.vault.restoredVersion}`,
    );
  if (r.secret)
    out.push(
      `revert: Secret ${secretName(t.kube)} restored, resourceVersion ${r.secret.from} → ${r.secret.to}`,
    );
  if (r.restarted.length)
    out.push(`revert: restarted ${r.restarted.map((x) => deploymentName(x.ref)).join(', ')}`);
  return out;
}

/** Wrap a failure after something changed: never a PreconditionFailed (that would mean "nothing changed"). */
function afterChange(p: RotatePlan, err: unknown): Error {
  const message = (err as Error).message;
  const j = p.journal;
  const what = [
    j.vault ? `Vault v${j.vault.from}→v${j.vault.to}` : null,
    j.secret ? `Secret rv ${j.secret.from}→${j.secret.to}` : null,
    j.restarted.length ? `restarted ${j.restarted.map((r) => r.ref.deployment).join(', ')}` : null,
  ].filter(Boolean);
  return new Error(`${message} — stopped; changed so far: ${what.join('; ') || 'nothing'}`);
}

async function planTarget(
  ctx: ProcedureContext,
  svc: ServiceConfig,
  cfg: SecretConfig,
): Promise<RotateTarget> {
  const vault = ctx.ports.secrets;
  const cluster = ctx.ports.cluster;
  const notes: string[] = [];
  const metadata = await vault!.metadata(cfg.vaultPath);
  if (metadata.currentVersion < 1) throw new Error(`Vault has no version of ${cfg.vaultPath} to rotate`);
  const current = metadata.versions.find((v) => v.version === metadata.currentVersion);
  if (current?.destroyed || current?.deleted)
    throw new Error(
      `the current version ${metadata.currentVersion} of ${cfg.vaultPath} is deleted or destroyed`,
    );
  if (vault!.capabilities) {
    const caps = await vault!.capabilities(cfg.vaultPath);
    const can = (c: string) => caps.data.includes('root') || caps.data.includes(c);
    if (!can('update') || !can('read'))
      throw new Error(
        `the Vault token may not rotate ${cfg.vaultPath}: capabilities on ${kvApiPath(cfg.vaultPath)} are ${caps.data.join(', ') || 'none'} (needs read and update)`,
      );
  }
  const context = svc.kubernetes?.context;
  const kube: SecretRef = {
    context,
    namespace: cfg.kubernetesSecret.namespace,
    name: cfg.kubernetesSecret.name,
  };
  const meta = await cluster!.getSecretMeta!(kube);
  const missing = cfg.keys.filter((k) => !meta.keys.includes(k));
  if (missing.length) notes.push(`the Secret has no key ${missing.join(', ')} yet: it will be added`);
  // Names from the cluster are untrusted text on their way to a terminal.
  const consumers = (await cluster!.findConsumers!(kube.namespace, kube.name, context)).map((c) => ({
    ...c,
    deployment: sanitizeText(c.deployment, 253),
    via: c.via.map((v) => sanitizeText(v, 128)),
  }));
  // SelfSubjectAccessReviews on the objects themselves: update the Secret by name, update each consumer
  // (a rolling restart updates the pod template, as kubectl rollout restart does).
  const secretObject: WorkloadRef = { context, namespace: kube.namespace, deployment: kube.name };
  const checks = await Promise.all([
    cluster!.canI(secretObject, 'update', 'secrets'),
    ...consumers.map((c) => cluster!.canI(c, 'update', 'deployments')),
  ]);
  const denied = checks.filter((c) => !c.allowed);
  if (denied.length)
    throw new Error(
      `Kubernetes RBAC denies ${denied.map((d) => `${d.verb} ${d.resource} in ${d.namespace}${d.reason ? ` (${d.reason})` : ''}`).join('; ')}`,
    );
  for (const [key, file] of Object.entries(cfg.fromFiles ?? {})) {
    await access(file, fsConstants.R_OK).catch((err: NodeJS.ErrnoException) => {
      throw new Error(
        `the new value of ${key} is read from ${file}, which is not readable (${err.code ?? 'error'})`,
      );
    });
  }
  return {
    config: cfg,
    vaultPath: cfg.vaultPath,
    vaultVersion: metadata.currentVersion,
    vaultVersionCreated: sanitizeText(current?.createdTime ?? '', 40),
    vaultVersions: metadata.versions.length,
    kube,
    kubeResourceVersion: meta.resourceVersion,
    kubeKeys: meta.keys.map((k) => sanitizeText(k, 253)),
    consumers,
    notes,
    healthBefore: Object.fromEntries(
      consumerServices(ctx, consumers).map((s) => [s.name, healthOk(ctx, s.name)]),
    ),
  };
}

/** Everything is read and checked before the preview: a sealed Vault or a denied path refuses here. */
export async function planRotation(
  ctx: ProcedureContext,
  service: string,
  selected = 0,
): Promise<RotatePlan> {
  const svc = serviceConfig(ctx, service);
  if (!svc.secrets.length) throw new Error(`${service} has no secrets configured`);
  const vault = ctx.ports.secrets;
  if (!vault) {
    const why = ctx.store.getState().sources.secrets.error;
    throw new Error(`no Vault connection${why ? `: ${why}` : ' (set vault.addr or VAULT_ADDR)'}`);
  }
  const cluster = ctx.ports.cluster;
  if (!cluster || !cluster.getSecretMeta || !cluster.findConsumers)
    throw new Error('the cluster connection cannot read Secrets and their consumers');
  const health = await vault.health();
  if (!health.initialized) throw new Error('Vault is not initialised: nothing was changed');
  if (health.sealed) throw new Error('Vault is sealed: nothing was changed (unseal it, then try again)');
  const token = await vault.tokenInfo();
  const targets = await Promise.all(svc.secrets.map((cfg) => planTarget(ctx, svc, cfg)));
  if (health.standby)
    for (const t of targets) t.notes.push('Vault answered from a standby node (requests are forwarded)');
  if (token.ttlSeconds > 0 && token.ttlSeconds < 600)
    for (const t of targets) t.notes.push(`the Vault token expires in ${token.ttlSeconds}s`);
  return { targets, selected: Math.min(selected, targets.length - 1), journal: newJournal() };
}

async function followRestarts(
  ctx: ProcedureContext,
  restarted: { ref: WorkloadRef; generation: number }[],
  report: (p: NonNullable<ProcedureView['progress']>) => void,
  isCancelled: () => boolean,
): Promise<void> {
  if (!restarted.length) return;
  const cluster = ctx.ports.cluster!;
  const deadline = ctx.now() + (ctx.rolloutTimeoutMs ?? 300_000);
  let last = '';
  for (;;) {
    const snaps = await Promise.all(restarted.map((r) => cluster.get(r.ref)));
    let done = 0;
    let total = 0;
    let pending = 0;
    const lines: string[] = [];
    snaps.forEach((w, i) => {
      const r = restarted[i]!;
      total += w.replicas;
      const settled = w.observedGeneration >= r.generation && w.rollout.done;
      done += settled ? w.replicas : Math.min(w.updatedReplicas, w.availableReplicas);
      if (w.rollout.phase === 'deadline-exceeded')
        throw new Error(`rollout of ${deploymentName(r.ref)} failed: ${w.rollout.message}`);
      if (!settled) {
        pending++;
        lines.push(`${deploymentName(r.ref)}: ${w.rollout.message}`);
      }
    });
    const progress = {
      done,
      total,
      message: pending ? lines.join(' · ') : `all ${restarted.length} consumer(s) rolled out`,
    };
    const key = JSON.stringify(progress);
    if (key !== last) {
      last = key;
      report(progress);
    }
    if (!pending) return;
    if (isCancelled()) throw new Error('stopped following the rollouts');
    if (ctx.now() >= deadline) throw new Error(`timed out waiting for ${lines.join('; ')}`);
    await new Promise<void>((r) => setTimeout(r, 100));
  }
}

async function restartAll(
  ctx: ProcedureContext,
  ports: MutatePorts,
  consumers: WorkloadRef[],
  into: { ref: WorkloadRef; generation: number }[],
): Promise<void> {
  for (const c of consumers) {
    const ref: WorkloadRef = { context: c.context, namespace: c.namespace, deployment: c.deployment };
    // A rolling restart does not depend on the Deployment's other state, but its resourceVersion moves with
    // every status write of the controller (constantly during a rollout): on a conflict, read again and
    // retry, a bounded number of times. (Changes the operator previewed are never retried like this.)
    for (let attempt = 1; ; attempt++) {
      const before = await ctx.ports.cluster!.get(ref);
      try {
        await ports.cluster!.restart(ref, before.resourceVersion);
        break;
      } catch (err) {
        if (!(err instanceof PreconditionFailed) || attempt >= 5) throw err;
        await new Promise<void>((r) => setTimeout(r, 50 * attempt));
      }
    }
    const after = await ctx.ports.cluster!.get(ref);
    into.push({ ref, generation: after.generation });
  }
}

async function rolloutChecks(
  ctx: ProcedureContext,
  restarted: { ref: WorkloadRef; generation: number }[],
): Promise<VerifyCheck[]> {
  return Promise.all(
    restarted.map(async (r) => {
      const w = await ctx.ports.cluster!.get(r.ref);
      const ok = w.observedGeneration >= r.generation && w.rollout.done;
      return {
        name: `${deploymentName(r.ref)} restarted`,
        ok,
        detail: `${w.availableReplicas}/${w.replicas} available, ${w.updatedReplicas} updated (revision ${w.revision})`,
      };
    }),
  );
}

/** Configured services whose Deployment is one of the consumers, with their health endpoints. */
function consumerServices(ctx: ProcedureContext, consumers: WorkloadRef[]): ServiceConfig[] {
  return ctx.store.getState().services.filter((svc) => {
    const k = svc.kubernetes;
    return (
      k &&
      svc.health.length &&
      consumers.some((c) => c.deployment === k.deployment && c.namespace === k.namespace)
    );
  });
}

function healthOk(ctx: ProcedureContext, service: string): boolean {
  const h = ctx.store.getState().health[service] ?? [];
  return h.length > 0 && h.every((r) => r.state === 'ok');
}

/**
 * Health of every consuming service. A service that was already unhealthy before the rotation passes when
 * it is no worse (the rotation did not cause it); one that was healthy must be healthy again.
 */
function healthChecks(
  ctx: ProcedureContext,
  consumers: WorkloadRef[],
  before: Record<string, boolean>,
): VerifyCheck[] {
  const s = ctx.store.getState();
  const out: VerifyCheck[] = [];
  for (const svc of consumerServices(ctx, consumers)) {
    const h = s.health[svc.name] ?? [];
    const bad = h.filter((r) => r.state !== 'ok');
    const wasOk = before[svc.name] !== false;
    out.push({
      name: `${svc.name} health`,
      ok: h.length > 0 && (bad.length === 0 || !wasOk),
      detail:
        (bad.length && !wasOk ? 'unhealthy before the rotation too: ' : '') +
        (bad.length ? describeUnhealthy(h) : h.length ? 'all endpoints OK' : 'no data'),
    });
  }
  return out;
}

export function rotateSecretSpec(ctx: ProcedureContext, service: string): ProcedureSpec<RotatePlan> {
  const svc = serviceConfig(ctx, service);
  if (!svc.secrets.length) throw new Error(`${service} has no secrets configured`);
  const first = svc.secrets[0]!;
  const placeholder: RotatePlan = { targets: [], selected: 0, journal: newJournal() };
  let selected = 0;

  return {
    kind: 'rotate-secret',
    title: `Rotate secret ${svc.secrets.length === 1 ? first.vaultPath : `of ${service}`}`,
    service,
    target: svc.secrets.length === 1 ? `vault:${first.vaultPath}` : `vault:${service} secrets`,
    context: svc.kubernetes?.context ?? ctx.store.getState().contextName,
    namespace: first.kubernetesSecret.namespace,
    production: isProduction(ctx, svc),
    initialPlan: placeholder,
    prepare: () => planRotation(ctx, service, selected),
    choice:
      svc.secrets.length > 1
        ? {
            prompt: 'Rotate which secret?',
            options: (p) =>
              p.targets.map((t, i) => ({
                label: `${t.vaultPath} (v${t.vaultVersion}) → secret ${secretName(t.kube)}`.slice(0, 70),
                value: String(i),
              })),
            initial: (p) => String(p.selected),
            apply: (p, value) => {
              selected = Number(value);
              return { ...p, selected };
            },
          }
        : undefined,
    preview(p) {
      const t = sel(p);
      const created = t.vaultVersionCreated
        ? `, created ${t.vaultVersionCreated.slice(0, 16).replace('T', ' ')}`
        : '';
      return [
        `Vault    ${t.vaultPath} v${t.vaultVersion} (of ${t.vaultVersions}${created})`,
        `         KV v2 API path ${kvApiPath(t.vaultPath)}`,
        `keys     ${t.config.keys.join(', ')} (new values are never shown)`,
        ...t.config.keys.map((k) =>
          t.config.fromFiles?.[k]
            ? `value    ${k}: from file ${t.config.fromFiles[k]}`
            : `value    ${k}: random, ${t.config.generate?.length ?? 32} chars${t.config.generate?.alphabet ? ' (configured alphabet)' : ''}`,
        ),
        `write    v${t.vaultVersion + 1} with check-and-set cas=${t.vaultVersion}; other keys kept`,
        `Secret   ${secretName(t.kube)} rv ${t.kubeResourceVersion}, keys ${t.kubeKeys.join(', ') || 'none'}`,
        ...(t.consumers.length
          ? t.consumers.map(
              (c, i) => `${i ? '        ' : 'restart '} ${deploymentName(c)} (${c.via.join(', ')})`,
            )
          : ['restart  nothing: no Deployment in the namespace uses this Secret']),
        'then     follow rollouts, verify health; on failure stop, offer revert',
        ...t.notes.map((n) => `note     ${n}`),
      ];
    },
    summary(p) {
      const t = sel(p);
      return [
        `Vault ${t.vaultPath} v${t.vaultVersion} → v${t.vaultVersion + 1} (cas), keys ${t.config.keys.join(', ')}`,
        `Secret ${secretName(t.kube)}; restart ${t.consumers.map((c) => c.deployment).join(', ') || 'none'}`,
      ];
    },
    from: (p) => {
      const t = sel(p);
      return `vault ${t.vaultPath} v${t.vaultVersion}; secret ${secretName(t.kube)} rv ${t.kubeResourceVersion}`;
    },
    to: (p) => {
      const t = sel(p);
      const j = p.journal;
      return `vault ${t.vaultPath} v${j.vault?.to ?? t.vaultVersion + 1}; keys ${t.config.keys.join(',')}; restart ${t.consumers.map((c) => c.deployment).join(',') || 'none'}`;
    },
    replan: () => planRotation(ctx, service, selected),
    async execute(ports, p) {
      const t = sel(p);
      const j = p.journal;
      if (!ports.secrets) throw new Error('no Vault connection for mutations');
      if (!ports.cluster?.replaceSecretData) throw new Error('the cluster connection cannot update Secrets');
      // Values: produced here, handed to Vault and the API server, never stored anywhere else.
      const values = await newValues(t.config);
      const current = await ports.secrets.readVersion(t.vaultPath, t.vaultVersion);
      const written = await ports.secrets.write(t.vaultPath, { ...current, ...values }, t.vaultVersion);
      j.vault = { from: t.vaultVersion, to: written.version };
      try {
        const r = await ports.cluster.replaceSecretData(t.kube, values, t.kubeResourceVersion);
        j.secret = { from: t.kubeResourceVersion, to: r.resourceVersion ?? '?' };
        await restartAll(ctx, ports, t.consumers, j.restarted);
      } catch (err) {
        throw afterChange(p, err);
      }
      return describeChanges(p).join('; ');
    },
    async announce(ports, p, started) {
      const t = sel(p);
      const actor = started.actor.sshClient
        ? `${started.actor.user} from ${started.actor.sshClient}`
        : started.actor.user;
      for (const c of t.consumers)
        await ports.cluster?.recordEvent(
          c,
          'OncallSecretRotated',
          `${actor} rotated ${t.vaultPath} (Vault v${p.journal.vault?.from} → v${p.journal.vault?.to}, keys ${t.config.keys.join(', ')}) and secret ${t.kube.name} via oncall; audit ${started.id}`,
        );
    },
    follow: (p, report, isCancelled) =>
      followRestarts(ctx, p.journal.restarted, report, isCancelled).catch((err: Error) => {
        throw afterChange(p, err);
      }),
    async verify(p) {
      const t = sel(p);
      const j = p.journal;
      await ctx.refresh();
      const meta = await ctx.ports.secrets!.metadata(t.vaultPath);
      const secret = await ctx.ports.cluster!.getSecretMeta!(t.kube);
      return [
        {
          name: 'Vault version',
          ok: meta.currentVersion === j.vault?.to,
          detail: `${t.vaultPath} at version ${meta.currentVersion} (wrote ${j.vault?.to})`,
        },
        {
          name: 'Secret updated',
          ok: secret.resourceVersion === j.secret?.to && t.config.keys.every((k) => secret.keys.includes(k)),
          detail: `${secretName(t.kube)} resourceVersion ${secret.resourceVersion} (wrote ${j.secret?.to})`,
        },
        ...(await rolloutChecks(ctx, j.restarted)),
        ...healthChecks(ctx, t.consumers, t.healthBefore),
      ];
    },
    changes: (p) => describeChanges(p),
    revert: {
      preview(p) {
        const t = sel(p);
        const j = p.journal;
        const lines: string[] = [];
        if (j.vault)
          lines.push(
            `Vault    v${j.vault.to + 1} = the content of v${j.vault.from} again (check-and-set cas=${j.vault.to})`,
          );
        if (j.secret)
          lines.push(
            `Secret   ${secretName(t.kube)}: ${t.config.keys.join(', ')} from v${j.vault?.from} (precondition rv ${j.secret.to})`,
          );
        if (j.secret)
          t.consumers.forEach((c, i) => lines.push(`${i ? '        ' : 'restart '} ${deploymentName(c)}`));
        lines.push('then     follow rollouts and verify');
        return lines;
      },
      summary(p) {
        const t = sel(p);
        const j = p.journal;
        return [
          `Vault ${t.vaultPath}: v${(j.vault?.to ?? 0) + 1} = content of v${j.vault?.from}`,
          j.secret ? `Secret ${secretName(t.kube)} restored; restart consumers` : 'Secret unchanged',
        ];
      },
      async execute(ports, p) {
        const t = sel(p);
        const j = p.journal;
        const r = j.revert;
        if (!j.vault) throw new Error('nothing to revert');
        if (!ports.secrets) throw new Error('no Vault connection for mutations');
        const previous = await ports.secrets.readVersion(t.vaultPath, j.vault.from);
        if (!r.vault) {
          try {
            const w = await ports.secrets.write(t.vaultPath, previous, j.vault.to);
            r.vault = { from: j.vault.to, to: w.version, restoredVersion: j.vault.from };
          } catch (err) {
            if (err instanceof PreconditionFailed)
              throw new Error(
                `${err.message}: someone wrote ${t.vaultPath} after the rotation; not overwriting it — check Vault by hand`,
              );
            throw err;
          }
        }
        if (j.secret && !r.secret) {
          const restore: Record<string, string> = {};
          for (const k of t.config.keys) if (previous[k] !== undefined) restore[k] = previous[k]!;
          const res = await ports.cluster!.replaceSecretData!(t.kube, restore, j.secret.to);
          r.secret = { from: j.secret.to, to: res.resourceVersion ?? '?' };
        }
        if (r.secret && !r.restarted.length) await restartAll(ctx, ports, t.consumers, r.restarted);
        return describeChanges(p)
          .filter((l) => l.startsWith('revert:'))
          .join('; ');
      },
      follow: (p, report, isCancelled) =>
        followRestarts(ctx, p.journal.revert.restarted, report, isCancelled),
      async verify(p) {
        const t = sel(p);
        const r = p.journal.revert;
        await ctx.refresh();
        const meta = await ctx.ports.secrets!.metadata(t.vaultPath);
        const checks: VerifyCheck[] = [
          {
            name: 'Vault version',
            ok: meta.currentVersion === r.vault?.to,
            detail: `${t.vaultPath} at version ${meta.currentVersion} (content of version ${r.vault?.restoredVersion})`,
          },
        ];
        if (r.secret) {
          const secret = await ctx.ports.cluster!.getSecretMeta!(t.kube);
          checks.push({
            name: 'Secret restored',
            ok: secret.resourceVersion === r.secret.to,
            detail: `${secretName(t.kube)} resourceVersion ${secret.resourceVersion}`,
          });
        }
        checks.push(
          ...(await rolloutChecks(ctx, r.restarted)),
          ...healthChecks(ctx, t.consumers, t.healthBefore),
        );
        return checks;
      },
    },
  };
}
