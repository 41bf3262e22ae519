/** Every port, implemented over the sandbox world. Mutating calls are recorded in world.mutations. */
import type {
  CertProbePort,
  ClusterMutatePort,
  ClusterReadPort,
  ContainerMutatePort,
  ContainerReadPort,
  DeploymentRow,
  HealthProbePort,
  MetricsReadPort,
  MutatePorts,
  ReadPorts,
  SecretStoreMutatePort,
  SecretStoreReadPort,
  SloWindowRatios,
  WorkloadRef,
} from '../adapters/ports.js';
import { KEPT_CONTAINER_SUFFIX, PreconditionFailed, workloadKey } from '../adapters/ports.js';
import type { AlertView, CertView, HealthCheckResult } from '../domain/model.js';
import { BURN_WINDOWS, burnRate, parseDuration } from '../domain/slo.js';
import { certLevel, daysLeft } from '../domain/certs.js';
import { DEMO_CONTEXT } from './demo-config.js';
import type { SandboxWorld } from './world.js';
import type { SimDeployment } from './sim-deployment.js';
import { sandboxSecretMutations, sandboxSecretReads } from './secrets.js';

function findDeployment(world: SandboxWorld, ref: WorkloadRef): SimDeployment {
  for (const d of world.deployments.values()) {
    if (
      d.name === ref.deployment &&
      d.namespace === ref.namespace &&
      (!ref.context || ref.context === d.context)
    )
      return d;
  }
  throw new Error(`deployments.apps "${ref.deployment}" not found in namespace "${ref.namespace}"`);
}

/** The simulated contexts: every context a simulated Deployment lives in (the demo has two). */
export function sandboxContexts(world: SandboxWorld): string[] {
  const names = new Set<string>([DEMO_CONTEXT]);
  for (const d of world.deployments.values()) names.add(d.context);
  return [...names].sort();
}

function clusterRead(world: SandboxWorld, context: string = DEMO_CONTEXT): ClusterReadPort {
  return {
    kind: 'cluster',
    contextName: context,
    // The sandbox's own contexts, not a kubeconfig's: the demo never reads ~/.kube/config.
    async listContexts() {
      return sandboxContexts(world);
    },
    watchAllDeployments(namespace, listener) {
      let stopped = false;
      const emit = () => {
        if (stopped) return;
        const rows: DeploymentRow[] = [];
        for (const d of world.deployments.values()) {
          if (d.context !== context || (namespace !== null && d.namespace !== namespace)) continue;
          const snap = d.snapshot(world.now());
          rows.push({
            namespace: d.namespace,
            name: d.name,
            rollout: snap.rollout,
            ready: snap.readyReplicas,
            desired: snap.replicas,
            image: snap.image,
            revision: snap.revision,
          });
        }
        rows.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
        listener.onRows(rows);
      };
      queueMicrotask(emit);
      const unsubscribe = world.subscribe(emit);
      return () => {
        stopped = true;
        unsubscribe();
      };
    },
    watch(refs, listener) {
      const emit = () => {
        for (const ref of refs) {
          try {
            listener.onSnapshot(ref, findDeployment(world, ref).snapshot(world.now()));
          } catch (err) {
            listener.onError(ref, (err as Error).message);
          }
        }
      };
      queueMicrotask(emit);
      return world.subscribe(emit);
    },
    async get(ref) {
      return findDeployment(world, ref).snapshot(world.now());
    },
    async canI(ref, verb, resource, subresource) {
      return { verb, resource, subresource, namespace: ref.namespace, allowed: true };
    },
    ...sandboxSecretReads(world),
    async close() {},
  };
}

