/**
 * Builds real adapters for what the config names, with dynamic import() so no backend library sits on
 * the first-frame path. Each adapter issue registers its loader here. Mutating ports are built only when
 * not read-only, and are handed only to the policy gate.
 */
import type { Config } from '../config/schema.js';
import type { MutatePorts, ReadPorts } from './ports.js';
import type { PermissionCheck } from '../policy/gate.js';

export interface LoadedAdapters {
  read: ReadPorts;
  mutate: MutatePorts | null;
  contextName: string;
  /** Sources that are configured but could not be set up, with the reason. */
  failures: { source: string; message: string }[];
  /** RBAC re-check right before acting (the gate's `permissions`), when a cluster adapter loaded. */
  permissions?: PermissionCheck;
}

export interface AdapterOptions {
  readOnly: boolean;
  context?: string;
  namespace?: string;
}

/** A cluster adapter for one context (the `:ctx` switch): read + mutate ports, the gate's RBAC check. */
export interface LoadedCluster {
  read: NonNullable<ReadPorts['cluster']>;
  mutate: MutatePorts['cluster'] | null;
  contextName: string;
  permissions: PermissionCheck;
}

/**
 * Build the Kubernetes adapter for `activeContext` (services that pin a context keep theirs) and check that
 * its API server answers (GET /version) before anyone switches to it. Mutating ports only when !readOnly.
 */
export async function loadClusterAdapter(
  config: Config,
  opts: AdapterOptions & { activeContext: string },
): Promise<LoadedCluster> {
  const { createKubernetesAdapter } = await import('./kubernetes/index.js');
  const k = await createKubernetesAdapter(config, {
    readOnly: opts.readOnly,
    activeContext: opts.activeContext,
    namespace: opts.namespace,
  });
  try {
    await k.reachable();
  } catch (err) {
    await k.read.close();
    throw new Error(`context "${opts.activeContext}" is unreachable: ${(err as Error).message}`);
  }
  return {
    read: k.read,
    mutate: opts.readOnly ? null : k.mutate,
    contextName: k.contextName,
    permissions: k.permissions,
  };
}

export async function loadAdapters(config: Config, opts: AdapterOptions): Promise<LoadedAdapters> {
  const read: ReadPorts = {};
  const mutate: MutatePorts = {};
  const failures: LoadedAdapters['failures'] = [];
  const wants = {
    cluster: config.services.some((s) => s.kubernetes),
    metrics: Boolean(config.prometheus),
    containers: config.services.some((s) => s.container),
    health: config.services.some((s) => s.health.length > 0),
    certs: config.services.some((s) => s.certificates.length > 0),
  };
  const tasks: Promise<void>[] = [];
  const attempt = (source: string, fn: () => Promise<void>) =>
    tasks.push(fn().catch((err: Error) => void failures.push({ source, message: err.message })));

  // Vault (secret rotation): wanted when the config names Vault or any service has secrets to rotate.
  if (config.vault || config.services.some((s) => s.secrets.length > 0)) {
    attempt('secrets', async () => {
      const { loadVault } = await import('./vault/load.js');
      const v = await loadVault(config, { readOnly: opts.readOnly });
      read.secrets = v.read;
      if (v.mutate) mutate.secrets = v.mutate;
    });
  }
  let contextName = opts.context ?? config.kubernetes?.context ?? 'no cluster';
  let permissions: PermissionCheck | undefined;
  if (wants.cluster) {
    wants.cluster = false;
    attempt('cluster', async () => {
      const { createKubernetesAdapter } = await import('./kubernetes/index.js');
      const k = await createKubernetesAdapter(config, {
        readOnly: opts.readOnly,
        context: opts.context,
        namespace: opts.namespace,
      });
      read.cluster = k.read;
      if (k.mutate) mutate.cluster = k.mutate;
      contextName = k.contextName;
      permissions = k.permissions;
    });
  }
  // Containers (Docker or Podman's Docker API): docker.host, else DOCKER_HOST (+ DOCKER_TLS_VERIFY /
  // DOCKER_CERT_PATH), else the Docker or Podman socket. The events stream starts with the sources.
  if (wants.containers) {
    wants.containers = false;
    attempt('containers', async () => {
      const { createDockerAdapters } = await import('./docker/index.js');
      const d = createDockerAdapters({ host: config.docker?.host, readOnly: opts.readOnly });
      read.containers = d.read;
      if (d.mutate) mutate.containers = d.mutate;
    });
  }
  // Metrics (Prometheus): SLO ratios batched per window, alerts, certificate expiry from metrics.
  if (wants.metrics) {
    wants.metrics = false;
    attempt('metrics', async () => {
      const { createPrometheusMetrics } = await import('./prometheus/index.js');
      read.metrics = await createPrometheusMetrics(config);
    });
  }
  // HTTP health probes (undici): per-endpoint deadline, bounded body read, shared bounded pool.
  if (wants.health) {
    wants.health = false;
    attempt('health', async () => {
      const { createHealthProbe } = await import('./health/index.js');
      read.health = createHealthProbe();
    });
  }
  // Certificates: live TLS, kubernetes.io/tls Secrets (through the cluster port) and expiry metrics
  // (through the metrics port); those two are looked up at probe time, as they load in parallel.
  if (wants.certs) {
    wants.certs = false;
    attempt('certs', async () => {
      const { createCertProbe } = await import('./certs/index.js');
      read.certs = createCertProbe({ config, cluster: () => read.cluster, metrics: () => read.metrics });
    });
  }
  for (const [source, wanted] of Object.entries(wants)) {
    if (!wanted) continue;
    attempt(source, async () => {
      throw new Error(`the ${source} adapter is not part of this build yet`);
    });
  }
  await Promise.all(tasks);
  void contextName;
  return { read, mutate: opts.readOnly ? null : mutate, contextName, failures, permissions };
}