function clusterMutate(world: SandboxWorld): ClusterMutatePort {
  const guard = (d: SimDeployment, expected: string) => {
    if (String(d.resourceVersion) !== expected) {
      throw new PreconditionFailed(
        `Operation cannot be fulfilled on deployments.apps "${d.name}": the object has been modified (resourceVersion ${expected} → ${d.resourceVersion})`,
      );
    }
  };
  const changed = () => world.advance(0);
  return {
    async rollback(ref, toRevision, expectedRV, opts) {
      const d = findDeployment(world, ref);
      guard(d, expectedRV);
      if (d.paused)
        throw new Error(
          "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
        );
      if (!d.replicaSets.some((r) => r.revision === toRevision))
        throw new Error(`unable to find specified revision ${toRevision} in history`);
      if (opts?.dryRun) return { detail: `dry run: rollback to revision ${toRevision} accepted` };
      world.recordMutation('rollback', workloadKey(ref), `to revision ${toRevision}`);
      d.rollbackTo(toRevision, world.now());
      changed();
      return { resourceVersion: String(d.resourceVersion), detail: `deployment.apps/${d.name} rolled back` };
    },
    async scale(ref, replicas, expected, opts) {
      const d = findDeployment(world, ref);
      if (d.replicas !== expected)
        throw new PreconditionFailed(`Expected replicas to be ${expected}, was ${d.replicas}`);
      if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`invalid replica count ${replicas}`);
      if (opts?.dryRun) return { detail: `dry run: scale to ${replicas} accepted` };
      world.recordMutation('scale', workloadKey(ref), `${expected} → ${replicas}`);
      d.scale(replicas, world.now());
      changed();
      return { resourceVersion: String(d.resourceVersion), detail: `deployment.apps/${d.name} scaled` };
    },
    async restart(ref, expectedRV, opts) {
      const d = findDeployment(world, ref);
      guard(d, expectedRV);
      if (d.paused) throw new Error(`can't restart paused deployment (run rollout resume first)`);
      if (opts?.dryRun) return { detail: 'dry run: restart accepted' };
      world.recordMutation('restart', workloadKey(ref), 'rollout restart');
      d.restart(world.now());
      changed();
      return { resourceVersion: String(d.resourceVersion), detail: `deployment.apps/${d.name} restarted` };
    },
    async setPaused(ref, paused, expectedRV, opts) {
      const d = findDeployment(world, ref);
      guard(d, expectedRV);
      if (d.paused === paused)
        throw new Error(`deployment.apps/${d.name} ${paused ? 'is already paused' : 'is not paused'}`);
      if (opts?.dryRun) return { detail: `dry run: ${paused ? 'pause' : 'resume'} accepted` };
      world.recordMutation(paused ? 'pause' : 'resume', workloadKey(ref), '');
      d.setPaused(paused, world.now());
      changed();
      return {
        resourceVersion: String(d.resourceVersion),
        detail: `deployment.apps/${d.name} ${paused ? 'paused' : 'resumed'}`,
      };
    },
    async recordEvent(ref, reason, message) {
      const d = findDeployment(world, ref);
      world.recordMutation('event', workloadKey(ref), reason);
      d.events.push({ at: world.now(), type: 'Normal', reason, message });
    },
    ...sandboxSecretMutations(world),
  };
}

const WINDOW_MS: Record<string, number> = Object.fromEntries(
  BURN_WINDOWS.map((w) => [w, parseDuration(w) * 1000]),
);

function metrics(world: SandboxWorld): MetricsReadPort {
  const ratiosFor = (service: string, windowMs: number): SloWindowRatios => {
    const now = world.now();
    const ratios: SloWindowRatios['ratios'] = {};
    for (const w of BURN_WINDOWS) ratios[w] = world.windowRatio(service, now - (WINDOW_MS[w] as number), now);
    const series: number[] = [];
    const bucket = (24 * 3_600_000) / 48;
    for (let i = 47; i >= 0; i--)
      series.push(world.windowRatio(service, now - (i + 1) * bucket, now - i * bucket) ?? 0);
    return { ratios, windowRatio: world.windowRatio(service, now - windowMs, now), errorSeries: series };
  };
  return {
    kind: 'metrics',
    async sloRatios(slos) {
      const out: Record<string, SloWindowRatios> = {};
      for (const { service, slo } of slos) {
        if (!world.segments.has(service)) continue;
        out[service] = ratiosFor(service, parseDuration(slo.window) * 1000);
      }
      return out;
    },
    async alerts(services) {
      const out: AlertView[] = [];
      const now = world.now();
      for (const service of services) {
        if (!world.segments.has(service)) continue;
        const b1h = burnRate(world.windowRatio(service, now - 3_600_000, now), 99.9) ?? 0;
        const b5m = burnRate(world.windowRatio(service, now - 300_000, now), 99.9) ?? 0;
        if (b5m > 14.4) {
          out.push({
            name: 'ErrorBudgetBurnFast',
            state: b1h > 14.4 ? 'firing' : 'pending',
            severity: 'page',
            summary: `${service}: error budget burning at ${b1h.toFixed(1)}x over 1h`,
            runbookUrl: `https://runbooks.example.test/${service}#error-budget-burn`,
            service,
            activeAt: now,
          });
        }
      }
      const db = world.certExpiry.get('orders-db.example.test:5432');
      if (services.includes('orders-db') && db !== undefined && db - now < 7 * 86_400_000) {
        out.push({
          name: 'TLSCertificateExpiringSoon',
          state: 'firing',
          severity: 'warning',
          summary: `orders-db certificate expires in ${daysLeft(db, now)} days`,
          runbookUrl: 'https://runbooks.example.test/orders-db#rotate-certificate',
          service: 'orders-db',
          activeAt: now,
        });
      }
      return out;
    },
    async close() {},
  };
}

function containersRead(world: SandboxWorld): ContainerReadPort {
  const matching = (sel: { service: string; name?: string; label?: string }) =>
    world.containers.filter((c) => {
      if (c.name.endsWith(KEPT_CONTAINER_SUFFIX)) return false;
      if (sel.name) return c.name === sel.name;
      if (sel.label) {
        const [k, v] = sel.label.split('=') as [string, string];
        return c.labels[k] === v;
      }
      return false;
    });
  return {
    kind: 'containers',
    watch(selectors, listener) {
      const emit = () => {
        for (const sel of selectors)
          listener.onContainers(
            sel.service,
            matching(sel).map((c) => world.containerView(c, world.now())),
          );
      };
      queueMicrotask(emit);
      return world.subscribe(emit);
    },
    async list(sel) {
      return matching(sel).map((c) => world.containerView(c, world.now()));
    },
    async localTags(image) {
      const repo = image.slice(0, image.lastIndexOf(':'));
      return [...world.localImages]
        .filter((i) => i.startsWith(`${repo}:`))
        .sort()
        .reverse();
    },
    async close() {},
    async inspect(id) {
      const c = world.containers.find((x) => x.id === id);
      if (!c) throw new Error(`no such container: ${id}`);
      const now = world.now();
      return {
        view: world.containerView(c, now),
        labels: { ...c.labels },
        hasHealthcheck: true,
        carried: [
          `env APP_ENV,LOG_LEVEL (values hidden) · mounts /var/lib/${c.service} · labels ${Object.keys(c.labels).join(',') || '–'}`,
          'restart unless-stopped · network bridge · ports 8080/tcp · health curl -fsS http://127.0.0.1:8080/healthz',
        ],
        lastProbeAt: c.healthyAt <= now ? Math.max(c.healthyAt, c.startedAt) : undefined,
      };
    },
    async imageExists(image) {
      return world.localImages.has(image);
    },
    async kept(name) {
      const c = world.containers.find((x) => x.name === `${name}${KEPT_CONTAINER_SUFFIX}`);
      return c ? world.containerView(c, world.now()) : null;
    },
  };
}

function containersMutate(world: SandboxWorld): ContainerMutatePort {
  const find = (id: string) => {
    const c = world.containers.find((x) => x.id === id);
    if (!c) throw new Error(`no such container: ${id}`);
    return c;
  };
  const keptOf = (name: string) => world.containers.find((x) => x.name === `${name}${KEPT_CONTAINER_SUFFIX}`);
  return {
    async recreateWithImage(id, image, opts) {
      const c = find(id);
      if (opts?.expectedImage && c.image !== opts.expectedImage)
        throw new PreconditionFailed(`container ${c.name} now runs ${c.image}, not ${opts.expectedImage}`);
      if (!world.localImages.has(image))
        throw new Error(`image ${image} is not present locally (oncall never pulls silently)`);
      world.recordMutation('recreate', c.name, `${c.image} → ${image}`);
      const now = world.now();
      const keep = opts?.keepOriginal !== false;
      const old = keptOf(c.name);
      if (keep && old) world.containers.splice(world.containers.indexOf(old), 1);
      world.containers.splice(world.containers.indexOf(c), 1);
      if (keep) world.containers.push({ ...c, state: 'exited', name: `${c.name}${KEPT_CONTAINER_SUFFIX}` });
      const fresh = {
        ...c,
        id: world.newId(),
        image,
        state: 'running' as const,
        healthyAt: now + 3000,
        unhealthy: false,
        startedAt: now,
        restartCount: 0,
      };
      world.containers.push(fresh);
      world.advance(0);
      return {
        containerId: fresh.id,
        keptName: keep ? `${c.name}${KEPT_CONTAINER_SUFFIX}` : undefined,
        detail: `container ${c.name} recreated from ${image}${keep ? `; original kept stopped as ${c.name}${KEPT_CONTAINER_SUFFIX}` : ''}`,
      };
    },
    async restoreOriginal(name) {
      const k = keptOf(name);
      if (!k) throw new Error(`no kept original for ${name}`);
      world.recordMutation('restore', name, k.image);
      const cur = world.containers.find((x) => x.name === name);
      if (cur) world.containers.splice(world.containers.indexOf(cur), 1);
      const now = world.now();
      Object.assign(k, { name, state: 'running', startedAt: now, healthyAt: now + 3000, unhealthy: false });
      world.advance(0);
      return { containerId: k.id, detail: `original container ${name} restored on ${k.image}` };
    },
    async restart(id, opts) {
      const c = find(id);
      if (opts?.expectedImage && c.image !== opts.expectedImage)
        throw new PreconditionFailed(`container ${c.name} now runs ${c.image}, not ${opts.expectedImage}`);
      world.recordMutation('restart-container', c.name, '');
      c.restartCount++;
      c.startedAt = world.now();
      c.healthyAt = world.now() + 3000;
      world.advance(0);
      return { detail: `container ${c.name} restarted` };
    },
  };
}

function health(world: SandboxWorld): HealthProbePort {
  return {
    kind: 'health',
    async probe(service, endpoints) {
      const now = world.now();
      return endpoints.map((ep): HealthCheckResult => {
        const name = ep.name ?? ep.url;
        const d = world.deployments.get(service);
        if (service === 'checkout-api' && d) {
          const bad = d.readyFraction('registry.example.test/checkout-api:2.14.0', now);
          if (bad > 0) {
            return {
              url: ep.url,
              name,
              state: 'warning',
              statusCode: 200,
              latencyMs: 180,
              at: now,
              checks: [
                { name: 'database', status: 'ok', ok: true },
                { name: 'payments', status: 'degraded', ok: false },
              ],
            };
          }
        }
        if (service === 'accounts' && ep.url.endsWith('/health/')) {
          return {
            url: ep.url,
            name,
            state: 'warning',
            statusCode: 200,
            latencyMs: 41,
            at: now,
            checks: [
              { name: 'database', status: 'ok', ok: true },
              { name: 'cache', status: 'degraded', ok: false },
            ],
          };
        }
        const ctr = world.containers.find((c) => c.service === service);
        if (ctr && ctr.state === 'running' && ctr.healthyAt > now) {
          return {
            url: ep.url,
            name,
            state: 'critical',
            error: 'connection refused',
            latencyMs: 1,
            at: now,
            checks: [],
          };
        }
        return {
          url: ep.url,
          name,
          state: 'ok',
          statusCode: 200,
          latencyMs: 20 + Math.round((now / 1000) % 17),
          at: now,
          checks: [],
        };
      });
    },
  };
}

function certs(world: SandboxWorld): CertProbePort {
  return {
    kind: 'certs',
    async probe(_service, list, now) {
      const out: CertView[] = [];
      for (const c of list) {
        if (!('host' in c)) continue;
        const key = `${c.host}:${c.port}`;
        const notAfter = world.certExpiry.get(key);
        if (notAfter === undefined) continue;
        out.push({
          name: key,
          source: 'sandbox',
          subject: `CN=${c.host}`,
          issuer: 'CN=Sandbox Issuing CA',
          sans: [`DNS:${c.host}`],
          serial: '1000',
          notBefore: notAfter - 90 * 86_400_000,
          notAfter,
          daysLeft: daysLeft(notAfter, now),
          level: certLevel(notAfter, now),
          problems: [],
        });
      }
      return out;
    },
  };
}

const path0 = 'auth/token/lookup-self';
function vaultReady(world: SandboxWorld, what: string): void {
  if (world.vault.sealed) throw new Error(`vault ${what}: Vault is sealed (HTTP 503)`);
}

function secretsRead(world: SandboxWorld): SecretStoreReadPort {
  return {
    kind: 'secrets',
    async health() {
      return { sealed: world.vault.sealed, standby: false, initialized: true };
    },
    async tokenInfo() {
      vaultReady(world, path0);
      const ttlSeconds = Math.max(0, Math.floor((world.vault.tokenExpiresAt - world.now()) / 1000));
      if (ttlSeconds === 0) throw new Error('vault token lookup-self: permission denied (HTTP 403)');
      return { ttlSeconds, policies: ['default', 'oncall'] };
    },
    async capabilities(path) {
      vaultReady(world, path0);
      const denied = world.vault.deniedPaths.has(path);
      return {
        data: denied ? ['read'] : ['create', 'read', 'update'],
        metadata: denied ? ['read'] : ['read', 'list'],
      };
    },
    async metadata(path) {
      vaultReady(world, path);
      const s = world.secrets.get(path);
      if (!s) throw new Error(`no secret at ${path}`);
      return {
        path,
        currentVersion: s.versions.length,
        versions: s.versions.map((v, i) => ({
          version: i + 1,
          createdTime: new Date(v.createdAt).toISOString(),
          destroyed: false,
          deleted: false,
        })),
      };
    },
  };
}

function secretsMutate(world: SandboxWorld): SecretStoreMutatePort {
  return {
    async write(path, data, cas) {
      vaultReady(world, path);
      if (world.vault.deniedPaths.has(path))
        throw new Error(`vault write ${path}: permission denied (HTTP 403)`);
      const s = world.secrets.get(path) ?? { versions: [] };
      if (s.versions.length !== cas)
        throw new PreconditionFailed(
          `vault write ${path}: check-and-set parameter did not match the current version (HTTP 400): ${path} is no longer at version ${cas}`,
        );
      world.recordMutation('vault-write', path, `keys ${Object.keys(data).join(',')}`);
      s.versions.push({ data: { ...data }, createdAt: world.now() });
      world.secrets.set(path, s);
      return { version: s.versions.length };
    },
    async readVersion(path, version) {
      vaultReady(world, path);
      const v = world.secrets.get(path)?.versions[version - 1];
      if (!v) throw new Error(`no version ${version} at ${path}`);
      return { ...v.data };
    },
  };
}

export function sandboxReadPorts(world: SandboxWorld, opts: { context?: string } = {}): ReadPorts {
  return {
    cluster: clusterRead(world, opts.context),
    metrics: metrics(world),
    containers: containersRead(world),
    health: health(world),
    certs: certs(world),
    secrets: secretsRead(world),
  };
}

/** Only called when not read-only; the result goes straight to the policy gate. */
export function sandboxMutatePorts(world: SandboxWorld): MutatePorts {
  return {
    cluster: clusterMutate(world),
    containers: containersMutate(world),
    secrets: secretsMutate(world),
  };
}
